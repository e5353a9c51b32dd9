package ai.sentryagent.agentidp.audit.stream;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.config.KafkaConfig;
import ai.sentryagent.agentidp.config.Secret;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import javax.security.auth.login.AppConfigurationEntry;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.security.JaasContext;
import org.junit.jupiter.api.Test;

/** The settings as Kafka's own parsers read them, not as this code wrote them. */
class KafkaClientsTest {
    @Test
    void aPasswordWithQuotesAndBackslashesReachesTheLoginModuleUnchanged() {
        String password = "p\"a\\ss;word } { = \"";
        KafkaConfig config = new KafkaConfig(
                List.of("b-1.kafka.internal:9096"),
                "agentidp.audit",
                KafkaConfig.Protocol.SASL_SSL,
                Optional.of(
                        new KafkaConfig.Sasl(KafkaConfig.Mechanism.SCRAM_SHA_512, "agent\"idp", new Secret(password))),
                Optional.empty());
        Properties props = KafkaClients.producer(config, "test");
        // Kafka's own path: the producer's config parser, then the JAAS context the SASL client logs in with.
        JaasContext jaas = JaasContext.loadClientContext(new ProducerConfig(props).values());
        AppConfigurationEntry entry = jaas.configurationEntries().get(0);
        assertThat(entry.getLoginModuleName()).isEqualTo("org.apache.kafka.common.security.scram.ScramLoginModule");
        assertThat(entry.getOptions().get("password")).isEqualTo(password);
        assertThat(entry.getOptions().get("username")).isEqualTo("agent\"idp");
    }

    @Test
    void theProducerIsOneKafkaAcceptsAsIdempotent() {
        KafkaConfig config = new KafkaConfig(
                List.of("127.0.0.1:9092"),
                "agentidp.audit",
                KafkaConfig.Protocol.PLAINTEXT,
                Optional.empty(),
                Optional.empty());
        // ProducerConfig refuses idempotence with acks other than all or more than 5 requests in flight.
        ProducerConfig parsed = new ProducerConfig(KafkaClients.producer(config, "test"));
        assertThat(parsed.getBoolean(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG)).isTrue();
        assertThat(parsed.getString(ProducerConfig.ACKS_CONFIG)).isEqualTo("-1");
    }
}
