package ai.sentryagent.agentidp.audit;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * One audit event. Never holds a secret: details carry ids, scopes and reasons only.
 *
 * @param actor who acted: the caller's client id, or {@code system}
 * @param agentId the agent the event is about, if any
 */
public record AuditEvent(
        UUID eventId,
        Instant timestamp,
        String action,
        String outcome,
        UUID agentId,
        String actor,
        String clientIp,
        String requestId,
        JsonObject details) {

    public static final String SUCCESS = "success";
    public static final String FAILURE = "failure";
    public static final String DENIED = "denied";

    /**
     * A new event now (microsecond precision, as PostgreSQL stores it). Every caller-supplied field goes through
     * {@link AuditFields}: whatever a request carried, the event can be stored (F-02).
     */
    public static AuditEvent of(
            String action, String outcome, UUID agentId, Audit.Context context, JsonObject details) {
        String actor = AuditFields.text(context.actor());
        return new AuditEvent(
                UUID.randomUUID(),
                Instant.now().truncatedTo(ChronoUnit.MICROS),
                AuditFields.text(action),
                outcome,
                agentId,
                actor == null ? "unknown" : actor,
                AuditFields.text(context.clientIp()),
                AuditFields.text(context.requestId()),
                AuditFields.details(details));
    }

    /** The text the hash covers (see {@link AuditChain}): every field, details as JSON with sorted keys. */
    public String canonical() {
        return String.join(
                "\n",
                eventId.toString(),
                timestamp.toString(),
                action,
                outcome,
                agentId == null ? "" : agentId.toString(),
                actor,
                clientIp == null ? "" : clientIp,
                requestId == null ? "" : requestId,
                canonicalJson(details));
    }

    public JsonObject toJson() {
        return new JsonObject()
                .put("eventId", eventId.toString())
                .put("timestamp", timestamp.toString())
                .put("action", action)
                .put("outcome", outcome)
                .put("agentId", agentId == null ? null : agentId.toString())
                .put("actor", actor)
                .put("clientIp", clientIp)
                .put("requestId", requestId)
                .put("details", details);
    }

    static String canonicalJson(Object value) {
        if (value instanceof JsonObject object) {
            Map<String, Object> sorted = new TreeMap<>(object.getMap());
            StringBuilder out = new StringBuilder("{");
            sorted.forEach((key, item) -> {
                if (out.length() > 1) {
                    out.append(',');
                }
                out.append(scalar(key)).append(':').append(canonicalJson(wrap(item)));
            });
            return out.append('}').toString();
        }
        if (value instanceof JsonArray array) {
            StringBuilder out = new StringBuilder("[");
            for (int i = 0; i < array.size(); i++) {
                out.append(i == 0 ? "" : ",").append(canonicalJson(wrap(array.getValue(i))));
            }
            return out.append(']').toString();
        }
        return scalar(value);
    }

    private static String scalar(Object value) {
        String encoded = new JsonArray().add(value).encode();
        return encoded.substring(1, encoded.length() - 1);
    }

    @SuppressWarnings("unchecked")
    private static Object wrap(Object item) {
        if (item instanceof Map<?, ?> map) {
            return new JsonObject((Map<String, Object>) map);
        }
        if (item instanceof java.util.List<?> list) {
            return new JsonArray((java.util.List<Object>) list);
        }
        return item;
    }
}
