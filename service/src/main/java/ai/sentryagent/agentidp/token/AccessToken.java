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
        String jti,
        Optional<Delegation> delegation) {

    public AccessToken {
        scopes = List.copyOf(scopes);
        audience = List.copyOf(audience);
        if (audience.isEmpty()) {
            throw new IllegalArgumentException("a token has at least one audience");
        }
    }

    /** A token of the agent's own (not obtained by token exchange). */
    public AccessToken(
            String issuer,
            String subject,
            String clientId,
            List<String> audience,
            List<String> scopes,
            Instant issuedAt,
            Instant expiresAt,
            String jti) {
        this(issuer, subject, clientId, audience, scopes, issuedAt, expiresAt, jti, Optional.empty());
    }

    /**
     * What a token obtained by token exchange (RFC 8693) rests on. {@code act} is the RFC 8693 §4.1 actor claim,
     * the current actor outermost; {@code ancestors} the jtis of every token it was exchanged from (the subject
     * token first, then its own ancestors); {@code delegations} the ids of the delegations each hop used;
     * {@code maxDepth} the first delegation's bound on the chain; {@code resources} the RFC 8707 resources that
     * every delegation of the chain allows (the intersection of their audiences), which bound any later hop — a
     * token's own {@code aud} does not, since a hop that asked for no resource has the default audience. The last
     * four travel in the private claim {@value #DELEGATION_CLAIM}, so that a check of the token can refuse it when
     * any of them is revoked in the same Redis round trip as its own jti ({@link RevocationStore}), and so that the
     * next exchange can keep within what the earlier delegations gave.
     */
    public record Delegation(
            JsonObject act, List<String> ancestors, List<String> delegations, int maxDepth, List<String> resources) {
        public Delegation {
            act = act.copy();
            ancestors = List.copyOf(ancestors);
            delegations = List.copyOf(delegations);
            resources = List.copyOf(resources);
        }

        /** The actors, the current (outermost {@code act.sub}) first. */
        public List<String> actors() {
            List<String> actors = new java.util.ArrayList<>();
            for (JsonObject level = act; level != null; level = level.getJsonObject("act")) {
                actors.add(level.getString("sub"));
            }
            return actors;
        }

        JsonObject toClaim() {
            return new JsonObject()
                    .put("jti", new JsonArray(ancestors))
                    .put("ids", new JsonArray(delegations))
                    .put("max", maxDepth)
                    .put("res", new JsonArray(resources));
        }
    }

    /** The private claim holding a delegated token's ancestors, delegations and depth bound. */
    public static final String DELEGATION_CLAIM = "agentidp_dlg";

    /** A revoked delegation's member in the revocation store, in its own namespace (a jti is a UUID). */
    public static String delegationKey(String delegationId) {
        return "d:" + delegationId;
    }

    /**
     * Every revocation that deactivates this token: its own jti, its ancestors' and its delegations' — checked
     * together, so revoking any token or delegation a token was derived from deactivates it at every depth.
     */
    public List<String> revocationKeys() {
        if (delegation.isEmpty()) {
            return List.of(jti);
        }
        List<String> keys = new java.util.ArrayList<>();
        keys.add(jti);
        keys.addAll(delegation.get().ancestors());
        delegation.get().delegations().forEach(id -> keys.add(delegationKey(id)));
        return keys;
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
                : new AccessToken(issuer, subject, clientId, audience, kept, issuedAt, expiresAt, jti, delegation);
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
                        : new AccessToken(
                                issuer, subject, clientId, kept, scopes, issuedAt, expiresAt, jti, delegation));
    }

    public boolean hasScope(String scope) {
        return scopes.contains(scope);
    }

    JsonObject toClaims() {
        JsonObject claims = new JsonObject()
                .put("iss", issuer)
                .put("sub", subject)
                .put("aud", aud())
                .put("client_id", clientId)
                .put("scope", scope())
                .put("iat", issuedAt.getEpochSecond())
                .put("exp", expiresAt.getEpochSecond())
                .put("jti", jti);
        delegation.ifPresent(d -> claims.put("act", d.act().copy()).put(DELEGATION_CLAIM, d.toClaim()));
        return claims;
    }

    /** The RFC 7662 introspection answer for an active token; a delegated token's {@code act} (RFC 8693 §4.1). */
    public JsonObject toIntrospection() {
        JsonObject answer = new JsonObject()
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
        delegation.ifPresent(d -> answer.put("act", d.act().copy()));
        return answer;
    }
}
