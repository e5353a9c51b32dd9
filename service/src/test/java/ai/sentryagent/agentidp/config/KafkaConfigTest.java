package ai.sentryagent.agentidp.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sentryagent.agentidp.crypto.Pem;
import ai.sentryagent.agentidp.crypto.SigningKeys;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code KAFKA_*}: every bad value stops startup with a message naming the variable, and no secret is printed. */
class KafkaConfigTest {
    private static final String PRIVATE_PEM =
            Pem.encodePrivate(SigningKeys.generate(2048).getPrivate());
    private static final String PASSWORD = "scram-pa\"ss\\word-never-printed";

    private static Map<String, String> base() {
        Map<String, String> env = new HashMap<>();
        env.put("DATABASE_URL", "postgres://idp:pw@db.internal:5432/agentidp?sslmode=require");
        env.put("REDIS_URL", "rediss://:t0ken@cache.internal:6380/0");
        env.put("ISSUER_URL", "https://idp.example.com");
        env.put("JWT_PRIVATE_KEY", PRIVATE_PEM);
        env.put("CREDENTIAL_HASH_KEY", "0123456789abcdef0123456789abcdef");
        env.put("AUDIT_CHAIN_KEY", "fedcba9876543210fedcba9876543210");
        return env;
    }

    private static Map<String, String> msk() {
        Map<String, String> env = base();
        env.put(
                "KAFKA_BROKERS",
                "b-1.audit.kafka.eu-west-1.amazonaws.com:9096,b-2.audit.kafka.eu-west-1.amazonaws.com:9096");
        env.put("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512");
        env.put("KAFKA_SASL_USERNAME", "agentidp");
        env.put("KAFKA_SASL_PASSWORD", PASSWORD);
        return env;
    }

    @Test
    void withoutBrokersNothingIsStreamedAndCompanionsAreReportedUnused() {
        Map<String, String> env = base();
        env.put("KAFKA_AUDIT_TOPIC", "audit");
        AppConfig config = AppConfig.fromEnvironment(env);
        assertThat(config.kafka()).isEmpty();
        assertThat(config.notices()).anyMatch(n -> n.startsWith("KAFKA_AUDIT_TOPIC is set but unused"));
    }

    @Test
    void mskWithScramDefaultsToSaslSslAndTheDefaultTopic() {
        KafkaConfig kafka = AppConfig.fromEnvironment(msk()).kafka().orElseThrow();
        // Amazon MSK's SASL/SCRAM listener (port 9096) takes SCRAM-SHA-512 over TLS only.
        assertThat(kafka.protocol()).isEqualTo(KafkaConfig.Protocol.SASL_SSL);
        assertThat(kafka.sasl().orElseThrow().mechanism().kafkaName()).isEqualTo("SCRAM-SHA-512");
        assertThat(kafka.topic()).isEqualTo("agentidp.audit");
        assertThat(kafka.brokers()).hasSize(2);
        assertThat(kafka.toString()).doesNotContain(PASSWORD).doesNotContain("pa\"ss");
    }

    @Test
    void plaintextIsRefusedInProductionOnly() {
        Map<String, String> env = base();
        env.put("KAFKA_BROKERS", "kafka.internal:9092");
        env.put("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT");
        assertThatThrownBy(() -> AppConfig.fromEnvironment(env))
                .hasMessageContaining("KAFKA_SECURITY_PROTOCOL=PLAINTEXT is refused when NODE_ENV=production");
        env.put("NODE_ENV", "development");
        env.put("ISSUER_URL", "http://localhost:3000");
        assertThat(AppConfig.fromEnvironment(env).kafka().orElseThrow().protocol())
                .isEqualTo(KafkaConfig.Protocol.PLAINTEXT);
    }

    @Test
    void everyBadValueIsNamedAndNoSecretIsEchoed() {
        Map<String, String> env = msk();
        env.put("KAFKA_BROKERS", "kafka://broker:9092,broker-2:99999");
        // Kafka's topic rule: only [a-zA-Z0-9._-], at most 249 characters.
        env.put("KAFKA_AUDIT_TOPIC", "audit/events");
        env.put("KAFKA_SASL_MECHANISM", "AWS_MSK_IAM");
        env.put("KAFKA_TLS_CA_CERT", "not a certificate " + PASSWORD);
        assertThatThrownBy(() -> AppConfig.fromEnvironment(env))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> {
                    List<String> problems = ((ConfigException) e).problems();
                    assertThat(problems).anyMatch(p -> p.startsWith("KAFKA_BROKERS holds 'kafka://broker:9092'"));
                    assertThat(problems).anyMatch(p -> p.startsWith("KAFKA_BROKERS holds 'broker-2:99999'"));
                    assertThat(problems).anyMatch(p -> p.startsWith("KAFKA_AUDIT_TOPIC must be"));
                    assertThat(problems)
                            .anyMatch(p -> p.startsWith("KAFKA_SASL_MECHANISM must be") && p.contains("SCRAM-SHA-512"));
                    assertThat(problems).anyMatch(p -> p.startsWith("KAFKA_TLS_CA_CERT must be a PEM"));
                })
                .message()
                .doesNotContain(PASSWORD);
    }

    @Test
    void saslNeedsItsMechanismUserAndPasswordAndOnlyOverTls() {
        Map<String, String> env = base();
        env.put("KAFKA_BROKERS", "kafka.internal:9096");
        env.put("KAFKA_SECURITY_PROTOCOL", "SASL_SSL");
        assertThatThrownBy(() -> AppConfig.fromEnvironment(env))
                .hasMessageContaining("KAFKA_SASL_MECHANISM is required")
                .hasMessageContaining("KAFKA_SASL_USERNAME is required")
                .hasMessageContaining("KAFKA_SASL_PASSWORD is required");
        Map<String, String> tlsOnly = msk();
        tlsOnly.put("KAFKA_SECURITY_PROTOCOL", "SSL");
        assertThatThrownBy(() -> AppConfig.fromEnvironment(tlsOnly))
                .hasMessageContaining("apply only with KAFKA_SECURITY_PROTOCOL=SASL_SSL");
        Map<String, String> cleartextSasl = msk();
        cleartextSasl.put("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT");
        assertThatThrownBy(() -> AppConfig.fromEnvironment(cleartextSasl))
                .hasMessageContaining("KAFKA_SECURITY_PROTOCOL must be SSL, SASL_SSL or PLAINTEXT");
    }

    @Test
    void verifyAuditNeedsTheBrokers() {
        assertThatThrownBy(() -> KafkaConfig.fromEnvironment(Map.of()))
                .hasMessageContaining("KAFKA_BROKERS is required");
    }
}
