package ai.sentryagent.agentidp.infra.aws;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.App;
import software.amazon.awscdk.assertions.Capture;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

/**
 * Production with the RDS CA bundle checked in and the Kafka audit stream configured: the service verifies the
 * database server, connects as the runtime role, and reaches the brokers with SASL/SCRAM credentials taken from a
 * JSON secret. (One synth per class: jsii is heavy.)
 */
class DatabaseIdentityTemplateTest {
    static final String CA_FILE = "infra-aws-cdk/src/test/resources/test-rds-ca-bundle.pem";
    static final String KAFKA_SECRET =
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:/sentryagent-agentidp/production/kafka-AbC123";

    private static Template template;

    @BeforeAll
    static void synthesize() {
        App app = CdkContext.app(Map.of(
                "env",
                "production",
                "databaseCaBundleFile",
                CA_FILE,
                "kafkaBrokers",
                "b-1.audit.kafka.us-east-1.amazonaws.com:9096,b-2.audit.kafka.us-east-1.amazonaws.com:9096",
                "kafkaCredentialsSecretArn",
                KAFKA_SECRET));
        template = Template.fromStack(AgentIdpApp.build(app, CdkContext.repositoryRoot()));
    }

    private static Map<?, ?> container(String family) {
        Capture containers = new Capture();
        template.hasResourceProperties(
                "AWS::ECS::TaskDefinition", Map.of("Family", family, "ContainerDefinitions", containers));
        return (Map<?, ?>) containers.asArray().get(0);
    }

    private static Map<String, String> environment(Map<?, ?> container) {
        Map<String, String> env = new java.util.HashMap<>();
        for (Object entry : (List<?>) container.get("Environment")) {
            Map<?, ?> e = (Map<?, ?>) entry;
            env.put(String.valueOf(e.get("Name")), String.valueOf(e.get("Value")));
        }
        return env;
    }

    /**
     * RDS server certificates name the instance endpoint (RDS user guide, "Using SSL/TLS to encrypt a connection to
     * a DB instance"), so with the region's CA bundle the service can verify both the chain and the host name.
     */
    @Test
    void withTheCaBundleBothUrlsVerifyTheServerAndBothTasksGetTheBundle() throws Exception {
        String pem =
                Files.readString(CdkContext.repositoryRoot().resolve(CA_FILE)).strip();
        for (String name : List.of("database-url", "database-migrator-url")) {
            Capture value = new Capture();
            template.hasResourceProperties(
                    "AWS::SecretsManager::Secret",
                    Map.of("Name", "/sentryagent-agentidp/production/" + name, "SecretString", value));
            assertThat(value.asObject().toString()).as(name).contains("?sslmode=verify-full");
        }
        assertThat(environment(container("sentryagent-agentidp-production"))).containsEntry("DATABASE_CA_CERT", pem);
        assertThat(environment(container("sentryagent-agentidp-production-migrate")))
                .containsEntry("DATABASE_CA_CERT", pem)
                .containsEntry("DATABASE_RUNTIME_ROLE", "agentidp_app");
    }

    /**
     * Kafka over SASL/SCRAM with TLS; ECS reads one JSON key of a secret as "<complete arn>:<key>::" (ECS developer
     * guide, "Pass Secrets Manager secrets through environment variables").
     */
    @Test
    void kafkaSettingsReachTheServiceAndTheCredentialsComeFromTheJsonSecret() {
        Map<?, ?> service = container("sentryagent-agentidp-production");
        assertThat(environment(service))
                .containsEntry(
                        "KAFKA_BROKERS",
                        "b-1.audit.kafka.us-east-1.amazonaws.com:9096,b-2.audit.kafka.us-east-1.amazonaws.com:9096")
                .containsEntry("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
                .containsEntry("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
                .doesNotContainKeys("KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD");
        String secrets = service.get("Secrets").toString();
        assertThat(secrets)
                .contains("Name=KAFKA_SASL_USERNAME, ValueFrom=" + KAFKA_SECRET + ":username::")
                .contains("Name=KAFKA_SASL_PASSWORD, ValueFrom=" + KAFKA_SECRET + ":password::");
        assertThat(environment(container("sentryagent-agentidp-production-migrate"))
                        .keySet())
                .noneMatch(name -> name.startsWith("KAFKA_"));
        ProviderRules.assertEveryEcsSecretIsACompleteArn(template);
    }

    /** The tasks' egress stays closed except for what they use: now also the brokers' port. */
    @Test
    void theTasksMayReachTheBrokersPort() {
        template.hasResourceProperties(
                "AWS::EC2::SecurityGroup",
                Map.of(
                        "GroupDescription",
                        "AgentIdP tasks: HTTP from the load balancer only",
                        "SecurityGroupEgress",
                        Match.arrayWith(List.of(Match.objectLike(Map.of(
                                "CidrIp", "0.0.0.0/0", "FromPort", 9096, "ToPort", 9096, "IpProtocol", "tcp"))))));
    }
}
