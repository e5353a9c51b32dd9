package ai.sentryagent.agentidp.cli;

import ai.sentryagent.agentidp.audit.stream.TopicReader;
import ai.sentryagent.agentidp.config.AppConfig;
import ai.sentryagent.agentidp.config.ConfigException;
import ai.sentryagent.agentidp.config.KafkaConfig;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code verify-audit}: reads the audit topic from the beginning and verifies the hash chain from the topic alone
 * — the links always, every event's HMAC when {@code AUDIT_CHAIN_KEY} is set. Prints the verdict as one JSON line;
 * exit 0 when the chain verifies, 1 when it is broken or the topic cannot be read, 2 on bad configuration.
 */
@Command(
        name = "verify-audit",
        description = "Verify the audit chain from the Kafka topic alone (needs KAFKA_BROKERS; AUDIT_CHAIN_KEY"
                + " to check every event's HMAC, not only the links).")
public final class VerifyAuditCommand implements Callable<Integer> {
    @Option(
            names = "--timeout",
            description = "Seconds to read the topic to its end (default: ${DEFAULT-VALUE}).",
            defaultValue = "120")
    int timeoutSeconds;

    @Spec
    CommandSpec spec;

    private final Map<String, String> environment;

    public VerifyAuditCommand() {
        this(System.getenv());
    }

    /** With the given variables instead of the process environment. */
    VerifyAuditCommand(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    @Override
    public Integer call() {
        KafkaConfig kafka = KafkaConfig.fromEnvironment(environment);
        Optional<String> chainKey = Optional.ofNullable(environment.get("AUDIT_CHAIN_KEY"))
                .filter(value -> !value.isBlank())
                .map(String::trim);
        if (chainKey.isPresent() && chainKey.get().length() < AppConfig.MIN_HASH_KEY_LENGTH) {
            throw new ConfigException("AUDIT_CHAIN_KEY must be at least " + AppConfig.MIN_HASH_KEY_LENGTH
                    + " characters, got " + chainKey.get().length());
        }
        // The same bytes the service keys the chain with (AgentIdp: the variable's UTF-8).
        Optional<byte[]> key = chainKey.map(value -> value.getBytes(StandardCharsets.UTF_8));
        JsonObject verdict = TopicReader.verify(kafka, key, Duration.ofSeconds(timeoutSeconds));
        PrintWriter out = spec.commandLine().getOut();
        out.println(verdict.put("topic", kafka.topic()).encode());
        out.flush();
        return verdict.getBoolean("valid") ? 0 : 1;
    }
}
