package ai.sentryagent.agentidp.token;

import ai.sentryagent.agentidp.credential.ClientRecord;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The checks of a {@code private_key_jwt} client assertion (RFC 7523 §3, OIDC Core §9, issue 16 §1), against the
 * client's registered keys; everything here is in memory. What is checked, in order:
 *
 * <ul>
 *   <li>a JWS (an unsecured JWT, {@code alg: none}, does not parse as one) signed with RS256, PS256 or ES256 — HS* are
 *       refused before any key is touched, so a client secret can never serve as an HMAC key;
 *   <li>the key named by {@code kid} (or, without one, any registered key of the right type) verifies it, and its
 *       declared {@code alg}, when it has one, is the header's;
 *   <li>{@code iss} = {@code sub} = the client id; a {@code client_id} parameter, when sent, equals it;
 *   <li>{@code aud} contains the issuer identifier or the token endpoint URL;
 *   <li>{@code exp} present, not past (60 s of skew), at most 10 minutes ahead (plus the skew);
 *   <li>{@code iat} and {@code nbf}, when present, not beyond the skew in the future;
 *   <li>{@code jti} present; its single use is {@link AssertionReplay}'s, after these checks.
 * </ul>
 *
 * Each refusal names its check for the audit event only; the client is told {@code invalid_client}, nothing more.
 */
public final class ClientAssertions {
    static final Duration SKEW = Duration.ofSeconds(60);
    static final Duration MAX_AHEAD = Duration.ofMinutes(10);
    static final int MAX_JTI_LENGTH = 256;
    private static final Set<JWSAlgorithm> ACCEPTED =
            Set.of(JWSAlgorithm.RS256, JWSAlgorithm.PS256, JWSAlgorithm.ES256);

    /** What the checks concluded. */
    sealed interface Checked {}

    /** Every check passed; the {@code jti} is still to be claimed, until {@code expiresAt}. */
    record Valid(String jti, Instant expiresAt) implements Checked {}

    /** A check failed; {@code reason} goes to the audit trail only. */
    record Invalid(String reason) implements Checked {}

    private final Set<String> audiences;
    private final Clock clock;

    /** {@code issuer}: this server's issuer identifier; the token endpoint URL is derived from it. */
    public ClientAssertions(String issuer, Clock clock) {
        this.audiences = Set.of(issuer, issuer + "/api/v1/token");
        this.clock = clock;
    }

    Checked check(ClientCredential.Assertion presented, ClientRecord client) {
        SignedJWT jwt;
        try {
            // Parsed once, when the request was read (ClientCredential.Assertion.of); else here.
            jwt = presented.parsed().isPresent() ? presented.parsed().get() : SignedJWT.parse(presented.assertion());
        } catch (ParseException | RuntimeException e) {
            return new Invalid("assertion_not_a_jws");
        }
        JWSHeader header = jwt.getHeader();
        if (!ACCEPTED.contains(header.getAlgorithm())) {
            return new Invalid("alg_not_accepted");
        }
        Optional<String> signature = signature(jwt, header, client.keys());
        if (signature.isPresent()) {
            return new Invalid(signature.get());
        }
        JWTClaimsSet claims;
        try {
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            return new Invalid("claims_not_json");
        }
        return claims(claims, presented, client.clientId());
    }

    private static Optional<String> signature(SignedJWT jwt, JWSHeader header, List<ClientRecord.StoredKey> keys) {
        String kid = header.getKeyID();
        boolean candidate = false;
        for (ClientRecord.StoredKey key : keys) {
            if (kid != null && !kid.equals(key.kid())) {
                continue;
            }
            JWK jwk = key.jwk();
            if (jwk.getAlgorithm() != null && !jwk.getAlgorithm().equals(header.getAlgorithm())) {
                continue;
            }
            if (!fits(jwk, header.getAlgorithm())) {
                continue;
            }
            candidate = true;
            try {
                if (jwt.verify(key.verifier())) {
                    return Optional.empty();
                }
            } catch (JOSEException | RuntimeException e) {
                // a header the verifier refuses (e.g. crit) is a bad signature, not a server error
            }
        }
        return Optional.of(candidate ? "signature_invalid" : kid == null ? "no_matching_key" : "unknown_kid");
    }

    /** RSA keys verify RS256 and PS256, P-256 keys ES256 (the only EC curve registration lets in). */
    private static boolean fits(JWK jwk, JWSAlgorithm alg) {
        return jwk instanceof RSAKey ? JWSAlgorithm.Family.RSA.contains(alg) : JWSAlgorithm.ES256.equals(alg);
    }

    private Checked claims(JWTClaimsSet claims, ClientCredential.Assertion presented, String clientId) {
        if (!clientId.equals(claims.getIssuer())) {
            return new Invalid("iss_not_client_id");
        }
        if (!clientId.equals(claims.getSubject())) {
            return new Invalid("sub_not_client_id");
        }
        if (presented.declaredClientId().isPresent()
                && !presented.declaredClientId().get().equals(clientId)) {
            return new Invalid("client_id_not_iss");
        }
        List<String> aud = claims.getAudience();
        if (aud == null || aud.stream().noneMatch(audiences::contains)) {
            return new Invalid("aud_mismatch");
        }
        Instant now = clock.instant();
        Date exp = claims.getExpirationTime();
        if (exp == null) {
            return new Invalid("exp_missing");
        }
        if (!exp.toInstant().plus(SKEW).isAfter(now)) {
            return new Invalid("expired");
        }
        if (exp.toInstant().isAfter(now.plus(MAX_AHEAD).plus(SKEW))) {
            return new Invalid("exp_too_far_ahead");
        }
        if (future(claims.getIssueTime(), now)) {
            return new Invalid("iat_in_future");
        }
        if (future(claims.getNotBeforeTime(), now)) {
            return new Invalid("nbf_in_future");
        }
        String jti = claims.getJWTID();
        if (jti == null || jti.isEmpty() || jti.length() > MAX_JTI_LENGTH) {
            return new Invalid("jti_missing");
        }
        return new Valid(jti, exp.toInstant().plus(SKEW));
    }

    private static boolean future(Date time, Instant now) {
        return time != null && time.toInstant().isAfter(now.plus(SKEW));
    }
}
