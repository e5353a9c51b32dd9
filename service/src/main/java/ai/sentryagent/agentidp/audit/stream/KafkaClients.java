package ai.sentryagent.agentidp.audit.stream;

import ai.sentryagent.agentidp.config.KafkaConfig;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** The Kafka client settings of the relay's producer and of {@code verify-audit}'s consumer. */
public final class KafkaClients {
    private KafkaClients() {}

    /** How long one send may take, retries included, before the batch is given up and read again. */
    static final int DELIVERY_TIMEOUT_MS = 30_000;

    /**
     * At-least-once and in order: every in-sync replica acknowledges ({@code acks=all}); idempotence lets the
     * producer retry without duplicating or reordering within the partition, which Kafka guarantees for up to five
     * requests in flight (KIP-679, the producer's documented ordering condition).
     */
    static Properties producer(KafkaConfig config, String clientId) {
        Properties props = common(config, clientId);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
        props.put(ProducerConfig.RETRIES_CONFIG, Integer.toString(Integer.MAX_VALUE));
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.toString(DELIVERY_TIMEOUT_MS));
        // send() blocks while it has no metadata (brokers unreachable); bounded so the relay's thread comes back.
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return props;
    }

    /** A consumer that reads partitions it is assigned, from the beginning, and commits nothing. */
    public static Properties consumer(KafkaConfig config, String clientId) {
        Properties props = common(config, clientId);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return props;
    }

    private static Properties common(KafkaConfig config, String clientId) {
        Properties props = new Properties();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, String.join(",", config.brokers()));
        props.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
        props.put(
                CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, config.protocol().name());
        config.caCertPem().ifPresent(pem -> {
            // KIP-651: a PEM trust store given inline, so no JKS file has to be baked into the image.
            props.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
            props.put(SslConfigs.SSL_TRUSTSTORE_CERTIFICATES_CONFIG, pem);
        });
        config.sasl().ifPresent(sasl -> {
            props.put(SaslConfigs.SASL_MECHANISM, sasl.mechanism().kafkaName());
            String module = sasl.mechanism() == KafkaConfig.Mechanism.PLAIN
                    ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                    : "org.apache.kafka.common.security.scram.ScramLoginModule";
            props.put(
                    SaslConfigs.SASL_JAAS_CONFIG,
                    module + " required username=\"" + jaasQuoted(sasl.username()) + "\" password=\""
                            + jaasQuoted(sasl.password().value()) + "\";");
        });
        return props;
    }

    /** JAAS option values are quoted strings in which a backslash escapes the next character. */
    static String jaasQuoted(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
