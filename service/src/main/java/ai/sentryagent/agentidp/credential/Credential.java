package ai.sentryagent.agentidp.credential;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/** A client credential as listed: never the secret, which exists only in the response that created it. */
public record Credential(
        UUID credentialId,
        UUID agentId,
        String clientId,
        Status status,
        Instant createdAt,
        Optional<Instant> expiresAt,
        Optional<Instant> revokedAt,
        Optional<UUID> replacedBy) {

    /** Whether the credential may still authenticate (expiry is checked separately). */
    public enum Status {
        ACTIVE,
        REVOKED;

        public String wireName() {
            return this == ACTIVE ? "active" : "revoked";
        }
    }

    /** The status a caller sees: an active credential past its expiry shows as {@code expired}. */
    public String effectiveStatus(Instant now) {
        if (status == Status.ACTIVE && expiresAt.isPresent() && !now.isBefore(expiresAt.get())) {
            return "expired";
        }
        return status.wireName();
    }

    public JsonObject toJson(Instant now) {
        return new JsonObject()
                .put("credentialId", credentialId.toString())
                .put("clientId", clientId)
                .put("status", effectiveStatus(now))
                .put("createdAt", createdAt.toString())
                .put("expiresAt", expiresAt.map(Instant::toString).orElse(null))
                .put("revokedAt", revokedAt.map(Instant::toString).orElse(null))
                .put("replacedBy", replacedBy.map(UUID::toString).orElse(null));
    }
}
