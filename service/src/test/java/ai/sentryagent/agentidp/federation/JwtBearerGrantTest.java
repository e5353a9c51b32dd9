package ai.sentryagent.agentidp.federation;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RunningIdp;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.PlainHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The jwt-bearer grant end to end (RFC 7523 §2.1 and §3, issue 16 §2): a real AgentIdP, an external issuer whose keys
 * a real HTTP server on loopback publishes (FEDERATION_ALLOW_HTTP_LOOPBACK=true, as {@code dev} runs), tokens signed
 * with keys generated here, and the issued access token verified with Nimbus against AgentIdP's own JWKS.
 */
@IntegrationTest
class JwtBearerGrantTest {
    static final String GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    /** GitHub's documented issuer; the keys are served by the fixture (the policy names its jwksUri). */
    static final String GITHUB = "https://token.actions.githubusercontent.com";

    private static RunningIdp idp;
    private static IssuerFixture issuer;
    private static String admin;
    private static RSAKey key;

    @BeforeAll
    static void start() throws Exception {
        issuer = new IssuerFixture(new HttpServerOptions(), "http");
        key = IssuerFixture.rsa("gh-1");
        issuer.publish(key.toPublicJWK());
        idp = RunningIdp.start(Map.of("FEDERATION_ALLOW_HTTP_LOOPBACK", "true"));
        admin = idp.adminToken();
    }

    @AfterAll
    static void stop() throws Exception {
        if (idp != null) {
            idp.close();
        }
        issuer.close();
    }

    // --- helpers -------------------------------------------------------------------------------------------------

    private static String agent(String... scopes) throws Exception {
        return idp.createAgent("federated-" + UUID.randomUUID(), scopes).getString("agentId");
    }

    private static HttpResponse<String> createPolicy(JsonObject body) throws Exception {
        return idp.call("POST", "/api/v1/trust-policies", admin, body);
    }

    private static JsonObject policy(JsonObject body) throws Exception {
        HttpResponse<String> response = createPolicy(body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return new JsonObject(response.body());
    }

    /** A policy for GitHub Actions' issuer string with keys at {@code jwksPath} of the fixture. */
    private static JsonObject githubPolicy(String issuerName, String agentId, String jwksPath) {
        return new JsonObject()
                .put("name", "deploy from main")
                .put("issuer", issuerName)
                .put("jwksUri", issuer.base + jwksPath)
                .put("audience", "https://idp.example.com")
                .put("subject", "repo:octo-org/octo-repo:environment:production")
                .put(
                        "claims",
                        new JsonObject()
                                .put("repository", "octo-org/octo-repo")
                                .put(
                                        "ref",
                                        new JsonArray().add("refs/heads/main").add("refs/heads/release"))
                                .put("environment", "production")
                                .put(
                                        "job_workflow_ref",
                                        "octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main"))
                .put("agentId", agentId)
                .put("scopes", new JsonArray().add("weather:read"));
    }

    /**
     * Claims shaped like a GitHub Actions OIDC token (docs.github.com, "About security hardening with OpenID
     * Connect": sub repo:ORG/REPO:environment:NAME, plus repository, ref, environment, job_workflow_ref).
     */
    private static JWTClaimsSet.Builder githubClaims(String issuerName) {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder()
                .issuer(issuerName)
                .subject("repo:octo-org/octo-repo:environment:production")
                .audience("https://idp.example.com")
                .jwtID(UUID.randomUUID().toString())
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now))
                .expirationTime(Date.from(now.plus(Duration.ofMinutes(5))))
                .claim("repository", "octo-org/octo-repo")
                .claim("repository_owner", "octo-org")
                .claim("ref", "refs/heads/main")
                .claim("environment", "production")
                .claim("job_workflow_ref", "octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main")
                .claim("runner_environment", "github-hosted");
    }

    private static String uniqueIssuer() {
        return "https://issuer-" + UUID.randomUUID() + ".example.com";
    }

    private static HttpResponse<String> exchange(String assertion, String extra) throws Exception {
        String form = "grant_type=" + URLEncoder.encode(GRANT, StandardCharsets.UTF_8) + "&assertion="
                + URLEncoder.encode(assertion, StandardCharsets.UTF_8) + (extra == null ? "" : extra);
        return idp.postForm("/api/v1/token", form, null, null);
    }

    /** RFC 6749 §5.2 / RFC 7523 §3.1: a rejected assertion is 400 invalid_grant. */
    private static void assertInvalidGrant(HttpResponse<String> response, String describing) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        JsonObject error = new JsonObject(response.body());
        assertThat(error.getString("error")).isEqualTo("invalid_grant");
        assertThat(error.getString("error_description")).contains(describing).matches("\\p{ASCII}*");
    }

    /** One GitHub-shaped policy and agent on a fresh issuer name (its own cache entry), keys at /jwks. */
    private record Setup(String issuerName, String agentId, String trustPolicyId) {}

    private static Setup github() throws Exception {
        String name = uniqueIssuer();
        String agentId = agent("weather:read", "reports:read");
        String id = policy(githubPolicy(name, agentId, "/jwks")).getString("trustPolicyId");
        return new Setup(name, agentId, id);
    }

    // --- the good paths ------------------------------------------------------------------------------------------

    @Test
    void githubActionsTokenIsExchangedForTheAgentsTokenAndAudited() throws Exception {
        Setup setup = github();
        JWTClaimsSet claims = githubClaims(setup.issuerName()).build();
        HttpResponse<String> response = exchange(IssuerFixture.sign(key, claims), null);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonObject body = new JsonObject(response.body());
        assertThat(body.getString("token_type")).isEqualTo("Bearer");
        assertThat(body.getString("scope")).isEqualTo("weather:read"); // the policy's, not every scope of the agent

        // Independent verification: Nimbus, with the key AgentIdP publishes (RFC 7517), not with our codec.
        SignedJWT token = SignedJWT.parse(body.getString("access_token"));
        JWKSet published = JWKSet.parse(idp.get("/.well-known/jwks.json").body());
        RSAKey signing = (RSAKey) published.getKeyByKeyId(token.getHeader().getKeyID());
        assertThat(token.verify(new RSASSAVerifier(signing))).isTrue();
        assertThat(token.getJWTClaimsSet().getSubject()).isEqualTo(setup.agentId());
        assertThat(token.getJWTClaimsSet().getIssuer()).isEqualTo(RunningIdp.ISSUER);

        // Issue 16: the audit event records the external iss, sub, jti and the policy.
        HttpResponse<String> audit =
                idp.call("GET", "/api/v1/audit?action=token.issued&agentId=" + setup.agentId(), admin, null);
        JsonObject details = new JsonObject(audit.body())
                .getJsonArray("items")
                .getJsonObject(0)
                .getJsonObject("details");
        assertThat(details.getString("trustPolicyId")).isEqualTo(setup.trustPolicyId());
        assertThat(details.getString("externalIss")).isEqualTo(setup.issuerName());
        assertThat(details.getString("externalSub")).isEqualTo(claims.getSubject());
        assertThat(details.getString("externalJti")).isEqualTo(claims.getJWTID());
    }

    /**
     * A SPIFFE JWT-SVID (SPIFFE JWT-SVID spec §3: sub is the SPIFFE ID, aud required, ES256 among the allowed
     * algorithms) checked against an inline trust bundle, no fetching at all.
     */
    @Test
    void spiffeSvidIsCheckedAgainstAnInlineBundle() throws Exception {
        ECKey bundleKey = IssuerFixture.ec("spire-1");
        String name = "https://spire.example.org";
        String agentId = agent("reports:read");
        policy(new JsonObject()
                .put("name", "payments workload")
                .put("issuer", name)
                .put("jwks", new JsonObject(new JWKSet(bundleKey.toPublicJWK()).toJSONObject(true)))
                .put("audience", "agentidp")
                .put("subject", "spiffe://example.org/ns/payments/sa/agent")
                .put("agentId", agentId)
                .put("scopes", new JsonArray().add("reports:read")));
        Instant now = Instant.now();
        String svid = IssuerFixture.sign(
                bundleKey,
                new JWTClaimsSet.Builder()
                        .issuer(name)
                        .subject("spiffe://example.org/ns/payments/sa/agent")
                        .audience(List.of("agentidp", "other"))
                        .issueTime(Date.from(now))
                        .expirationTime(Date.from(now.plusSeconds(300)))
                        .build());
        HttpResponse<String> response = exchange(svid, "&scope=reports%3Aread");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);

        // Another workload of the same trust domain is not this agent.
        String other = IssuerFixture.sign(
                bundleKey,
                new JWTClaimsSet.Builder()
                        .issuer(name)
                        .subject("spiffe://example.org/ns/payments/sa/other")
                        .audience("agentidp")
                        .expirationTime(Date.from(now.plusSeconds(300)))
                        .build());
        assertInvalidGrant(exchange(other, null), "sub does not match");
    }

    @Test
    void discoveryFindsTheKeysThroughTheIssuersOpenIdConfiguration() throws Exception {
        String agentId = agent("weather:read");
        // OIDC Discovery §4: {issuer}/.well-known/openid-configuration names jwks_uri.
        JsonObject discovered = githubPolicy(issuer.base, agentId, "/unused");
        discovered.remove("jwksUri");
        policy(discovered);
        HttpResponse<String> response =
                exchange(IssuerFixture.sign(key, githubClaims(issuer.base).build()), null);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(issuer.hits("/.well-known/openid-configuration")).isPositive();
    }

    // --- every check's negative ----------------------------------------------------------------------------------

    @Test
    void wrongAudienceIsRefused() throws Exception {
        Setup setup = github();
        String assertion = IssuerFixture.sign(
                key,
                githubClaims(setup.issuerName())
                        .audience("https://elsewhere.example.com")
                        .build());
        assertInvalidGrant(exchange(assertion, null), "aud");
    }

    @Test
    void expiredAssertionIsRefused() throws Exception {
        Setup setup = github();
        Instant past = Instant.now().minus(Duration.ofMinutes(10));
        String assertion = IssuerFixture.sign(
                key,
                githubClaims(setup.issuerName())
                        .issueTime(Date.from(past.minusSeconds(300)))
                        .notBeforeTime(null)
                        .expirationTime(Date.from(past))
                        .build());
        assertInvalidGrant(exchange(assertion, null), "expired");
    }

    @Test
    void missingExpIsRefused() throws Exception {
        Setup setup = github();
        // RFC 7523 §3 item 4: the JWT MUST contain an exp claim.
        String assertion = IssuerFixture.sign(
                key, githubClaims(setup.issuerName()).expirationTime(null).build());
        assertInvalidGrant(exchange(assertion, null), "no exp");
    }

    @Test
    void lifetimeOverADayIsRefused() throws Exception {
        Setup setup = github();
        Instant now = Instant.now();
        String assertion = IssuerFixture.sign(
                key,
                githubClaims(setup.issuerName())
                        .issueTime(Date.from(now))
                        .expirationTime(Date.from(now.plus(Duration.ofHours(25))))
                        .build());
        assertInvalidGrant(exchange(assertion, null), "lifetime exceeds 24 hours");
    }

    @Test
    void futureNotBeforeIsRefused() throws Exception {
        Setup setup = github();
        String assertion = IssuerFixture.sign(
                key,
                githubClaims(setup.issuerName())
                        .notBeforeTime(Date.from(Instant.now().plusSeconds(180)))
                        .build());
        assertInvalidGrant(exchange(assertion, null), "nbf");
    }

    @Test
    void replayedJtiIsRefused() throws Exception {
        Setup setup = github();
        String assertion =
                IssuerFixture.sign(key, githubClaims(setup.issuerName()).build());
        assertThat(exchange(assertion, null).statusCode()).isEqualTo(200);
        // RFC 7523 §3 item 7: the server may ensure single use of a jti; an attacker replays a captured assertion.
        assertInvalidGrant(exchange(assertion, null), "jti was already used");
    }

    @Test
    void aRefusedResourceDoesNotSpendTheJti() throws Exception {
        Setup setup = github();
        String assertion =
                IssuerFixture.sign(key, githubClaims(setup.issuerName()).build());
        // RFC 8707 §2: a resource the agent does not have is invalid_target — the client's mistake, not a use of the
        // assertion. A CI job that retries without the resource must not find its OIDC token already spent: the jti is
        // spent only once every check the client could correct has passed (and before the token is signed).
        HttpResponse<String> refused = exchange(
                assertion,
                "&resource=" + URLEncoder.encode("https://not-registered.example.com", StandardCharsets.UTF_8));
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
        assertThat(new JsonObject(refused.body()).getString("error")).isEqualTo("invalid_target");
        assertThat(exchange(assertion, null).statusCode()).isEqualTo(200);
        assertInvalidGrant(exchange(assertion, null), "jti was already used");
    }

    @Test
    void aJtiUsedOnOneTaskIsRefusedOnAnother() throws Exception {
        Setup setup = github();
        String assertion =
                IssuerFixture.sign(key, githubClaims(setup.issuerName()).build());
        // A second task on the same PostgreSQL and Redis, as two containers behind one load balancer: the attacker
        // sends the captured assertion to the other one.
        try (RunningIdp second = RunningIdp.start(Map.of("FEDERATION_ALLOW_HTTP_LOOPBACK", "true"))) {
            assertThat(exchange(assertion, null).statusCode()).isEqualTo(200);
            String form = "grant_type=" + URLEncoder.encode(GRANT, StandardCharsets.UTF_8) + "&assertion=" + assertion;
            assertInvalidGrant(second.postForm("/api/v1/token", form, null, null), "jti was already used");
        }
    }

    @Test
    void rejectedAssertionsAreAuditedWithTheReason() throws Exception {
        Setup setup = github();
        String assertion = IssuerFixture.sign(
                key,
                githubClaims(setup.issuerName())
                        .audience("https://elsewhere.example.com")
                        .build());
        assertInvalidGrant(exchange(assertion, null), "aud");
        // Refusals are batched (best effort): wait for the event rather than for a fixed time.
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
            JsonArray items = new JsonObject(idp.call("GET", "/api/v1/audit?action=token.grant_rejected", admin, null)
                            .body())
                    .getJsonArray("items");
            for (int i = 0; i < items.size(); i++) {
                JsonObject details = items.getJsonObject(i).getJsonObject("details");
                if (setup.issuerName().equals(details.getString("externalIss"))) {
                    return details.getString("reason").contains("aud");
                }
            }
            return false;
        });
    }

    @Test
    void algNoneIsRefused() throws Exception {
        Setup setup = github();
        // RFC 8725 §2.1: an unsecured JWT claiming any identity.
        String unsigned =
                new PlainJWT(new PlainHeader(), githubClaims(setup.issuerName()).build()).serialize();
        assertInvalidGrant(exchange(unsigned, null), "alg none");
    }

    @Test
    void hmacWithThePublicKeyIsRefused() throws Exception {
        Setup setup = github();
        // The algorithm-confusion attack (RFC 8725 §2.1): HS256 keyed with the issuer's public key bytes.
        SignedJWT forged = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(key.getKeyID()).build(),
                githubClaims(setup.issuerName()).build());
        forged.sign(new MACSigner(
                java.util.Arrays.copyOf(key.toPublicJWK().toJSONString().getBytes(StandardCharsets.UTF_8), 64)));
        assertInvalidGrant(exchange(forged.serialize(), null), "alg is not accepted");
    }

    @Test
    void aForgedSignatureIsRefused() throws Exception {
        Setup setup = github();
        RSAKey attacker = IssuerFixture.rsa(key.getKeyID()); // same kid, another key
        String assertion =
                IssuerFixture.sign(attacker, githubClaims(setup.issuerName()).build());
        assertInvalidGrant(exchange(assertion, null), "signature does not verify");
    }

    @Test
    void unknownKidRefetchesOnceThenIsRefused() throws Exception {
        String name = uniqueIssuer();
        String agentId = agent("weather:read");
        // A path of its own so the fetch count is this test's.
        String path = "/jwks";
        policy(githubPolicy(name, agentId, path + "?t=" + UUID.randomUUID()));
        assertThat(exchange(IssuerFixture.sign(key, githubClaims(name).build()), null)
                        .statusCode())
                .isEqualTo(200);
        int before = issuer.hits(path);
        RSAKey stranger = IssuerFixture.rsa("nobody-knows-me");
        assertInvalidGrant(
                exchange(IssuerFixture.sign(stranger, githubClaims(name).build()), null), "kid is not among");
        // Invented kids must not turn the IdP into an amplifier against the issuer: at most one refetch per 30 s.
        for (int i = 0; i < 3; i++) {
            RSAKey another = IssuerFixture.rsa("invented-" + i);
            assertInvalidGrant(
                    exchange(IssuerFixture.sign(another, githubClaims(name).build()), null), "kid");
        }
        assertThat(issuer.hits(path) - before).isEqualTo(1);
    }

    @Test
    void keyRotationAtTheIssuerIsPickedUp() throws Exception {
        String name = uniqueIssuer();
        String agentId = agent("weather:read");
        IssuerFixture rotating = new IssuerFixture(new HttpServerOptions(), "http");
        try {
            RSAKey first = IssuerFixture.rsa("2026-11");
            rotating.publish(first.toPublicJWK());
            JsonObject body = githubPolicy(name, agentId, "/jwks").put("jwksUri", rotating.base + "/jwks");
            policy(body);
            assertThat(exchange(IssuerFixture.sign(first, githubClaims(name).build()), null)
                            .statusCode())
                    .isEqualTo(200);
            // The issuer rotates: the new key is published, the old one withdrawn, well within the cache's 300 s.
            RSAKey second = IssuerFixture.rsa("2026-12");
            rotating.publish(second.toPublicJWK());
            HttpResponse<String> response =
                    exchange(IssuerFixture.sign(second, githubClaims(name).build()), null);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        } finally {
            rotating.close();
        }
    }

    @Test
    void deletedPolicyNoLongerMatches() throws Exception {
        Setup setup = github();
        assertThat(exchange(
                                IssuerFixture.sign(
                                        key, githubClaims(setup.issuerName()).build()),
                                null)
                        .statusCode())
                .isEqualTo(200);
        HttpResponse<String> deleted =
                idp.call("DELETE", "/api/v1/trust-policies/" + setup.trustPolicyId(), admin, null);
        assertThat(deleted.statusCode()).isEqualTo(204);
        assertThat(idp.call("GET", "/api/v1/trust-policies/" + setup.trustPolicyId(), admin, null)
                        .statusCode())
                .isEqualTo(404);
        assertInvalidGrant(
                exchange(
                        IssuerFixture.sign(key, githubClaims(setup.issuerName()).build()), null),
                "no trust policy");
    }

    @Test
    void ambiguousPoliciesAreRefused() throws Exception {
        Setup setup = github();
        // A second policy admitting the same token, for another agent: which agent the token is for is undecidable.
        policy(githubPolicy(setup.issuerName(), agent("weather:read"), "/jwks"));
        assertInvalidGrant(
                exchange(
                        IssuerFixture.sign(key, githubClaims(setup.issuerName()).build()), null),
                "more than one trust policy");
    }

    @Test
    void claimMismatchIsRefused() throws Exception {
        Setup setup = github();
        // A pull request's workflow from a fork: same repository claim shape, another ref.
        String assertion = IssuerFixture.sign(
                key,
                githubClaims(setup.issuerName())
                        .claim("ref", "refs/pull/7/merge")
                        .build());
        assertInvalidGrant(exchange(assertion, null), "claims do not match");
    }

    @Test
    void oversizedJwksIsRefused() throws Exception {
        String name = uniqueIssuer();
        policy(githubPolicy(name, agent("weather:read"), "/big/jwks"));
        assertInvalidGrant(exchange(IssuerFixture.sign(key, githubClaims(name).build()), null), "exceeds 64 KiB");
    }

    @Test
    void slowJwksEndpointTimesOut() throws Exception {
        String name = uniqueIssuer();
        policy(githubPolicy(name, agent("weather:read"), "/slow/jwks"));
        long started = System.nanoTime();
        assertInvalidGrant(exchange(IssuerFixture.sign(key, githubClaims(name).build()), null), "within 2 s");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void redirectIsNotFollowed() throws Exception {
        String name = uniqueIssuer();
        policy(githubPolicy(name, agent("weather:read"), "/redirect/jwks"));
        int before = issuer.hits("/jwks");
        assertInvalidGrant(
                exchange(IssuerFixture.sign(key, githubClaims(name).build()), null), "redirects are not followed");
        assertThat(issuer.hits("/jwks")).isEqualTo(before);
    }

    @Test
    void scopeOutsideThePolicyIsInvalidScope() throws Exception {
        Setup setup = github();
        // The agent holds reports:read, but the policy grants weather:read only.
        HttpResponse<String> response = exchange(
                IssuerFixture.sign(key, githubClaims(setup.issuerName()).build()), "&scope=reports%3Aread");
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(response.body()).getString("error")).isEqualTo("invalid_scope");
    }

    @Test
    void anAuthenticatedClientMustBeThePolicysAgent() throws Exception {
        Setup setup = github();
        String otherAgent = agent("weather:read");
        JsonObject credential = idp.createCredential(otherAgent);
        String form = "grant_type=" + URLEncoder.encode(GRANT, StandardCharsets.UTF_8) + "&assertion="
                + IssuerFixture.sign(key, githubClaims(setup.issuerName()).build());
        assertInvalidGrant(
                idp.postForm("/api/v1/token", form, otherAgent, credential.getString("clientSecret")),
                "not the trust policy's agent");

        JsonObject own = idp.createCredential(setup.agentId());
        String again = "grant_type=" + URLEncoder.encode(GRANT, StandardCharsets.UTF_8) + "&assertion="
                + IssuerFixture.sign(key, githubClaims(setup.issuerName()).build());
        assertThat(idp.postForm("/api/v1/token", again, setup.agentId(), own.getString("clientSecret"))
                        .statusCode())
                .isEqualTo(200);
    }

    // --- trust policy management ---------------------------------------------------------------------------------

    @Test
    void onlyAdministratorsManageTrustPolicies() throws Exception {
        String writer = agent("agents:write");
        JsonObject credential = idp.createCredential(writer);
        String token = idp.token(writer, credential.getString("clientSecret"), null);
        // A writer who could add a policy could let any issuer mint any agent's tokens.
        HttpResponse<String> response =
                idp.call("POST", "/api/v1/trust-policies", token, githubPolicy(uniqueIssuer(), writer, "/jwks"));
        assertThat(response.statusCode()).isEqualTo(403);
    }

    @Test
    void policiesAreValidated() throws Exception {
        String agentId = agent("weather:read");
        RSAKey privateKey = IssuerFixture.rsa("leaked");
        JsonObject withPrivate = githubPolicy(uniqueIssuer(), agentId, "/jwks")
                .put("jwks", new JsonObject(new JWKSet((JWK) privateKey).toJSONObject(false)));
        withPrivate.remove("jwksUri");
        assertFieldError(createPolicy(withPrivate), "jwks", "private");

        JsonObject symmetric = githubPolicy(uniqueIssuer(), agentId, "/jwks");
        symmetric.remove("jwksUri");
        symmetric.put(
                "jwks",
                new JsonObject()
                        .put(
                                "keys",
                                new JsonArray()
                                        .add(new JsonObject().put("kty", "oct").put("k", "c2VjcmV0"))));
        assertFieldError(createPolicy(symmetric), "jwks", "symmetric");

        // Issue 16: scopes must be a subset of the agent's.
        JsonObject wider = githubPolicy(uniqueIssuer(), agentId, "/jwks").put("scopes", new JsonArray().add("admin"));
        assertFieldError(createPolicy(wider), "scopes", "admin");

        // Plain HTTP is for loopback only: keys fetched in clear text from elsewhere can be swapped on the way.
        JsonObject plain =
                githubPolicy(uniqueIssuer(), agentId, "/jwks").put("jwksUri", "http://keys.example.com/jwks");
        assertFieldError(createPolicy(plain), "jwksUri", "https");

        JsonObject regex = githubPolicy(uniqueIssuer(), agentId, "/jwks")
                .put("claims", new JsonObject().put("ref", new JsonObject().put("regex", ".*")));
        assertFieldError(createPolicy(regex), "claims", "string");

        JsonObject admin =
                githubPolicy(uniqueIssuer(), idpAdminAgentId(), "/jwks").put("scopes", new JsonArray().add("admin"));
        assertFieldError(createPolicy(admin), "agentId", "built-in");
    }

    private static String idpAdminAgentId() throws Exception {
        JsonArray items = new JsonObject(
                        idp.call("GET", "/api/v1/agents?limit=100", admin, null).body())
                .getJsonArray("items");
        for (int i = 0; i < items.size(); i++) {
            if (RunningIdp.ADMIN_CLIENT_ID.equals(items.getJsonObject(i).getString("clientId"))) {
                return items.getJsonObject(i).getString("agentId");
            }
        }
        throw new AssertionError("no bootstrap administrator");
    }

    private static void assertFieldError(HttpResponse<String> response, String field, String mentions) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        JsonObject error = new JsonObject(response.body());
        assertThat(error.getJsonObject("details").getString("field")).isEqualTo(field);
        assertThat(error.getString("message")).contains(mentions);
    }

    @Test
    void metadataAdvertisesTheGrant() throws Exception {
        // RFC 8414 §2: grant_types_supported lists every grant type the token endpoint accepts.
        JsonObject metadata = new JsonObject(
                idp.get("/.well-known/oauth-authorization-server").body());
        assertThat(metadata.getJsonArray("grant_types_supported").getList()).contains(GRANT, "client_credentials");
    }
}
