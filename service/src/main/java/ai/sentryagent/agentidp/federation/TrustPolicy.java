package ai.sentryagent.agentidp.federation;

import com.nimbusds.jose.jwk.JWKSet;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Which external tokens may be exchanged for a token of {@code agentId}: issued by {@code issuer} (exactly), for
 * {@code audience}, with {@code subject} and {@code claims} when set. {@code claims} maps a claim name to a string or
 * a {@link JsonArray} of allowed strings — exact matches, never patterns, so a policy reads as what it admits.
 */
public record TrustPolicy(
        UUID trustPolicyId,
        String name,
        String issuer,
        KeySource keys,
        String audience,
        Optional<String> subject,
        JsonObject claims,
        UUID agentId,
        List<String> scopes,
        Instant createdAt) {

    public TrustPolicy {
        scopes = List.copyOf(scopes);
        claims = claims.copy();
    }

    /** Where the issuer's public keys come from. */
    public sealed interface KeySource {
        /** The cache key: one cache entry, one refetch budget per source. */
        String id();

        /** Keys given with the policy (a SPIFFE trust bundle, a cluster's service-account keys). */
        record Inline(JWKSet keys) implements KeySource {
            @Override
            public String id() {
                return "inline";
            }
        }

        /** A JWKS document at a URL. */
        record Uri(String uri) implements KeySource {
            @Override
            public String id() {
                return "jwks " + uri;
            }
        }

        /** The {@code jwks_uri} of the issuer's {@code /.well-known/openid-configuration} (OIDC Discovery §4). */
        record Discovery(String issuer) implements KeySource {
            @Override
            public String id() {
                return "discovery " + issuer;
            }
        }
    }

    /**
     * Whether the assertion's claims satisfy {@code claims}: every named claim present as a string equal to the
     * allowed value or to one of the allowed values. A claim of another type (a number, a list) never matches.
     */
    public boolean claimsMatch(Map<String, Object> actual) {
        for (String name : claims.fieldNames()) {
            Object value = actual.get(name);
            if (!(value instanceof String text)) {
                return false;
            }
            Object allowed = claims.getValue(name);
            boolean matched = allowed instanceof JsonArray list ? list.contains(text) : text.equals(allowed);
            if (!matched) {
                return false;
            }
        }
        return true;
    }

    public JsonObject toJson() {
        JsonObject json = new JsonObject()
                .put("trustPolicyId", trustPolicyId.toString())
                .put("name", name)
                .put("issuer", issuer);
        if (keys instanceof KeySource.Inline inline) {
            json.put("jwks", new JsonObject(inline.keys().toJSONObject(true)));
        } else if (keys instanceof KeySource.Uri uri) {
            json.put("jwksUri", uri.uri());
        }
        return json.put("audience", audience)
                .put("subject", subject.orElse(null))
                .put("claims", claims.copy())
                .put("agentId", agentId.toString())
                .put("scopes", new JsonArray(scopes))
                .put("createdAt", createdAt.toString());
    }
}
