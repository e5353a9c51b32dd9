package ai.sentryagent.agentidp.audit.stream;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verifies the audit chain from the topic alone, message by message in topic order. Delivery is at least once, so a
 * message whose {@code seq} was verified already is a duplicate: skipped when identical, a break when it differs.
 * Every other message must link to the chain's head ({@code prev_hash} = the previous event's {@code hash}, with a
 * rising {@code seq}); one that does not yet is held until its predecessor arrives, and one still held at the end
 * is a break. Without the chain key only the links are checked (an edited event keeps its stored hash); with it,
 * every keyed event's hash is recomputed, which is what shows an edit.
 *
 * <p>The hashes, as {@code AuditChain} writes them: version 2 {@code HMAC-SHA-256(AUDIT_CHAIN_KEY, "agentidp audit
 * event v2\n" ‖ prev_hash ‖ canonical)}; version 1 (rows older than migration V4) {@code SHA-256(canonical ‖
 * prev_hash)}; {@code canonical} as {@code AuditEvent.canonical()} defines it.
 */
public final class TopicChain {
    private static final byte[] EVENT_V2 = "agentidp audit event v2\n".getBytes(StandardCharsets.US_ASCII);
    private static final HexFormat HEX = HexFormat.of();

    private final Optional<Mac> mac;
    /**
     * A digest of every verified message's content, links included, by seq: how a duplicate is told from a replay
     * with other content (which, without the key, could keep the stored hash).
     */
    private final Map<Long, byte[]> verified = new HashMap<>();
    /** Messages that do not link yet, by the hash they follow. */
    private final Map<String, StreamedEvent> waiting = new HashMap<>();

    private StreamedEvent head;
    private long duplicates;
    private long messages;
    private Optional<JsonObject> broken = Optional.empty();

    /** A verifier; with the chain key also the events' hashes are recomputed. */
    public TopicChain(Optional<byte[]> chainKey) {
        this.mac = chainKey.map(TopicChain::mac);
    }

    /** Takes the next message in topic order; returns false once the chain is broken. */
    public boolean accept(byte[] value) {
        if (broken.isPresent()) {
            return false;
        }
        messages++;
        StreamedEvent event;
        try {
            event = StreamedEvent.fromJson(value);
        } catch (IllegalArgumentException e) {
            return breakAt(-1, "message " + messages + " is not an audit event: " + e.getMessage());
        }
        byte[] seen = verified.get(event.seq());
        byte[] fingerprint = fingerprint(event);
        if (seen != null || (head != null && event.seq() <= head.seq())) {
            if (seen == null) {
                return breakAt(event.seq(), "an event behind the chain's head that is not on the chain (inserted)");
            }
            if (!MessageDigest.isEqual(seen, fingerprint)) {
                return breakAt(event.seq(), "a second, different event with an already verified seq");
            }
            duplicates++;
            return true;
        }
        if (head != null && !MessageDigest.isEqual(event.prevHash(), head.hash())) {
            StreamedEvent other = waiting.putIfAbsent(HEX.formatHex(event.prevHash()), event);
            if (other != null && !MessageDigest.isEqual(other.hash(), event.hash())) {
                return breakAt(event.seq(), "two different events follow the same prev_hash (a fork)");
            }
            return true;
        }
        if (!link(event)) {
            return false;
        }
        for (StreamedEvent next; (next = waiting.remove(HEX.formatHex(head.hash()))) != null; ) {
            if (next.seq() <= head.seq() || !link(next)) {
                return broken.isEmpty()
                        ? breakAt(next.seq(), "seq does not rise along the chain (events reordered)")
                        : false;
            }
        }
        return true;
    }

    private boolean link(StreamedEvent event) {
        if (mac.isPresent() || event.chain() == 1) {
            byte[] expected = expectedHash(event);
            if (expected == null) {
                return breakAt(event.seq(), "unknown chain version " + event.chain());
            }
            if (!MessageDigest.isEqual(expected, event.hash())) {
                return breakAt(
                        event.seq(),
                        "hash does not match the event's content (the event was changed, or forged without the"
                                + " chain key)");
            }
        }
        if (head != null && head.chain() == 2 && event.chain() != 2) {
            return breakAt(event.seq(), "an unkeyed event after keyed ones");
        }
        verified.put(event.seq(), fingerprint(event));
        head = event;
        return true;
    }

    private byte[] expectedHash(StreamedEvent event) {
        byte[] canonical = event.event().canonical().getBytes(StandardCharsets.UTF_8);
        if (event.chain() == 1) {
            try {
                MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
                sha256.update(canonical);
                sha256.update(event.prevHash());
                return sha256.digest();
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("SHA-256 is not available", e);
            }
        }
        if (event.chain() != 2) {
            return null;
        }
        Mac keyed = mac.orElseThrow();
        keyed.update(EVENT_V2);
        keyed.update(event.prevHash());
        keyed.update(canonical);
        return keyed.doFinal();
    }

    private static byte[] fingerprint(StreamedEvent event) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update(event.event().canonical().getBytes(StandardCharsets.UTF_8));
            sha256.update(event.prevHash());
            sha256.update(event.hash());
            sha256.update((byte) event.chain());
            return sha256.digest();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    private boolean breakAt(long seq, String reason) {
        broken = Optional.of(new JsonObject().put("seq", seq).put("reason", reason));
        return false;
    }

    /** The verdict over everything accepted so far; events still waiting for their predecessor are a break. */
    public JsonObject result() {
        Optional<JsonObject> at = broken;
        if (at.isEmpty() && !waiting.isEmpty()) {
            long first = waiting.values().stream()
                    .mapToLong(StreamedEvent::seq)
                    .min()
                    .orElse(-1);
            at = Optional.of(new JsonObject()
                    .put("seq", first)
                    .put(
                            "reason",
                            waiting.size() + " events do not link to the chain (an event before them is missing"
                                    + " from the topic)"));
        }
        JsonObject result = new JsonObject()
                .put("valid", at.isEmpty())
                .put("messages", messages)
                .put("events", verified.size())
                .put("duplicates", duplicates)
                .put("hashesChecked", mac.isPresent() ? "all" : "links only (set AUDIT_CHAIN_KEY to check hashes)");
        if (head != null) {
            result.put("lastSeq", head.seq()).put("head", HEX.formatHex(head.hash()));
        }
        at.ifPresent(b -> result.put("brokenAt", b));
        return result;
    }

    public boolean valid() {
        return result().getBoolean("valid");
    }

    private static Mac mac(byte[] key) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA-256 is not available", e);
        }
    }
}
