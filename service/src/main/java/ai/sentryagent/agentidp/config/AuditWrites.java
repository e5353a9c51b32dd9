package ai.sentryagent.agentidp.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * How answers that deliver something wait for their audit event ({@code AUDIT_DURABILITY},
 * {@code AUDIT_WRITE_TIMEOUT_MS}).
 *
 * @param durability {@link Durability#SYNC}: the answer is sent only after its event committed; {@link
 *     Durability#ASYNC}: the event is queued and written in the next batch, after the answer
 * @param timeout how long a request waits for its event's commit before it is answered 503
 */
public record AuditWrites(Durability durability, Duration timeout) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(2_000);
    public static final AuditWrites DEFAULT = new AuditWrites(Durability.SYNC, DEFAULT_TIMEOUT);

    public AuditWrites {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("the audit write timeout must be positive");
        }
    }

    /** Whether a delivering answer waits for its event; a closed set, so a switch over it is exhaustive. */
    public enum Durability {
        SYNC,
        ASYNC;

        /** The mode for {@code sync} or {@code async} (any case), else empty. */
        public static Optional<Durability> parse(String text) {
            return switch (text.trim().toLowerCase(Locale.ROOT)) {
                case "sync" -> Optional.of(SYNC);
                case "async" -> Optional.of(ASYNC);
                default -> Optional.empty();
            };
        }
    }
}
