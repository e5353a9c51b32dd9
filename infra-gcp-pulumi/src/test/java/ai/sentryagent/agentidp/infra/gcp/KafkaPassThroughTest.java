package ai.sentryagent.agentidp.infra.gcp;

import static ai.sentryagent.agentidp.infra.gcp.ProgramRun.list;
import static ai.sentryagent.agentidp.infra.gcp.ProgramRun.map;
import static org.assertj.core.api.Assertions.assertThat;

import com.pulumi.core.Output;
import com.pulumi.test.PulumiTest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The optional Kafka pass-through: broker list and SASL/SCRAM credentials reach the service as its KAFKA_*
 * variables (docs/environment-variables.md), the credentials only as Secret Manager references.
 */
class KafkaPassThroughTest {

    @AfterEach
    void cleanup() {
        PulumiTest.cleanup();
    }

    private static Map<String, Map<String, Object>> serviceEnv(ProgramRun run) {
        Map<String, Object> container =
                map(list(map(run.inputs("gcp:cloudrunv2/service:Service").get("template"))
                                .get("containers"))
                        .get(0));
        Map<String, Map<String, Object>> envs = new HashMap<>();
        list(container.get("envs")).forEach(e -> envs.put(String.valueOf(map(e).get("name")), map(e)));
        return envs;
    }

    @Test
    void brokersAndCredentialsBecomeTheServicesKafkaVariables() {
        Map<String, String> values = StackFile.production();
        values.put("agentidp:kafkaBrokers", "b-1.kafka.example.com:9096,b-2.kafka.example.com:9096");
        GcpConfig base = GcpProgramTest.config("production", values);
        GcpConfig.Secrets s = base.secrets();
        GcpConfig config = GcpConfig.parse(
                StackFile.image(),
                "production",
                key -> Optional.ofNullable(values.get(key)),
                new GcpConfig.Secrets(
                        s.jwtPrivateKey(),
                        s.jwtPublicKey(),
                        s.databasePasswordSeed(),
                        s.credentialHashKeySeed(),
                        s.auditChainKeySeed(),
                        s.bootstrapAdminSecretSeed(),
                        s.databaseRuntimePasswordSeed(),
                        Optional.of(Output.ofSecret(Map.of("username", "agentidp", "password", "scram-secret-42")))));
        ProgramRun run = ProgramRun.of(config);
        Map<String, Map<String, Object>> env = serviceEnv(run);
        assertThat(env.get("KAFKA_BROKERS"))
                .containsEntry("value", "b-1.kafka.example.com:9096,b-2.kafka.example.com:9096");
        // Amazon MSK / Confluent SCRAM: SASL over TLS with SCRAM-SHA-512.
        assertThat(env.get("KAFKA_SECURITY_PROTOCOL")).containsEntry("value", "SASL_SSL");
        assertThat(env.get("KAFKA_SASL_MECHANISM")).containsEntry("value", "SCRAM-SHA-512");
        for (String secret : List.of("KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD")) {
            assertThat(env.get(secret)).as(secret).doesNotContainKey("value").containsKey("valueSource");
        }
        assertThat(run.mocks().ofType("gcp:secretmanager/secretVersion:SecretVersion"))
                .anySatisfy(v -> assertThat(v.inputs()).containsEntry("secretData", "scram-secret-42"));
        // The migrate job never talks to Kafka.
        Map<String, Object> job =
                map(map(run.inputs("gcp:cloudrunv2/job:Job").get("template")).get("template"));
        assertThat(list(map(list(job.get("containers")).get(0)).get("envs")))
                .noneSatisfy(e -> assertThat(String.valueOf(map(e).get("name"))).startsWith("KAFKA_"));
    }

    @Test
    void withoutBrokersNoKafkaVariableIsSet() {
        ProgramRun run = ProgramRun.of(GcpProgramTest.config("production", Map.of()));
        assertThat(serviceEnv(run).keySet()).noneMatch(name -> name.startsWith("KAFKA_"));
    }
}
