package ai.sentryagent.agentidp.token;

import ai.sentryagent.agentidp.agent.ResourceIndicator;
import ai.sentryagent.agentidp.credential.ClientRecord;
import ai.sentryagent.agentidp.crypto.JwsAlgorithm;
import ai.sentryagent.agentidp.crypto.JwsSigner;
import ai.sentryagent.agentidp.crypto.LowS;
import ai.sentryagent.agentidp.crypto.SigningKeys;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.util.Base64URL;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Issues, signs and verifies JWT access tokens (RFC 9068: header {@code typ: at+jwt} and {@code kid}), RS256 or ES256
 * as the signing key decides. A grant that has decided whom it issues to, with which scopes, hands them to
 * {@link #issue}, which applies the RFC 8707 {@code resource} rule and signs.
 *
 * <p>Verification accepts only a token spelled exactly as this service spells its tokens: the header byte for byte
 * what it writes for that key (so no {@code crit}, no extra parameters), the payload the compact JSON its claims
 * re-encode to, every segment unpadded canonical base64url, an ES256 signature in its low-S form — so one token has
 * one spelling, and a re-spelled copy is no token at all. Then this issuer and audience, an unexpired token, and an
 * {@code nbf}, if any, that has passed. The audience depends on who asks:
 * {@link #verify} is for this service's own API and wants {@code TOKEN_AUDIENCE} among the {@code aud}, so a token
 * bound to other resources (RFC 8707) is no key to it; {@link #verifyIssued} is for introspection and revocation,
 * which answer for every token this issuer signed, whatever its audience.
 *
 * <p>The JWS itself (signing input, signature, compact form, signature verification) is Nimbus's. The claims are
 * written and read with Vert.x's JSON: the very bytes the canonical-payload rule re-encodes to, at about 1 µs per
 * token (bench/results/jose-2026-12-02.txt has the per-token cost against the hand-written JWS this replaced).
 */
public final class TokenCodec {
    static final int MAX_TOKEN_LENGTH = 8192;
    /** Allowed for {@code iat} in the future and {@code nbf} (RFC 7519 §4.1.5: "some small leeway"). */
    private static final Duration CLOCK_SKEW = Duration.ofSeconds(30);

    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64_DECODE = Base64.getUrlDecoder();

    /** What a token signed with one key must look like, and how its signature is checked. */
    private record Verification(JwsAlgorithm algorithm, JWSHeader header, JWSVerifier verifier) {}

    private final String issuer;
    private final String audience;
    private final Duration ttl;
    private final Clock clock;
    private final JWSHeader signingHeader;
    /** By the exact encoded header this service writes for each key. */
    private final Map<String, Verification> verifications;

    private final JwsSigner signer;

    public TokenCodec(SigningKeys keys, JwsSigner signer, String issuer, String audience, Duration ttl, Clock clock) {
        this.issuer = issuer;
        this.audience = audience;
        this.ttl = ttl;
        this.clock = clock;
        Map<String, Verification> verifications = new HashMap<>();
        for (SigningKeys.VerificationKey key : keys.verificationKeys()) {
            JWSHeader header = header(key.algorithm().name(), key.kid());
            JWSVerifier verifier = key.kid().equals(keys.current().kid())
                    ? withSignersProvider(key.verifier(), signer, header)
                    : key.verifier();
            verifications.put(header.toBase64URL().toString(), new Verification(key.algorithm(), header, verifier));
        }
        this.verifications = Map.copyOf(verifications);
        this.signingHeader =
                header(keys.current().algorithm().name(), keys.current().kid());
        this.signer = signer;
    }

    /**
     * The current key's verifier on the provider that signs (the Amazon Corretto Crypto Provider where it loads):
     * the JDK's own P-256 verification costs several times an ACCP one, and token exchange, introspection and every
     * bearer call verify a token. Used only when it accepts a signature of the signer's and refuses the same
     * signature over other bytes; else the JDK's.
     */
    private static JWSVerifier withSignersProvider(JWSVerifier jdk, JwsSigner signer, JWSHeader header) {
        java.security.Provider provider = signer.getJCAContext().getProvider();
        if (provider == null) {
            return jdk;
        }
        try {
            JWSVerifier fast = jdk instanceof com.nimbusds.jose.crypto.ECDSAVerifier ec
                    ? new com.nimbusds.jose.crypto.ECDSAVerifier(ec.getPublicKey())
                    : new com.nimbusds.jose.crypto.RSASSAVerifier(
                            ((com.nimbusds.jose.crypto.RSASSAVerifier) jdk).getPublicKey());
            fast.getJCAContext().setProvider(provider);
            byte[] probe = "agentidp verifier probe".getBytes(StandardCharsets.US_ASCII);
            Base64URL signature = signer.sign(header, probe);
            byte[] other = "agentidp verifier probf".getBytes(StandardCharsets.US_ASCII);
            if (fast.verify(header, probe, signature) && !fast.verify(header, other, signature)) {
                return fast;
            }
        } catch (JOSEException | RuntimeException e) {
            // the JDK's verifier below
        }
        return jdk;
    }

    /**
     * The header, spelled by Vert.x's JSON as this service always has, and parsed by Nimbus from those bytes so
     * that Nimbus reuses them instead of re-serialising the header for every token.
     */
    private static JWSHeader header(String alg, String kid) {
        JsonObject header =
                new JsonObject().put("alg", alg).put("typ", "at+jwt").put("kid", kid);
        try {
            return JWSHeader.parse(Base64URL.encode(header.encode().getBytes(StandardCharsets.UTF_8)));
        } catch (ParseException e) {
            throw new IllegalStateException("a JWS header Nimbus cannot read", e);
        }
    }

    /** A signed token and its claims. */
    public record Issued(String jwt, AccessToken claims, long expiresIn) {}

    /**
     * Issues a token to {@code client} with these scopes, each already checked to be the client's, bound to the
     * {@code resource} parameters among {@code parameters} (RFC 8707): each must be one of the agent's registered
     * resources, and the token's {@code aud} is then exactly the resources asked for — without any, it is
     * {@code TOKEN_AUDIENCE}. The answer is {@link GrantOutcome.Issued}, or {@link GrantOutcome.InvalidTarget} naming
     * the first resource refused. Every grant that issues to the client it authenticated comes through here, so each
     * gets the same {@code resource} rule; which scopes the token carries is the grant's decision. The resources come
     * from the client's cached record, so this costs no round trip.
     */
    public GrantOutcome issue(ClientRecord client, List<String> scopes, Grant.Parameters parameters) {
        Optional<GrantOutcome.InvalidTarget> refused = targetRefusal(client, parameters);
        if (refused.isPresent()) {
            return refused.get();
        }
        List<String> resources = List.copyOf(new LinkedHashSet<>(parameters.all("resource")));
        AccessToken claims = newToken(
                client.agentId().toString(), client.clientId(), scopes, client.tokensRevokedBefore(), resources);
        String jwt = sign(claims);
        if (jwt.length() > MAX_TOKEN_LENGTH) {
            // Only reachable with many long resources and scopes together: a token this service would refuse to
            // introspect or revoke is not issued.
            return new GrantOutcome.InvalidTarget("the token for these resources would be longer than "
                    + MAX_TOKEN_LENGTH + " characters; ask for fewer resources or scopes");
        }
        return new GrantOutcome.Issued(client, new Issued(jwt, claims, ttlSeconds()));
    }

    /**
     * Why {@link #issue} would refuse the {@code resource} parameters, without signing anything: a grant that spends
     * something single-use (an assertion's {@code jti}) checks this first, so that a mistyped resource does not burn
     * it, then spends it, then signs.
     */
    public Optional<GrantOutcome.InvalidTarget> targetRefusal(ClientRecord client, Grant.Parameters parameters) {
        for (String resource : new LinkedHashSet<>(parameters.all("resource"))) {
            var problem = ResourceIndicator.problem(resource);
            if (problem.isPresent()) {
                return Optional.of(
                        new GrantOutcome.InvalidTarget("resource " + printable(resource) + " " + problem.get()));
            }
            if (!client.resources().contains(resource)) {
                return Optional.of(new GrantOutcome.InvalidTarget(
                        "resource " + printable(resource) + " is not one of the client's registered resources"));
            }
        }
        return Optional.empty();
    }

    /** Printable ASCII, cut to a length that keeps the description a line, for an error a client reads. */
    private static String printable(String value) {
        String cut = value.length() > 80 ? value.substring(0, 80) + "..." : value;
        return cut.replaceAll("[^\\x21-\\x7E]", "?");
    }

    /**
     * Claims for a new token to the given agent. {@code cutOff} is the agent's token cut-off (tokens with an earlier
     * {@code iat} are revoked): a token issued in the same second as a revocation, but after it, gets the cut-off as
     * its {@code iat} — up to a second ahead — so that it stays valid while every token from before the revocation
     * does not. {@code resources} are the RFC 8707 resources the token is for, already checked to be the agent's:
     * they are its {@code aud}; without any, the audience is {@code TOKEN_AUDIENCE}.
     */
    public AccessToken newToken(
            String agentId, String clientId, List<String> scopes, Optional<Instant> cutOff, List<String> resources) {
        Instant now = clock.instant();
        Instant issuedAt = cutOff.filter(now::isBefore).orElse(now);
        return new AccessToken(
                issuer,
                agentId,
                clientId,
                resources.isEmpty() ? List.of(audience) : resources,
                scopes,
                issuedAt,
                issuedAt.plus(ttl),
                UUID.randomUUID().toString());
    }

    /**
     * Claims for a token obtained by token exchange (RFC 8693): {@code subject} acted for by {@code clientId}, valid
     * until {@code expiresAt} (the grant's decision: never past the subject token's), with the subject's cut-off
     * applied to {@code iat} like {@link #newToken}.
     */
    public AccessToken newDelegatedToken(
            String subject,
            String clientId,
            List<String> scopes,
            Optional<Instant> cutOff,
            List<String> resources,
            Instant expiresAt,
            AccessToken.Delegation delegation) {
        Instant now = clock.instant();
        Instant issuedAt = cutOff.filter(now::isBefore).orElse(now);
        return new AccessToken(
                issuer,
                subject,
                clientId,
                resources.isEmpty() ? List.of(audience) : resources,
                scopes,
                issuedAt,
                expiresAt,
                UUID.randomUUID().toString(),
                Optional.of(delegation));
    }

    public Clock clock() {
        return clock;
    }

    public String sign(AccessToken token) {
        // The JDK's encoder: measurably cheaper per token than Nimbus's own Base64URL.encode.
        Payload payload = new Payload(
                new Base64URL(B64.encodeToString(token.toClaims().encode().getBytes(StandardCharsets.UTF_8))));
        JWSObject jws = new JWSObject(signingHeader, payload);
        try {
            jws.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("token signing failed", e);
        }
        return jws.serialize();
    }

    /** {@code TOKEN_AUDIENCE}: the audience of a token asked for no resource, and of this service's own API. */
    public String defaultAudience() {
        return audience;
    }

    public long ttlSeconds() {
        return ttl.toSeconds();
    }

    /**
     * The claims of a token this IdP issued for its own API ({@code TOKEN_AUDIENCE} among its {@code aud}) that is
     * still valid; empty for anything else.
     */
    public Optional<AccessToken> verify(String token) {
        return verifyIssued(token).filter(claims -> claims.audience().contains(audience));
    }

    /** The claims of a token this IdP issued, for any audience, that is still valid; empty for anything else. */
    public Optional<AccessToken> verifyIssued(String token) {
        if (token == null || token.length() > MAX_TOKEN_LENGTH) {
            return Optional.empty();
        }
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3) {
            return Optional.empty();
        }
        // The exact header this service writes for one of its keys: any other spelling, an unknown kid, and any
        // other parameter — crit above all, which a recipient that does not understand it must refuse (RFC 7515
        // §4.1.11) — is refused.
        Verification verification = verifications.get(parts[0]);
        if (verification == null) {
            return Optional.empty();
        }
        try {
            byte[] signature = B64_DECODE.decode(parts[2]);
            if (!B64.encodeToString(signature).equals(parts[2])
                    || (verification.algorithm() == JwsAlgorithm.ES256 && !LowS.isCanonical(signature))
                    || !verification
                            .verifier()
                            .verify(
                                    verification.header(),
                                    (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII),
                                    new Base64URL(parts[2]))) {
                return Optional.empty();
            }
            byte[] payload = B64_DECODE.decode(parts[1]);
            JsonObject claims = new JsonObject(new String(payload, StandardCharsets.UTF_8));
            // Canonical payload: padding, non-zero trailing bits, whitespace, escapes, duplicate members and
            // invalid UTF-8 all re-encode to something else.
            if (!B64.encodeToString(claims.encode().getBytes(StandardCharsets.UTF_8))
                    .equals(parts[1])) {
                return Optional.empty();
            }
            return claims(claims);
        } catch (JOSEException | IllegalArgumentException | DecodeException | ClassCastException e) {
            return Optional.empty();
        }
    }

    private Optional<AccessToken> claims(JsonObject claims) {
        Instant now = clock.instant();
        Optional<List<String>> aud = audience(claims.getValue("aud"));
        if (!issuer.equals(claims.getValue("iss")) || aud.isEmpty()) {
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
        Object nbf = claims.getValue("nbf");
        if (nbf != null
                && (!(nbf instanceof Number notBefore)
                        || Instant.ofEpochSecond(notBefore.longValue()).isAfter(now.plus(CLOCK_SKEW)))) {
            return Optional.empty(); // RFC 7519 §4.1.5
        }
        List<String> scopes = scope.isEmpty() ? List.of() : new ArrayList<>(Arrays.asList(scope.split(" ")));
        Object act = claims.getValue("act");
        Object chain = claims.getValue(AccessToken.DELEGATION_CLAIM);
        if (act == null && chain == null) {
            return Optional.of(new AccessToken(issuer, sub, clientId, aud.get(), scopes, issuedAt, expiresAt, jti));
        }
        // This issuer writes both or neither; a token with one alone is not one of its tokens.
        Optional<AccessToken.Delegation> delegation = delegation(act, chain);
        if (delegation.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(
                new AccessToken(issuer, sub, clientId, aud.get(), scopes, issuedAt, expiresAt, jti, delegation));
    }

    /** The RFC 8693 §4.1 {@code act} (nested objects each with a string {@code sub}) and the private chain claim. */
    private static Optional<AccessToken.Delegation> delegation(Object act, Object chain) {
        if (!(act instanceof JsonObject actor) || !(chain instanceof JsonObject dlg)) {
            return Optional.empty();
        }
        for (Object level = actor; level != null; level = ((JsonObject) level).getValue("act")) {
            if (!(level instanceof JsonObject object) || !(object.getValue("sub") instanceof String)) {
                return Optional.empty();
            }
        }
        Optional<List<String>> ancestors = strings(dlg.getValue("jti"));
        Optional<List<String>> ids = strings(dlg.getValue("ids"));
        // The resources the chain's delegations all allow may be none.
        Optional<List<String>> resources = dlg.getValue("res") instanceof JsonArray res && res.isEmpty()
                ? Optional.of(List.of())
                : strings(dlg.getValue("res"));
        if (ancestors.isEmpty()
                || ids.isEmpty()
                || resources.isEmpty()
                || !(dlg.getValue("max") instanceof Integer max)) {
            return Optional.empty();
        }
        return Optional.of(new AccessToken.Delegation(actor, ancestors.get(), ids.get(), max, resources.get()));
    }

    private static Optional<List<String>> strings(Object value) {
        if (!(value instanceof JsonArray array) || array.isEmpty()) {
            return Optional.empty();
        }
        List<String> values = new ArrayList<>();
        for (Object item : array) {
            if (!(item instanceof String string)) {
                return Optional.empty();
            }
            values.add(string);
        }
        return Optional.of(values);
    }

    /** RFC 7519 §4.1.3: a string, or a non-empty array of strings; empty for anything else. */
    private static Optional<List<String>> audience(Object aud) {
        if (aud instanceof String single) {
            return Optional.of(List.of(single));
        }
        if (!(aud instanceof JsonArray many) || many.isEmpty()) {
            return Optional.empty();
        }
        List<String> values = new ArrayList<>();
        for (Object value : many) {
            if (!(value instanceof String string)) {
                return Optional.empty();
            }
            values.add(string);
        }
        return Optional.of(values);
    }
}
