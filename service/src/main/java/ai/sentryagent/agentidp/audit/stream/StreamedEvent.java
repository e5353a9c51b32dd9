package ai.sentryagent.agentidp.audit.stream;

import ai.sentryagent.agentidp.audit.AuditEvent;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.UUID;

/**
 * One committed audit event as it travels on the topic: the event's fields, its place in the trail ({@code seq}) and
 * its link in the hash chain ({@code chain} version, {@code prev_hash}, {@code hash}, lower-case hex). Everything
 * the hash covers is in the message, so a consumer can recompute it ({@link TopicChain}).
 */
public record StreamedEvent(long seq, short chain, byte[] prevHash, byte[] hash, AuditEvent event) {
    private static final HexFormat HEX = HexFormat.of();

    /** The columns {@link #of(Row)} reads, in the relay's query. */
    static final String COLUMNS = "seq, chain, event_id, occurred_at, action, outcome, agent_id, actor, client_ip,"
            + " request_id, details, prev_hash, hash";

    static StreamedEvent of(Row row) {
        Object details = row.getValue("details");
        return new StreamedEvent(
                row.getLong("seq"),
                row.getShort("chain"),
                row.getBuffer("prev_hash").getBytes(),
                row.getBuffer("hash").getBytes(),
                new AuditEvent(
                        row.getUUID("event_id"),
                        row.getOffsetDateTime("occurred_at").toInstant(),
                        row.getString("action"),
                        row.getString("outcome"),
                        row.getUUID("agent_id"),
                        row.getString("actor"),
                        row.getString("client_ip"),
                        row.getString("request_id"),
                        details instanceof JsonObject json ? json : new JsonObject(String.valueOf(details))));
    }

    /** The message value: the event as the audit API renders it, plus {@code seq}, {@code chain} and the links. */
    public JsonObject toJson() {
        return event.toJson()
                .put("seq", seq)
                .put("chain", chain)
                .put("prev_hash", HEX.formatHex(prevHash))
                .put("hash", HEX.formatHex(hash));
    }

    /** Reads a message value; throws {@link IllegalArgumentException} saying what is wrong with it. */
    public static StreamedEvent fromJson(byte[] value) {
        try {
            JsonObject json = new JsonObject(io.vertx.core.buffer.Buffer.buffer(value));
            AuditEvent event = new AuditEvent(
                    UUID.fromString(required(json, "eventId")),
                    Instant.parse(required(json, "timestamp")),
                    required(json, "action"),
                    required(json, "outcome"),
                    json.getString("agentId") == null ? null : UUID.fromString(json.getString("agentId")),
                    required(json, "actor"),
                    json.getString("clientIp"),
                    json.getString("requestId"),
                    json.getJsonObject("details", new JsonObject()));
            Long seq = json.getLong("seq");
            Integer chain = json.getInteger("chain");
            if (seq == null || chain == null) {
                throw new IllegalArgumentException("the message has no seq or chain");
            }
            byte[] prev = HEX.parseHex(required(json, "prev_hash"));
            byte[] hash = HEX.parseHex(required(json, "hash"));
            if (prev.length != 32 || hash.length != 32) {
                throw new IllegalArgumentException("prev_hash and hash must be 32 bytes");
            }
            return new StreamedEvent(seq, chain.shortValue(), prev, hash, event);
        } catch (DecodeException | ClassCastException | DateTimeParseException e) {
            throw new IllegalArgumentException("the message is not an audit event: " + e.getMessage(), e);
        }
    }

    private static String required(JsonObject json, String field) {
        String value = json.getString(field);
        if (value == null) {
            throw new IllegalArgumentException("the message has no " + field);
        }
        return value;
    }
}
