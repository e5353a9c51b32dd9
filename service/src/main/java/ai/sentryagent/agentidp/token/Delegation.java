package ai.sentryagent.agentidp.token;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A delegation grant: the {@code subject} agent lets the {@code actor} agent act for it through token exchange
 * (RFC 8693), with at most these {@code scopes}, for at most these {@code audiences} (RFC 8707 resources of the
 * subject), along a chain of at most {@code maxDepth} actors, until {@code expiresAt} (empty: until revoked).
 */
public record Delegation(
        UUID delegationId,
        UUID subjectAgentId,
        UUID actorAgentId,
        List<String> scopes,
        List<String> audiences,
        int maxDepth,
        Optional<Instant> expiresAt,
        Instant createdAt,
        Optional<Instant> revokedAt) {

    public Delegation {
        scopes = List.copyOf(scopes);
        audiences = List.copyOf(audiences);
    }

    /** Not revoked, and not expired at {@code now}. */
    public boolean liveAt(Instant now) {
        return revokedAt.isEmpty() && expiresAt.map(now::isBefore).orElse(true);
    }

    /** What a new delegation is asked to be. */
    public record New(
            UUID subjectAgentId,
            UUID actorAgentId,
            List<String> scopes,
            List<String> audiences,
            int maxDepth,
            Optional<Instant> expiresAt) {
        public New {
            scopes = List.copyOf(scopes);
            audiences = List.copyOf(audiences);
        }
    }

    public JsonObject toJson() {
        JsonObject json = new JsonObject()
                .put("delegationId", delegationId.toString())
                .put("subjectAgentId", subjectAgentId.toString())
                .put("actorAgentId", actorAgentId.toString())
                .put("scopes", new JsonArray(scopes))
                .put("audiences", new JsonArray(audiences))
                .put("maxDepth", maxDepth)
                .put("expiresAt", expiresAt.map(Instant::toString).orElse(null))
                .put("createdAt", createdAt.toString())
                .put("revokedAt", revokedAt.map(Instant::toString).orElse(null));
        return json;
    }
}
