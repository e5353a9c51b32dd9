package ai.sentryagent.agentidp.token;

import ai.sentryagent.agentidp.agent.AgentStatus;
import ai.sentryagent.agentidp.config.Scopes;
import ai.sentryagent.agentidp.credential.ClientDirectory;
import ai.sentryagent.agentidp.credential.ClientRecord;
import ai.sentryagent.agentidp.crypto.JwsVerifiers;
import ai.sentryagent.agentidp.federation.IssuerKeys;
import ai.sentryagent.agentidp.federation.TrustPolicy;
import ai.sentryagent.agentidp.federation.TrustPolicyDirectory;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import io.vertx.core.Future;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The jwt-bearer grant (RFC 7523 §2.1, §3): an external identity token — a CI job's OIDC token, a Kubernetes
 * projected service-account token, a SPIFFE JWT-SVID — is exchanged for an access token of the agent a trust policy
 * names. The assertion is the credential; client authentication is optional, and when present must be that agent.
 *
 * <p>Checks, in order, each failure an {@code invalid_grant} saying which: signed with an asymmetric algorithm; a
 * policy for its {@code iss} (exactly); the signature by the issuer's key (an unknown {@code kid} refetches the keys,
 * at most once per 30 s per issuer); {@code exp} present, not past, at most 24 h after {@code iat}; {@code nbf} and
 * {@code iat} not beyond 60 s in the future; {@code aud}, {@code sub} and the policy's claims — exactly one policy
 * must match; the presented client; the agent active; the scopes; the {@code resource} parameters (RFC 8707); then
 * the {@code jti}, when present, single-use — spent before the token is signed, so a replay costs no signature.
 * The policies and the agent's state come from memory ({@link TrustPolicyDirectory}, {@link ClientDirectory}), both
 * kept fresh by PostgreSQL's change notifications.
 */
public final class JwtBearerGrant implements Grant {
    public static final String GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    static final Duration SKEW = Duration.ofSeconds(60);
    static final Duration MAX_LIFETIME = Duration.ofHours(24);
    private static final int MIN_RSA_BITS = 2048;

    /** Asymmetric only: {@code none} and HS* are refused (RFC 8725 §3.1 — the algorithm is the server's choice). */
    static final Set<JWSAlgorithm> ALGORITHMS = Set.of(
            JWSAlgorithm.RS256,
            JWSAlgorithm.RS384,
            JWSAlgorithm.RS512,
            JWSAlgorithm.PS256,
            JWSAlgorithm.PS384,
            JWSAlgorithm.PS512,
            JWSAlgorithm.ES256,
            JWSAlgorithm.ES384,
            JWSAlgorithm.ES512);

    private final TrustPolicyDirectory policies;
    private final IssuerKeys keys;
    private final AssertionReplay replay;
    private final ClientAuthenticator authenticator;
    private final ClientDirectory clients;
    private final TokenCodec codec;
    private final Clock clock;

    public JwtBearerGrant(
            TrustPolicyDirectory policies,
            IssuerKeys keys,
            AssertionReplay replay,
            ClientAuthenticator authenticator,
            ClientDirectory clients,
            TokenCodec codec,
            Clock clock) {
        this.policies = policies;
        this.keys = keys;
        this.replay = replay;
        this.authenticator = authenticator;
        this.clients = clients;
        this.codec = codec;
        this.clock = clock;
    }

    @Override
    public String grantType() {
        return GRANT_TYPE;
    }

    @Override
    public boolean clientAuthenticationRequired() {
        return false;
    }

    /** A failed check: becomes the {@code invalid_grant} answer. */
    private static final class Rejected extends RuntimeException {
        Rejected(String description) {
            super(description, null, false, false);
        }
    }

    @Override
    public Future<GrantOutcome> apply(Request request) {
        Optional<String> assertion = request.parameters().get("assertion");
        if (assertion.isEmpty()) {
            return Future.succeededFuture(new GrantOutcome.InvalidRequest("assertion is required"));
        }
        Optional<String> scope = request.parameters().has("scope")
                ? Optional.of(request.parameters().get("scope").orElse(""))
                : Optional.empty();
        SignedJWT jwt;
        JWTClaimsSet claims;
        try {
            jwt = signed(assertion.get());
            claims = jwt.getJWTClaimsSet();
        } catch (Rejected e) {
            return rejected(e);
        } catch (ParseException e) {
            return invalid("the assertion's claims are not a JSON object");
        }
        String iss = claims.getIssuer();
        if (iss == null || iss.isEmpty()) {
            return invalid("the assertion has no iss");
        }
        return policies.forIssuer(iss)
                .compose(candidates -> candidates.isEmpty()
                        ? Future.failedFuture(new Rejected("no trust policy for the assertion's issuer"))
                        : verified(jwt, candidates))
                .map(candidates -> matching(claims, candidates))
                .compose(policy -> issue(request, policy, claims, scope))
                .recover(failure -> failure instanceof Rejected rejected
                        ? Future.succeededFuture(new GrantOutcome.InvalidGrant(rejected.getMessage(), external(claims)))
                        : Future.succeededFuture(new ClientAuthentication.Unavailable(failure)));
    }

    private static SignedJWT signed(String assertion) {
        JWT jwt;
        try {
            jwt = JWTParser.parse(assertion);
        } catch (ParseException e) {
            throw new Rejected("the assertion is not a JWT");
        }
        if (!(jwt instanceof SignedJWT signed)) {
            throw new Rejected("the assertion must be signed; alg none and encrypted assertions are not accepted");
        }
        if (!ALGORITHMS.contains(signed.getHeader().getAlgorithm())) {
            throw new Rejected("the assertion's alg is not accepted; use RS256, RS384, RS512, PS256, PS384, PS512,"
                    + " ES256, ES384 or ES512");
        }
        return signed;
    }

    /**
     * The candidates whose issuer keys verify the signature. Policies of one issuer normally share one key source;
     * each distinct source is asked once.
     */
    private Future<List<TrustPolicy>> verified(SignedJWT jwt, List<TrustPolicy> candidates) {
        Map<String, List<TrustPolicy>> bySource = new LinkedHashMap<>();
        for (TrustPolicy policy : candidates) {
            bySource.computeIfAbsent(policy.keys().id(), id -> new ArrayList<>())
                    .add(policy);
        }
        List<TrustPolicy> verified = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        Future<Void> chain = Future.succeededFuture();
        for (List<TrustPolicy> group : bySource.values()) {
            TrustPolicy.KeySource source = group.get(0).keys();
            chain = chain.compose(ignored -> verify(jwt, source).map(problem -> {
                problem.ifPresentOrElse(problems::add, () -> verified.addAll(group));
                return null;
            }));
        }
        return chain.compose(done -> verified.isEmpty()
                ? Future.failedFuture(new Rejected(problems.get(0)))
                : Future.succeededFuture(verified));
    }

    /** Empty when the signature verifies with one of the source's keys, else why not. */
    private Future<Optional<String>> verify(SignedJWT jwt, TrustPolicy.KeySource source) {
        String kid = jwt.getHeader().getKeyID();
        return keys.keys(source)
                .compose(set -> kid != null && set.getKeyByKeyId(kid) == null
                        ? keys.refreshed(source) // the issuer may have rotated
                        : Future.succeededFuture(set))
                .map(set -> Optional.ofNullable(check(jwt, set)))
                .recover(failure -> failure instanceof IssuerKeys.KeysUnavailable unavailable
                        ? Future.succeededFuture(Optional.of(unavailable.getMessage()))
                        : Future.failedFuture(failure));
    }

    /** Null when verified. */
    private static String check(SignedJWT jwt, JWKSet set) {
        String kid = jwt.getHeader().getKeyID();
        List<JWK> keys = kid == null
                ? set.getKeys()
                : set.getKeyByKeyId(kid) == null ? List.of() : List.of(set.getKeyByKeyId(kid));
        if (keys.isEmpty()) {
            return kid == null ? "the issuer publishes no keys" : "the assertion's kid is not among the issuer's keys";
        }
        for (JWK key : keys) {
            try {
                JWSVerifier verifier = verifier(jwt.getHeader().getAlgorithm(), key);
                if (verifier != null && jwt.verify(verifier)) {
                    return null;
                }
            } catch (JOSEException e) {
                // a key of the wrong type or size for this algorithm: not this one
            }
        }
        return "the assertion's signature does not verify with the issuer's keys";
    }

    /**
     * The key's verifier when it may verify {@code alg}; built once per key instance (the issuer's key set is cached
     * by {@link IssuerKeys}, an inline set by the policy store), on the fastest correct provider.
     */
    private static JWSVerifier verifier(JWSAlgorithm alg, JWK key) {
        if (key.getAlgorithm() != null && !key.getAlgorithm().equals(alg)) {
            return null; // RFC 7517 §4.4: a key marked for one algorithm is used for that one only
        }
        boolean fits = JWSAlgorithm.Family.RSA.contains(alg)
                ? key instanceof RSAKey rsa && rsa.size() >= MIN_RSA_BITS
                : JWSAlgorithm.Family.EC.contains(alg) && key instanceof ECKey;
        return fits ? JwsVerifiers.get().cached(key).orElse(null) : null;
    }

    /** The time checks, then the one policy whose audience, subject and claims the assertion satisfies. */
    private TrustPolicy matching(JWTClaimsSet claims, List<TrustPolicy> candidates) {
        Instant now = clock.instant();
        if (claims.getExpirationTime() == null) {
            throw new Rejected("the assertion has no exp");
        }
        Instant exp = claims.getExpirationTime().toInstant();
        if (!exp.plus(SKEW).isAfter(now)) {
            throw new Rejected("the assertion has expired");
        }
        Instant iat =
                claims.getIssueTime() == null ? null : claims.getIssueTime().toInstant();
        if (iat != null && iat.isAfter(now.plus(SKEW))) {
            throw new Rejected("the assertion's iat is in the future");
        }
        if (claims.getNotBeforeTime() != null
                && claims.getNotBeforeTime().toInstant().isAfter(now.plus(SKEW))) {
            throw new Rejected("the assertion is not valid yet (nbf)");
        }
        if (Duration.between(iat == null ? now : iat, exp).compareTo(MAX_LIFETIME) > 0) {
            throw new Rejected("the assertion's lifetime exceeds 24 hours");
        }
        List<TrustPolicy> matched = new ArrayList<>();
        String mismatch = null;
        for (TrustPolicy policy : candidates) {
            String problem = mismatch(claims, policy);
            if (problem == null) {
                matched.add(policy);
            } else {
                mismatch = problem;
            }
        }
        if (matched.size() > 1) {
            throw new Rejected("more than one trust policy matches the assertion");
        }
        if (matched.isEmpty()) {
            throw new Rejected(
                    candidates.size() == 1 ? mismatch : "no trust policy matches the assertion's aud, sub and claims");
        }
        return matched.get(0);
    }

    private static String mismatch(JWTClaimsSet claims, TrustPolicy policy) {
        List<String> audience = claims.getAudience();
        if (audience == null || !audience.contains(policy.audience())) {
            return "the assertion's aud does not contain the trust policy's audience";
        }
        if (policy.subject().isPresent() && !policy.subject().get().equals(claims.getSubject())) {
            return "the assertion's sub does not match the trust policy";
        }
        if (!policy.claimsMatch(claims.getClaims())) {
            return "the assertion's claims do not match the trust policy";
        }
        return null;
    }

    private Future<GrantOutcome> issue(
            Request request, TrustPolicy policy, JWTClaimsSet claims, Optional<String> scope) {
        Future<Optional<GrantOutcome>> client = request.presented().isEmpty()
                ? Future.succeededFuture(Optional.empty())
                : authenticator
                        .authenticate(request.presented().get(), true)
                        .map(authentication -> authentication.fold(
                                authenticated -> {
                                    if (!authenticated.client().agentId().equals(policy.agentId())) {
                                        throw new Rejected("the authenticated client is not the trust policy's agent");
                                    }
                                    return Optional.<GrantOutcome>empty();
                                },
                                Optional::of));
        return client.compose(refused -> refused.isPresent()
                ? Future.succeededFuture(refused.get())
                : clients.findClient(policy.agentId().toString()).compose(found -> {
                    ClientRecord agent = found.filter(c -> c.status() == AgentStatus.ACTIVE)
                            .orElseThrow(() -> new Rejected("the trust policy's agent is not active"));
                    return issueFor(agent, policy, claims, scope, request.parameters());
                }));
    }

    /** The token, once the scopes are the policy's and the jti is first used; or {@code invalid_scope}. */
    private Future<GrantOutcome> issueFor(
            ClientRecord agent,
            TrustPolicy policy,
            JWTClaimsSet claims,
            Optional<String> requested,
            Parameters parameters) {
        // The policy's scopes as the agent still holds them: narrowing an agent narrows its policies too.
        List<String> allowed =
                policy.scopes().stream().filter(agent.scopes()::contains).toList();
        List<String> granted;
        if (requested.isEmpty()) {
            if (allowed.isEmpty()) {
                return invalidScope("the trust policy grants no scope the agent still holds");
            }
            granted = allowed;
        } else {
            if (requested.get().isBlank()) {
                return invalidScope("scope must not be empty; omit it to get every scope of the trust policy");
            }
            Set<String> unique = new LinkedHashSet<>();
            for (String token : requested.get().split(" ", -1)) {
                if (token.isEmpty() || !Scopes.wellFormed(token)) {
                    return invalidScope("scope must be scope tokens separated by single spaces");
                }
                unique.add(token);
            }
            List<String> outside =
                    unique.stream().filter(s -> !allowed.contains(s)).toList();
            if (!outside.isEmpty()) {
                return invalidScope("the trust policy does not grant: " + String.join(" ", outside));
            }
            granted = List.copyOf(unique);
        }
        // RFC 8707: the `resource` parameters are checked against the policy's agent's resources, as for every grant,
        // before the jti is spent (a mistyped resource does not burn the assertion). The jti is spent before the
        // token is signed: a replayed assertion costs no signature of ours (its own verification it has cost already).
        Optional<GrantOutcome.InvalidTarget> refused = codec.targetRefusal(agent, parameters);
        if (refused.isPresent()) {
            return Future.succeededFuture(refused.get());
        }
        return singleUse(claims).map(ignored -> {
            // A token that would be over-long (many long resources and scopes together) is known only once it is
            // signed, and the jti is spent by then: the refusal names the assertion in the trail, so the spent jti
            // is accounted for. The client asks again with fewer resources and a fresh assertion.
            GrantOutcome outcome = codec.issue(agent, granted, parameters);
            if (outcome instanceof GrantOutcome.Issued issued) {
                return new GrantOutcome.Issued(agent, issued.token(), audit(policy, claims));
            }
            return outcome instanceof GrantOutcome.InvalidTarget tooLong
                    ? new GrantOutcome.InvalidTarget(tooLong.description(), external(claims))
                    : outcome;
        });
    }

    private static Future<GrantOutcome> invalidScope(String description) {
        return Future.succeededFuture(new GrantOutcome.InvalidScope(description));
    }

    /** RFC 7523 §3 item 7: a jti, when present, is accepted once until the assertion expires. */
    private Future<Void> singleUse(JWTClaimsSet claims) {
        String jti = claims.getJWTID();
        if (jti == null) {
            return Future.succeededFuture();
        }
        // Kept until the assertion expires, plus the clock skew it was accepted with.
        Instant until = claims.getExpirationTime().toInstant().plus(SKEW);
        return replay.firstUse(AssertionReplay.issuer(claims.getIssuer()), jti, until)
                .compose(first -> first
                        ? Future.succeededFuture()
                        : Future.failedFuture(new Rejected("the assertion's jti was already used")));
    }

    private static Map<String, Object> audit(TrustPolicy policy, JWTClaimsSet claims) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("grantType", GRANT_TYPE);
        details.put("trustPolicyId", policy.trustPolicyId().toString());
        details.putAll(external(claims));
        return details;
    }

    /** Who the assertion claims to be, for the audit trail (as claimed: on a rejection, unverified). */
    private static Map<String, Object> external(JWTClaimsSet claims) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("externalIss", claims.getIssuer());
        details.put("externalSub", claims.getSubject());
        details.put("externalJti", claims.getJWTID());
        return details;
    }

    private static Future<GrantOutcome> invalid(String description) {
        return Future.succeededFuture(new GrantOutcome.InvalidGrant(description));
    }

    private static Future<GrantOutcome> rejected(Rejected rejected) {
        return invalid(rejected.getMessage());
    }
}
