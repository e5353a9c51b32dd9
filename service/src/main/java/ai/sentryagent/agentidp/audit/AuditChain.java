package ai.sentryagent.agentidp.audit;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * How events are chained (F-12). Version 2, every event since migration V4:
 * {@code hash = HMAC-SHA-256(AUDIT_CHAIN_KEY, "event" ‖ prev_hash ‖ canonical event)}, so whoever can write the
 * database but does not hold the key cannot recompute a consistent chain after an edit. Version 1, rows written
 * before V4: {@code SHA-256(canonical event ‖ prev_hash)}, verified as before; the first version-2 row is anchored on
 * the last version-1 hash. Checkpoints carry an HMAC too, so a checkpoint inserted behind the service's back is
 * recognised.
 */
public final class AuditChain {
    /** The chain versions stored in {@code audit_events.chain}. */
    static final short LEGACY = 1;

    static final short KEYED = 2;

    private static final byte[] EVENT = "agentidp audit event v2\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CHECKPOINT = "agentidp audit checkpoint v2\n".getBytes(StandardCharsets.US_ASCII);

    private final SecretKeySpec key;
    /** An initialised MAC per thread: looking one up and keying it costs more than hashing an event. */
    private final ThreadLocal<Mac> macs = ThreadLocal.withInitial(this::newMac);

    public AuditChain(byte[] key) {
        if (key.length < 32) {
            throw new IllegalArgumentException("the audit chain key must have at least 32 bytes");
        }
        this.key = new SecretKeySpec(key.clone(), "HmacSHA256");
    }

    /** The hash of {@code event} following {@code previous}, in the given chain version. */
    byte[] link(short version, byte[] previous, AuditEvent event) {
        byte[] canonical = event.canonical().getBytes(StandardCharsets.UTF_8);
        if (version == LEGACY) {
            MessageDigest sha256 = sha256();
            sha256.update(canonical);
            sha256.update(previous);
            return sha256.digest();
        }
        Mac mac = mac();
        mac.update(EVENT);
        mac.update(previous);
        mac.update(canonical);
        return mac.doFinal();
    }

    /** The MAC a genuine checkpoint (written by retention) carries. */
    byte[] checkpoint(long lastSeq, byte[] lastHash, long archivedCount) {
        Mac mac = mac();
        mac.update(CHECKPOINT);
        mac.update((lastSeq + "\n" + HexFormat.of().formatHex(lastHash) + "\n" + archivedCount)
                .getBytes(StandardCharsets.US_ASCII));
        return mac.doFinal();
    }

    private Mac mac() {
        return macs.get(); // doFinal leaves it reset for the next use
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA-256 is not available", e);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }
}
