package ai.sentryagent.agentidp.token;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The claims of an RFC 9068 access token issued by this IdP.
 *
 * @param subject the agent id ({@code sub})
 * @param clientId the client that obtained the token ({@code client_id}); equals the agent id for agents
 * @param audience the {@code aud}: {@code TOKEN_AUDIENCE}, or the RFC 8707 resources the token was asked for —
 *     written as a string when there is one and as an array when there are several (RFC 7519 §4.1.3)
 */
public record AccessToken(
        String issuer,
        String subject,
        String clientId,
        List<String> audience,
        List<String> scopes,
        Instant issuedAt,
        Instant expiresAt,
        String jti) {

    public AccessToken {
        scopes = List.copyOf(scopes);
        audience = List.copyOf(audience);
        if (audience.isEmpty()) {
            throw new IllegalArgumentException("a token has at least one audience");
        }
    }

    /** The {@code aud} claim as issued: one audience is a string, several an array (RFC 7519 §4.1.3). */
    public Object aud() {
        return audience.size() == 1 ? audience.get(0) : new JsonArray(audience);
    }

    /** The space-separated {@code scope} claim. */
    public String scope() {
        return String.join(" ", scopes);
    }

    /** The same token, granting only {@code current}: the scopes it was issued with that the agent still holds. */
    public AccessToken narrowedTo(List<String> current) {
        List<String> kept = scopes.stream().filter(current::contains).toList();
        return kept.size() == scopes.size()
                ? this
                : new AccessToken(issuer, subject, clientId, audience, kept, issuedAt, expiresAt, jti);
    }

    /**
     * The same token, for only the audiences that still hold: the default audience, and the RFC 8707 resources the
     * agent still has registered. Empty when none is left — a token bound only to resources the agent lost.
     */
    public Optional<AccessToken> narrowedToAudiences(String defaultAudience, List<String> registered) {
        List<String> kept = audience.stream()
                .filter(aud -> aud.equals(defaultAudience) || registered.contains(aud))
                .toList();
        if (kept.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(
                kept.size() == audience.size()
                        ? this
                        : new AccessToken(issuer, subject, clientId, kept, scopes, issuedAt, expiresAt, jti));
    }

    public boolean hasScope(String scope) {
        return scopes.contains(scope);
    }

    JsonObject toClaims() {
        return new JsonObject()
                .put("iss", issuer)
                .put("sub", subject)
                .put("aud", aud())
                .put("client_id", clientId)
                .put("scope", scope())
                .put("iat", issuedAt.getEpochSecond())
                .put("exp", expiresAt.getEpochSecond())
                .put("jti", jti);
    }

    /** The RFC 7662 introspection answer for an active token. */
    public JsonObject toIntrospection() {
        return new JsonObject()
                .put("active", true)
                .put("token_type", "Bearer")
                .put("iss", issuer)
                .put("sub", subject)
                .put("aud", aud())
                .put("client_id", clientId)
                .put("scope", scope())
                .put("iat", issuedAt.getEpochSecond())
                .put("exp", expiresAt.getEpochSecond())
                .put("jti", jti);
    }
}
