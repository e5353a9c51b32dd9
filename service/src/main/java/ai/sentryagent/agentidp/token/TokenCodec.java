package ai.sentryagent.agentidp.token;

import ai.sentryagent.agentidp.crypto.JwsSigner;
import ai.sentryagent.agentidp.crypto.SigningKeys;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Signs and verifies JWT access tokens (RFC 9068: header {@code typ: at+jwt} and {@code kid}), RS256 or ES256 as the
 * signing key decides. Verification accepts only a known {@code kid} with that key's algorithm, this issuer and
 * audience, and an unexpired token.
 */
public final class TokenCodec {
    static final int MAX_TOKEN_LENGTH = 8192;
    private static final Duration CLOCK_SKEW = Duration.ofSeconds(30);
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64_DECODE = Base64.getUrlDecoder();

    private final SigningKeys keys;
    private final String issuer;
    private final String audience;
    private final Duration ttl;
    private final Clock clock;
    private final String encodedHeader;
    private final JwsSigner signer;

    public TokenCodec(SigningKeys keys, JwsSigner signer, String issuer, String audience, Duration ttl, Clock clock) {
        this.keys = keys;
        this.issuer = issuer;
        this.audience = audience;
        this.ttl = ttl;
        this.clock = clock;
        JsonObject header = new JsonObject()
                .put("alg", signer.algorithm().name())
                .put("typ", "at+jwt")
                .put("kid", keys.current().kid());
        this.encodedHeader = B64.encodeToString(header.encode().getBytes(StandardCharsets.UTF_8));
        this.signer = signer;
    }

    /** Claims for a new token to the given agent. */
    public AccessToken newToken(String agentId, String clientId, List<String> scopes) {
        Instant now = clock.instant();
        return new AccessToken(
                issuer,
                agentId,
                clientId,
                audience,
                scopes,
                now,
                now.plus(ttl),
                UUID.randomUUID().toString());
    }

    public String sign(AccessToken token) {
        String payload = B64.encodeToString(token.toClaims().encode().getBytes(StandardCharsets.UTF_8));
        String signingInput = encodedHeader + "." + payload;
        return signingInput + "." + B64.encodeToString(signer.sign(signingInput.getBytes(StandardCharsets.US_ASCII)));
    }

    public long ttlSeconds() {
        return ttl.toSeconds();
    }

    /** The claims of a token this IdP issued and that is still valid; empty for anything else. */
    public Optional<AccessToken> verify(String token) {
        if (token == null || token.length() > MAX_TOKEN_LENGTH) {
            return Optional.empty();
        }
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3) {
            return Optional.empty();
        }
        try {
            JsonObject header = new JsonObject(new String(B64_DECODE.decode(parts[0]), StandardCharsets.UTF_8));
            if (!"at+jwt".equals(header.getValue("typ"))) {
                return Optional.empty();
            }
            Object kid = header.getValue("kid");
            Optional<SigningKeys.VerificationKey> key = keys.verificationKeys().stream()
                    .filter(k -> k.kid().equals(kid))
                    .findFirst();
            if (key.isEmpty()
                    || !key.get().algorithm().name().equals(header.getValue("alg"))
                    || !key.get()
                            .verifies(
                                    (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII),
                                    B64_DECODE.decode(parts[2]))) {
                return Optional.empty();
            }
            JsonObject claims = new JsonObject(new String(B64_DECODE.decode(parts[1]), StandardCharsets.UTF_8));
            return claims(claims);
        } catch (IllegalArgumentException | DecodeException | ClassCastException e) {
            return Optional.empty();
        }
    }

    private Optional<AccessToken> claims(JsonObject claims) {
        Instant now = clock.instant();
        if (!issuer.equals(claims.getValue("iss")) || !audienceMatches(claims.getValue("aud"))) {
            return Optional.empty();
        }
        Long exp = claims.getLong("exp");
        Long iat = claims.getLong("iat");
        String sub = claims.getString("sub");
        String clientId = claims.getString("client_id");
        String jti = claims.getString("jti");
        String scope = claims.getString("scope", "");
        if (exp == null || iat == null || sub == null || clientId == null || jti == null) {
            return Optional.empty();
        }
        Instant expiresAt = Instant.ofEpochSecond(exp);
        Instant issuedAt = Instant.ofEpochSecond(iat);
        if (!now.isBefore(expiresAt) || issuedAt.isAfter(now.plus(CLOCK_SKEW))) {
            return Optional.empty();
        }
        List<String> scopes = scope.isEmpty() ? List.of() : new ArrayList<>(Arrays.asList(scope.split(" ")));
        return Optional.of(new AccessToken(issuer, sub, clientId, audience, scopes, issuedAt, expiresAt, jti));
    }

    private boolean audienceMatches(Object aud) {
        if (aud instanceof String single) {
            return audience.equals(single);
        }
        return aud instanceof JsonArray many && many.contains(audience);
    }
}
