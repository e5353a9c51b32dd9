package ai.sentryagent.agentidp.audit;

import ai.sentryagent.agentidp.agent.Page;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import java.time.Duration;
import java.time.Instant;
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

    /** Filters and paging of the audit listing; newest first. */
    record Query(
            Optional<UUID> agentId,
            Optional<String> action,
            Optional<String> outcome,
            Optional<Instant> from,
            Optional<Instant> to,
            int page,
            int limit) {}

    /** The result of checking the chain. */
    record Verification(boolean valid, long checked, Optional<JsonObject> brokenAt) {
        public JsonObject toJson() {
            JsonObject json = new JsonObject().put("valid", valid).put("checked", checked);
            brokenAt.ifPresent(broken -> json.put("brokenAt", broken));
            return json;
        }
    }

    /** Appends inside the caller's transaction; the chain lock is held until that transaction ends. */
    Future<Void> append(SqlClient transaction, AuditEvent event);

    /** Queues an event for the next batch (token issuance, failed logins, denials). */
    void enqueue(AuditEvent event);

    /** Writes every queued event now. */
    Future<Void> flush();

    Future<Page<AuditEvent>> list(Query query);

    Future<Optional<AuditEvent>> find(UUID eventId);

    Future<Verification> verify();

    /** Archives, checkpoints and deletes events older than the retention; returns how many. */
    Future<Long> prune(Duration retention);

    /** Event details from alternating keys and values. */
    static JsonObject details(Object... keysAndValues) {
        JsonObject details = new JsonObject();
        for (int i = 0; i + 1 < keysAndValues.length; i += 2) {
            details.put(String.valueOf(keysAndValues[i]), keysAndValues[i + 1]);
        }
        return details;
    }
}
