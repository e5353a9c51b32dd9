package ai.sentryagent.agentidp.config;

import ai.sentryagent.agentidp.crypto.Pem;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Where the committed audit trail is streamed ({@code KAFKA_*}), and how the connection to the brokers is secured.
 * Present only when {@code KAFKA_BROKERS} is set.
 *
 * @param brokers the bootstrap servers, {@code host:port} each ({@code KAFKA_BROKERS})
 * @param topic the topic every committed audit event goes to ({@code KAFKA_AUDIT_TOPIC})
 * @param protocol how the connection is secured ({@code KAFKA_SECURITY_PROTOCOL})
 * @param sasl who the service authenticates as, with {@code SASL_SSL} ({@code KAFKA_SASL_*})
 * @param caCertPem the CA to trust for the brokers' certificates ({@code KAFKA_TLS_CA_CERT}), else the JVM's
 */
public record KafkaConfig(
        List<String> brokers, String topic, Protocol protocol, Optional<Sasl> sasl, Optional<String> caCertPem) {

    public static final String DEFAULT_TOPIC = "agentidp.audit";

    /** The security protocols offered; {@code SASL_PLAINTEXT} is not one: credentials never travel unencrypted. */
    public enum Protocol {
        PLAINTEXT,
        SSL,
        SASL_SSL
    }

    /** The SASL mechanisms offered. MSK's IAM mechanism needs a library this build does not ship: use SCRAM. */
    public enum Mechanism {
        SCRAM_SHA_512("SCRAM-SHA-512"),
        SCRAM_SHA_256("SCRAM-SHA-256"),
        PLAIN("PLAIN");

        private final String kafkaName;

        Mechanism(String kafkaName) {
            this.kafkaName = kafkaName;
        }

        /** The name Kafka's {@code sasl.mechanism} takes. */
        public String kafkaName() {
            return kafkaName;
        }
    }

    /** SASL credentials; the password prints as {@code ***}. */
    public record Sasl(Mechanism mechanism, String username, Secret password) {}

    public KafkaConfig {
        brokers = List.copyOf(brokers);
    }

    /** Only the {@code KAFKA_*} variables, for {@code verify-audit}; {@code KAFKA_BROKERS} is required here. */
    public static KafkaConfig fromEnvironment(Map<String, String> variables) {
        Env env = new Env(variables);
        env.required("KAFKA_BROKERS", "the brokers to read the audit topic from, e.g. b-1.kafka.internal:9096");
        boolean production = env.string("NODE_ENV", "production").equals("production");
        Optional<KafkaConfig> config = read(env, production, new ArrayList<>());
        env.throwIfInvalid();
        return config.orElseThrow();
    }

    /**
     * Reads the streaming settings; records a problem naming the variable for every bad value, and a notice for
     * companion variables set without {@code KAFKA_BROKERS}.
     */
    static Optional<KafkaConfig> read(Env env, boolean production, List<String> notices) {
        Optional<String> brokerList = env.optional("KAFKA_BROKERS");
        if (brokerList.isEmpty()) {
            for (String companion : List.of(
                    "KAFKA_AUDIT_TOPIC",
                    "KAFKA_SECURITY_PROTOCOL",
                    "KAFKA_SASL_MECHANISM",
                    "KAFKA_SASL_USERNAME",
                    "KAFKA_SASL_PASSWORD",
                    "KAFKA_TLS_CA_CERT")) {
                if (env.optional(companion).isPresent()) {
                    notices.add(companion + " is set but unused: KAFKA_BROKERS is not set, so nothing is streamed");
                }
            }
            return Optional.empty();
        }
        List<String> brokers = brokers(env, brokerList.get());
        String topic = env.string("KAFKA_AUDIT_TOPIC", DEFAULT_TOPIC);
        // Kafka's own rule for topic names (org.apache.kafka.common.internals.Topic): 1-249 of [a-zA-Z0-9._-].
        if (!topic.matches("[A-Za-z0-9._-]{1,249}") || topic.equals(".") || topic.equals("..")) {
            env.problem("KAFKA_AUDIT_TOPIC must be 1-249 letters, digits, '.', '_' or '-' (Kafka's topic name rule),"
                    + " got '" + Env.printable(topic) + "'");
        }
        Optional<Mechanism> mechanism = env.optional("KAFKA_SASL_MECHANISM").flatMap(raw -> mechanism(env, raw));
        Protocol protocol =
                protocol(env, production, env.optional("KAFKA_SASL_MECHANISM").isPresent());
        Optional<Sasl> sasl = sasl(env, protocol, mechanism);
        Optional<String> ca = env.optional("KAFKA_TLS_CA_CERT").map(Pem::unescape);
        if (ca.isPresent()) {
            if (!ca.get().contains("-----BEGIN CERTIFICATE-----")) {
                env.problem("KAFKA_TLS_CA_CERT must be a PEM certificate (-----BEGIN CERTIFICATE-----)");
            } else if (protocol == Protocol.PLAINTEXT) {
                env.problem("KAFKA_TLS_CA_CERT is set, but KAFKA_SECURITY_PROTOCOL=PLAINTEXT uses no TLS; set"
                        + " KAFKA_SECURITY_PROTOCOL=SSL or SASL_SSL");
            }
        }
        return Optional.of(new KafkaConfig(brokers, topic, protocol, sasl, ca));
    }

    private static List<String> brokers(Env env, String raw) {
        List<String> brokers = new ArrayList<>();
        for (String part : raw.split(",")) {
            String broker = part.trim();
            if (broker.isEmpty()) {
                continue;
            }
            // host:port, or [IPv6]:port; no scheme, no path: Kafka's bootstrap.servers format.
            if (!broker.matches("([A-Za-z0-9.-]{1,253}|\\[[0-9A-Fa-f:.]{2,45}]):\\d{1,5}")
                    || Integer.parseInt(broker.substring(broker.lastIndexOf(':') + 1)) < 1
                    || Integer.parseInt(broker.substring(broker.lastIndexOf(':') + 1)) > 65535) {
                env.problem("KAFKA_BROKERS holds '" + Env.printable(broker)
                        + "', which is not host:port (a comma-separated list such as b-1.kafka.internal:9096)");
            } else {
                brokers.add(broker);
            }
        }
        if (brokers.isEmpty()) {
            env.problem("KAFKA_BROKERS names no broker (a comma-separated list of host:port)");
        }
        return brokers;
    }

    private static Protocol protocol(Env env, boolean production, boolean saslAsked) {
        Protocol fallback = saslAsked ? Protocol.SASL_SSL : production ? Protocol.SSL : Protocol.PLAINTEXT;
        Optional<String> raw = env.optional("KAFKA_SECURITY_PROTOCOL");
        Protocol protocol = fallback;
        if (raw.isPresent()) {
            try {
                protocol = Protocol.valueOf(raw.get().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                env.problem("KAFKA_SECURITY_PROTOCOL must be SSL, SASL_SSL or PLAINTEXT, got '"
                        + Env.printable(raw.get()) + "'");
                return fallback;
            }
        }
        if (protocol == Protocol.PLAINTEXT && production) {
            env.problem("KAFKA_SECURITY_PROTOCOL=PLAINTEXT is refused when NODE_ENV=production: the audit trail"
                    + " would cross the network unencrypted; use SSL or SASL_SSL");
        }
        return protocol;
    }

    private static Optional<Mechanism> mechanism(Env env, String raw) {
        for (Mechanism mechanism : Mechanism.values()) {
            if (mechanism.kafkaName().equalsIgnoreCase(raw)) {
                return Optional.of(mechanism);
            }
        }
        String hint = raw.toUpperCase(Locale.ROOT).contains("IAM")
                ? " (MSK's IAM mechanism is not supported by this build: enable SASL/SCRAM on the cluster and use"
                        + " SCRAM-SHA-512)"
                : "";
        env.problem("KAFKA_SASL_MECHANISM must be SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN, got '" + Env.printable(raw)
                + "'" + hint);
        return Optional.empty();
    }

    private static Optional<Sasl> sasl(Env env, Protocol protocol, Optional<Mechanism> mechanism) {
        Optional<String> username = env.optional("KAFKA_SASL_USERNAME");
        Optional<String> password = env.optional("KAFKA_SASL_PASSWORD");
        boolean saslSet = env.optional("KAFKA_SASL_MECHANISM").isPresent();
        if (protocol != Protocol.SASL_SSL) {
            if (saslSet || username.isPresent() || password.isPresent()) {
                env.problem("KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD apply only with"
                        + " KAFKA_SECURITY_PROTOCOL=SASL_SSL (it is " + protocol + ")");
            }
            return Optional.empty();
        }
        if (!saslSet) {
            env.problem("KAFKA_SASL_MECHANISM is required with KAFKA_SECURITY_PROTOCOL=SASL_SSL (SCRAM-SHA-512 for"
                    + " Amazon MSK)");
        }
        if (username.isEmpty()) {
            env.problem("KAFKA_SASL_USERNAME is required with KAFKA_SECURITY_PROTOCOL=SASL_SSL");
        } else if (!username.get().matches("[^\\p{Cntrl}]{1,256}")) {
            env.problem("KAFKA_SASL_USERNAME must be 1-256 characters without control characters");
        }
        if (password.isEmpty()) {
            env.problem("KAFKA_SASL_PASSWORD is required with KAFKA_SECURITY_PROTOCOL=SASL_SSL");
        } else if (password.get().chars().anyMatch(Character::isISOControl)) {
            env.problem("KAFKA_SASL_PASSWORD must not contain control characters");
        }
        if (mechanism.isEmpty() || username.isEmpty() || password.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Sasl(mechanism.get(), username.get(), new Secret(password.get())));
    }
}
