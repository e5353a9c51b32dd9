package ai.sentryagent.agentidp.audit;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The audit trail: append-only, hash-chained, written in the same transaction as the change it records (or, for
 * the high-volume token path, batched asynchronously and flushed on shutdown).
 */
public interface Audit {
    /** Who acted, from where, in which request. */
    record Context(String actor, String clientIp, String requestId) {
        public static final Context SYSTEM = new Context("system", null, null);
    }

    /**
     * Where a listing continues: after the event with this timestamp and sequence number (newest first). Travels as
     * the opaque {@code next} / {@code cursor} string {@code <epoch microseconds>_<seq>}.
     */
    record Cursor(Instant occurredAt, long seq) {
        public String encode() {
            long micros = occurredAt.getEpochSecond() * 1_000_000 + occurredAt.getNano() / 1_000;
            return micros + "_" + seq;
        }

        /** The cursor, or empty when the text is not one this service handed out. */
        public static Optional<Cursor> parse(String text) {
            // Up to 16 digits of microseconds (year 2286) and 18 of sequence: nothing PostgreSQL cannot bind.
            if (!text.matches("\\d{1,16}_\\d{1,18}")) {
                return Optional.empty();
            }
            String[] parts = text.split("_");
            long micros = Long.parseLong(parts[0]);
            Instant at = Instant.ofEpochSecond(micros / 1_000_000, (micros % 1_000_000) * 1_000L);
            return Optional.of(new Cursor(at, Long.parseLong(parts[1])));
        }
    }

    /** Filters and paging of the audit listing; newest first, continuing after {@code cursor}. */
    record Query(
            Optional<UUID> agentId,
            Optional<String> action,
            Optional<String> outcome,
            Optional<Instant> from,
            Optional<Instant> to,
            Optional<Cursor> cursor,
            int limit) {}

    /** One page of the listing and where the next one starts, if there is one. */
    record EventPage(List<AuditEvent> items, Optional<Cursor> next) {
        public EventPage {
            items = List.copyOf(items);
        }
    }

    /** The newest verified point of the chain: an event, or the checkpoint retention left (no event id). */
    record Head(long sequence, Optional<UUID> eventId, byte[] hash) {
        public JsonObject toJson() {
            return new JsonObject()
                    .put("sequence", sequence)
                    .put("eventId", eventId.map(UUID::toString).orElse(null))
                    .put("hash", HexFormat.of().formatHex(hash));
        }
    }

    /**
     * The result of checking the chain. {@code checked}: events verified from the latest checkpoint to {@code head};
     * {@code hashed}: how many of them this check had to hash (the others were verified by an earlier check of this
     * process); {@code unkeyed}: events among them from before the chain was keyed (migration V4).
     */
    record Verification(
            boolean valid,
            long checked,
            long hashed,
            long unkeyed,
            Optional<Head> head,
            Optional<JsonObject> brokenAt) {
        public JsonObject toJson() {
            JsonObject json = new JsonObject()
                    .put("valid", valid)
                    .put("checked", checked)
                    .put("hashed", hashed)
                    .put("unkeyed", unkeyed);
            head.ifPresent(h -> json.put("head", h.toJson()));
            brokenAt.ifPresent(broken -> json.put("brokenAt", broken));
            return json;
        }

        Verification plusHashed(long more) {
            return new Verification(valid, checked, hashed + more, unkeyed, head, brokenAt);
        }
    }

    /** A verified head signed with the token signing key (compact JWS), for copies kept outside the database. */
    record SignedHead(Head head, Instant signedAt, String jws) {
        public JsonObject toJson() {
            return head.toJson().put("signedAt", signedAt.toString()).put("jws", jws);
        }
    }

    /** Appends inside the caller's transaction; the chain lock is held until that transaction ends. */
    Future<Void> append(SqlClient transaction, AuditEvent event);

    /**
     * Records an event that accompanies something delivered (a token, an audited introspection or revocation
     * answer): send the answer only when the future succeeds. With {@code AUDIT_DURABILITY=sync} it completes once
     * the event has committed and fails with {@link Unrecorded} when it cannot (answer 503, deliver nothing); with
     * {@code async} the event is queued and the future completes at once.
     */
    Future<Void> record(AuditEvent event);

    /**
     * Queues an event for the next batch, best effort: failures and denials (failed logins, rate limits, policy
     * denials), which deliver nothing. A flood of bad requests must not turn PostgreSQL's latency into theirs.
     */
    void enqueue(AuditEvent event);

    /** Writes every queued event now. */
    Future<Void> flush();

    Future<EventPage> list(Query query);

    Future<Optional<AuditEvent>> find(UUID eventId);

    /** Checks the chain; concurrent callers share one check, which hashes only what earlier checks have not. */
    Future<Verification> verify();

    /** Checks the whole chain from the newest checkpoint, one check at a time like {@link #verify()}. */
    Future<Verification> verifyAll();

    /** Verifies, then signs the newest verified head; fails with {@link ChainBroken} when the chain does not verify. */
    Future<SignedHead> head();

    /** Archives, checkpoints and deletes verified events older than the retention; returns how many. */
    Future<Long> prune(Duration retention);

    /** An event that had to be committed before its answer was not: the answer must be 503, with nothing in it. */
    final class Unrecorded extends RuntimeException {
        public Unrecorded(String message) {
            super(message, null, false, false);
        }
    }

    /** The chain does not verify: no head is signed and nothing is pruned. */
    final class ChainBroken extends RuntimeException {
        private final transient Verification verification;

        public ChainBroken(String message, Verification verification) {
            super(message, null, false, false);
            this.verification = verification;
        }

        public Verification verification() {
            return verification;
        }
    }

    /** Event details from alternating keys and values. */
    static JsonObject details(Object... keysAndValues) {
        JsonObject details = new JsonObject();
        for (int i = 0; i + 1 < keysAndValues.length; i += 2) {
            details.put(String.valueOf(keysAndValues[i]), keysAndValues[i + 1]);
        }
        return details;
    }
}
