package ai.sentryagent.agentidp.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RedisCommands;
import ai.sentryagent.agentidp.testing.RunningIdp;
import ai.sentryagent.agentidp.testing.TestServers;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.embedded.RedisServer;

/**
 * {@code private_key_jwt} (RFC 7523 §2.2, §3; OIDC Core §9) as a client and an attacker meet it: keys generated
 * here, assertions signed with Nimbus, the issued token verified with Nimbus against the server's published key,
 * and every check of issue 16 §1 refused on its own with 401 {@code invalid_client} — the reason only in the audit
 * trail. Two tasks share PostgreSQL and Redis, so a replayed {@code jti} is tried on the other task.
 */
@IntegrationTest
class PrivateKeyJwtTest {
    private static final String TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    private static final String TOKEN_URL = RunningIdp.ISSUER + "/api/v1/token";
    private static RunningIdp a;
    private static RunningIdp b;
    private static String clientId;
    private static String secret;
    private static RSAKey rsa;
    private static ECKey ec;

    @BeforeAll
    static void start() throws Exception {
        String database = TestServers.get().createDatabase("pkjwt");
        String prefix = TestServers.get().redisKeyPrefix() + "pk" + Long.toHexString(System.nanoTime()) + ":";
        Map<String, String> shared = Map.of("DATABASE_URL", database, "REDIS_KEY_PREFIX", prefix);
        a = RunningIdp.start(shared);
        b = RunningIdp.start(shared);
        clientId = a.createAgent("pkjwt", "weather:read").getString("agentId");
        secret = a.createCredential(clientId).getString("clientSecret");
        rsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
        ec = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
        assertThat(register(clientId, rsa.toPublicJWK().toJSONObject()).statusCode())
                .isEqualTo(201);
        assertThat(register(clientId, ec.toPublicJWK().toJSONObject()).statusCode())
                .isEqualTo(201);
    }

    @AfterAll
    static void stop() throws Exception {
        if (b != null) {
            b.close();
        }
        if (a != null) {
            a.close();
        }
    }

    private static HttpResponse<String> register(String agentId, Map<String, Object> jwk) throws Exception {
        return a.call(
                "POST",
                "/api/v1/agents/" + agentId + "/keys",
                a.adminToken(),
                new JsonObject().put("jwk", new JsonObject(jwk)));
    }

    private static String assertion(JWSSigner signer, JWSAlgorithm alg, String kid, Consumer<JWTClaimsSet.Builder> edit)
            throws Exception {
        Instant now = Instant.now();
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .issuer(clientId)
                .subject(clientId)
                .audience(TOKEN_URL)
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(120)))
                .jwtID(UUID.randomUUID().toString());
        edit.accept(claims);
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(kid).build(), claims.build());
        jwt.sign(signer);
        return jwt.serialize();
    }

    private static String rs256(Consumer<JWTClaimsSet.Builder> edit) throws Exception {
        return assertion(new RSASSASigner(rsa), JWSAlgorithm.RS256, "rsa-1", edit);
    }

    private static HttpResponse<String> tokenWith(RunningIdp idp, String assertion, String extra) throws Exception {
        String form =
                "grant_type=client_credentials&client_assertion_type=" + URLEncoder.encode(TYPE, StandardCharsets.UTF_8)
                        + "&client_assertion=" + URLEncoder.encode(assertion, StandardCharsets.UTF_8) + extra;
        return idp.postForm("/api/v1/token", form, null, null);
    }

    /** RFC 6749 §5.2: one {@code invalid_client}, whatever check failed; the description says nothing more. */
    private static void assertRefused(HttpResponse<String> response) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(401);
        JsonObject body = new JsonObject(response.body());
        assertThat(body.getString("error")).isEqualTo("invalid_client");
        assertThat(body.getString("error_description")).isEqualTo("client authentication failed");
    }

    @Test
    void rs256Ps256AndEs256AssertionsGetATokenTheServersPublishedKeyVerifies() throws Exception {
        List<String> assertions = List.of(
                rs256(c -> {}),
                assertion(new RSASSASigner(rsa), JWSAlgorithm.PS256, "rsa-1", c -> {}),
                // aud may be the issuer identifier instead of the token endpoint (RFC 7523 §3 item 3)
                assertion(new ECDSASigner(ec), JWSAlgorithm.ES256, "ec-1", c -> c.audience(RunningIdp.ISSUER)));
        for (String assertion : assertions) {
            HttpResponse<String> response = tokenWith(a, assertion, "&client_id=" + clientId);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            SignedJWT token = SignedJWT.parse(new JsonObject(response.body()).getString("access_token"));
            assertThat(token.verify(
                            new RSASSAVerifier((RSAPublicKey) RunningIdp.keys().getPublic())))
                    .isTrue();
            assertThat(token.getJWTClaimsSet().getSubject()).isEqualTo(clientId);
        }
    }

    @Test
    void introspectionAndRevocationAcceptAnAssertionToo() throws Exception {
        String token = a.token(clientId, secret, null);
        String auth =
                "&client_assertion_type=" + URLEncoder.encode(TYPE, StandardCharsets.UTF_8) + "&client_assertion=";
        HttpResponse<String> introspection = a.postForm(
                "/api/v1/token/introspect",
                "token=" + token + auth + URLEncoder.encode(rs256(c -> {}), StandardCharsets.UTF_8),
                null,
                null);
        assertThat(new JsonObject(introspection.body()).getBoolean("active")).isTrue();
        HttpResponse<String> revocation = a.postForm(
                "/api/v1/token/revoke",
                "token=" + token + auth + URLEncoder.encode(rs256(c -> {}), StandardCharsets.UTF_8),
                null,
                null);
        assertThat(revocation.statusCode()).as(revocation.body()).isEqualTo(200);
        HttpResponse<String> bad = a.postForm(
                "/api/v1/token/introspect",
                "token=" + token + auth
                        + URLEncoder.encode(
                                rs256(c -> c.audience("https://elsewhere.example")), StandardCharsets.UTF_8),
                null,
                null);
        assertRefused(bad);
    }

    @Test
    void everyCheckRefusesOnItsOwnWithTheReasonOnlyInTheAuditTrail() throws Exception {
        Instant now = Instant.now();
        RSAKey stranger = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("aud_mismatch", rs256(c -> c.audience("https://other-idp.example/token")));
        cases.put("expired", rs256(c -> c.expirationTime(Date.from(now.minusSeconds(120)))));
        // issue 16 §1: at most 10 minutes ahead
        cases.put("exp_too_far_ahead", rs256(c -> c.expirationTime(Date.from(now.plusSeconds(15 * 60)))));
        cases.put("exp_missing", rs256(c -> c.expirationTime(null)));
        cases.put("jti_missing", rs256(c -> c.jwtID(null)));
        cases.put("iat_in_future", rs256(c -> c.issueTime(Date.from(now.plusSeconds(300)))));
        cases.put("nbf_in_future", rs256(c -> c.notBeforeTime(Date.from(now.plusSeconds(300)))));
        cases.put("sub_not_client_id", rs256(c -> c.subject(UUID.randomUUID().toString())));
        // same kid, another key: an attacker's signature
        cases.put("signature_invalid", assertion(new RSASSASigner(stranger), JWSAlgorithm.RS256, "rsa-1", c -> {}));
        cases.put("unknown_kid", assertion(new RSASSASigner(rsa), JWSAlgorithm.RS256, "rsa-unknown", c -> {}));
        // RFC 8725 §2.1 / §3.1: alg none and an HMAC keyed with the shared client secret must never authenticate
        cases.put(
                "assertion_not_a_jws",
                new PlainJWT(new JWTClaimsSet.Builder()
                                .issuer(clientId)
                                .subject(clientId)
                                .audience(TOKEN_URL)
                                .expirationTime(Date.from(now.plusSeconds(60)))
                                .jwtID(UUID.randomUUID().toString())
                                .build())
                        .serialize());
        cases.put(
                "alg_not_accepted",
                assertion(
                        new MACSigner(secret.getBytes(StandardCharsets.UTF_8)), JWSAlgorithm.HS256, "rsa-1", c -> {}));
        for (Map.Entry<String, String> entry : cases.entrySet()) {
            HttpResponse<String> response = tokenWith(a, entry.getValue(), "");
            assertThat(response.statusCode())
                    .as(entry.getKey() + ": " + response.body())
                    .isEqualTo(401);
            assertRefused(response);
        }
        // a client_id that is not the assertion's iss (RFC 7521 §4.2: it must identify the same client)
        assertRefused(tokenWith(a, rs256(c -> {}), "&client_id=" + UUID.randomUUID()));

        List<String> expected = new ArrayList<>(cases.keySet());
        expected.add("client_id_not_iss");
        String admin = a.adminToken();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            HttpResponse<String> trail =
                    a.call("GET", "/api/v1/audit?limit=100&action=client.authentication_failed", admin, null);
            List<String> reasons = new ArrayList<>();
            for (Object item : new JsonObject(trail.body()).getJsonArray("items")) {
                JsonObject event = (JsonObject) item;
                JsonObject details = event.getJsonObject("details");
                if ("private_key_jwt".equals(details.getString("method"))) {
                    reasons.add(details.getString("reason"));
                }
            }
            assertThat(reasons).containsAll(expected);
        });
    }

    @Test
    void aJtiIsSingleUseAcrossTasksSharingRedis() throws Exception {
        String once = rs256(c -> {});
        assertThat(tokenWith(a, once, "").statusCode()).isEqualTo(200);
        assertRefused(tokenWith(b, once, ""));
        assertRefused(tokenWith(a, once, ""));
        // a fresh jti on the other task works: the refusal was the replay, not the task
        assertThat(tokenWith(b, rs256(c -> {}), "").statusCode()).isEqualTo(200);
    }

    /**
     * Issue 16's cost: an assertion-authenticated token is one Redis round trip — the rate limiter's script, which
     * claims the {@code jti} as well (it was a {@code SET NX} and then the script). A replay is refused in that same
     * one round trip and counted as a failed authentication: past the limit, even a fresh assertion gets 429.
     */
    @Test
    void anAssertionCostsOneRedisRoundTripAndAReplayCountsAsAFailure() throws Exception {
        String prefix = TestServers.get().redisKeyPrefix() + "pk1" + Long.toHexString(System.nanoTime()) + ":";
        try (RunningIdp idp =
                RunningIdp.start(Map.of("REDIS_KEY_PREFIX", prefix, "AUTH_FAILURE_MAX_PER_CLIENT", "3"))) {
            String agent = idp.createAgent("pkjwt-trips", "weather:read").getString("agentId");
            RSAKey key = new RSAKeyGenerator(2048).keyID("k").generate();
            assertThat(idp.call(
                                    "POST",
                                    "/api/v1/agents/" + agent + "/keys",
                                    idp.adminToken(),
                                    new JsonObject()
                                            .put(
                                                    "jwk",
                                                    new JsonObject(
                                                            key.toPublicJWK().toJSONObject())))
                            .statusCode())
                    .isEqualTo(201);
            Consumer<JWTClaimsSet.Builder> asAgent = c -> c.issuer(agent).subject(agent);
            assertThat(tokenWith(idp, assertion(new RSASSASigner(key), JWSAlgorithm.RS256, "k", asAgent), "")
                            .statusCode())
                    .isEqualTo(200); // warm: the client directory holds the agent and its key

            String once = assertion(new RSASSASigner(key), JWSAlgorithm.RS256, "k", asAgent);
            List<String> first = RedisCommands.monitored(
                    prefix,
                    () -> assertThat(tokenWith(idp, once, "").statusCode()).isEqualTo(200));
            assertThat(first.stream().map(RedisCommands::name).toList())
                    .as(String.join("\n", first))
                    .containsExactly("eval");
            List<String> replayed = RedisCommands.monitored(prefix, () -> assertRefused(tokenWith(idp, once, "")));
            assertThat(replayed.stream().map(RedisCommands::name).toList())
                    .as(String.join("\n", replayed))
                    .containsExactly("eval");

            assertRefused(tokenWith(idp, once, ""));
            assertRefused(tokenWith(idp, once, ""));
            HttpResponse<String> limited =
                    tokenWith(idp, assertion(new RSASSASigner(key), JWSAlgorithm.RS256, "k", asAgent), "");
            assertThat(limited.statusCode()).as(limited.body()).isEqualTo(429);
        }
    }

    /**
     * Redis down: replay protection cannot be checked, so an assertion is refused with 503 and {@code Retry-After}
     * (RFC 9110 §15.6.4) rather than accepted unchecked — while a secret on the same task keeps working.
     */
    @Test
    void withRedisDownAnAssertionIsRefusedAsUnavailableNotAcceptedUnchecked() throws Exception {
        int port = TestServers.freePort();
        RedisServer redis = TestServers.startRedis(port);
        try (RunningIdp idp = RunningIdp.start(Map.of("REDIS_URL", "redis://127.0.0.1:" + port))) {
            String agent = idp.createAgent("pkjwt-redis", "weather:read").getString("agentId");
            String agentSecret = idp.createCredential(agent).getString("clientSecret");
            RSAKey key = new RSAKeyGenerator(2048).keyID("k").generate();
            assertThat(idp.call(
                                    "POST",
                                    "/api/v1/agents/" + agent + "/keys",
                                    idp.adminToken(),
                                    new JsonObject()
                                            .put(
                                                    "jwk",
                                                    new JsonObject(
                                                            key.toPublicJWK().toJSONObject())))
                            .statusCode())
                    .isEqualTo(201);
            Consumer<JWTClaimsSet.Builder> asAgent = c -> c.issuer(agent).subject(agent);
            assertThat(tokenWith(idp, assertion(new RSASSASigner(key), JWSAlgorithm.RS256, "k", asAgent), "")
                            .statusCode())
                    .isEqualTo(200);

            redis.stop();
            HttpResponse<String> refused =
                    tokenWith(idp, assertion(new RSASSASigner(key), JWSAlgorithm.RS256, "k", asAgent), "");
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
            assertThat(refused.headers().firstValue("Retry-After")).isPresent();
            assertThat(idp.postForm("/api/v1/token", "grant_type=client_credentials", agent, agentSecret)
                            .statusCode())
                    .isEqualTo(200);
        } finally {
            redis.stop();
        }
    }

    @Test
    void aDeletedKeyStopsWorkingOnEveryTask() throws Exception {
        String agent = a.createAgent("pkjwt-delete", "weather:read").getString("agentId");
        RSAKey key = new RSAKeyGenerator(2048).keyID("doomed").generate();
        assertThat(register(agent, key.toPublicJWK().toJSONObject()).statusCode())
                .isEqualTo(201);
        Consumer<JWTClaimsSet.Builder> asAgent = c -> c.issuer(agent).subject(agent);
        assertThat(tokenWith(b, assertion(new RSASSASigner(key), JWSAlgorithm.RS256, "doomed", asAgent), "")
                        .statusCode())
                .isEqualTo(200);

        HttpResponse<String> deleted =
                a.call("DELETE", "/api/v1/agents/" + agent + "/keys/doomed", a.adminToken(), null);
        assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(204);
        assertRefused(tokenWith(a, assertion(new RSASSASigner(key), JWSAlgorithm.RS256, "doomed", asAgent), ""));
        // task b learns of the deletion through PostgreSQL's notification (V7's trigger)
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertRefused(
                        tokenWith(b, assertion(new RSASSASigner(key), JWSAlgorithm.RS256, "doomed", asAgent), "")));
        assertThat(a.call("DELETE", "/api/v1/agents/" + agent + "/keys/doomed", a.adminToken(), null)
                        .statusCode())
                .isEqualTo(404);
    }

    @Test
    void aSecretAndAnAssertionInOneRequestIsInvalidRequest() throws Exception {
        // RFC 6749 §2.3: a client MUST NOT use more than one authentication method in each request
        String form =
                "grant_type=client_credentials&client_assertion_type=" + URLEncoder.encode(TYPE, StandardCharsets.UTF_8)
                        + "&client_assertion=" + URLEncoder.encode(rs256(c -> {}), StandardCharsets.UTF_8);
        HttpResponse<String> basic = a.postForm("/api/v1/token", form, clientId, secret);
        assertThat(basic.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(basic.body()).getString("error")).isEqualTo("invalid_request");
        HttpResponse<String> post =
                a.postForm("/api/v1/token", form + "&client_id=" + clientId + "&client_secret=" + secret, null, null);
        assertThat(post.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(post.body()).getString("error")).isEqualTo("invalid_request");
    }

    @Test
    void theKeysApiTakesOnlyPublicAsymmetricKeysOfAcceptedStrength() throws Exception {
        String agent = a.createAgent("pkjwt-keys", "weather:read").getString("agentId");
        // RFC 7638 §3.1's example key and its thumbprint: the kid of a JWK without one
        Map<String, Object> example = new JsonObject()
                .put("kty", "RSA")
                .put(
                        "n",
                        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw")
                .put("e", "AQAB")
                .put("alg", "RS256")
                .getMap();
        HttpResponse<String> created = register(agent, example);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(new JsonObject(created.body()).getString("kid"))
                .isEqualTo("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
        assertThat(new JsonObject(created.body()).getString("alg")).isEqualTo("RS256");
        assertThat(register(agent, example).statusCode())
                .as("the same kid twice")
                .isEqualTo(409);

        JsonArray items = new JsonObject(a.call("GET", "/api/v1/agents/" + agent + "/keys", a.adminToken(), null)
                        .body())
                .getJsonArray("items");
        assertThat(items).hasSize(1);
        assertThat(items.getJsonObject(0).getJsonObject("jwk").getString("n")).isEqualTo(example.get("n"));

        Map<String, String> refused = new java.util.LinkedHashMap<>();
        refused.put(
                "private key members (d, dp, dq, p, q, qi)",
                new RSAKeyGenerator(2048).generate().toJSONString());
        refused.put(
                "symmetric key",
                new JsonObject().put("kty", "oct").put("k", "c2VjcmV0").encode());
        // NIST SP 800-57 / issue 16 §1: RSA below 2048 bits
        refused.put(
                "1024 bits",
                new RSAKeyGenerator(1024, true).generate().toPublicJWK().toJSONString());
        refused.put(
                "P-256",
                new ECKeyGenerator(Curve.P_384).generate().toPublicJWK().toJSONString());
        for (Map.Entry<String, String> entry : refused.entrySet()) {
            HttpResponse<String> response = register(agent, new JsonObject(entry.getValue()).getMap());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
            assertThat(new JsonObject(response.body()).getString("message")).contains(entry.getKey());
        }
    }

    @Test
    void discoveryAdvertisesPrivateKeyJwtAndItsAlgorithms() throws Exception {
        JsonObject metadata =
                new JsonObject(a.get("/.well-known/oauth-authorization-server").body());
        for (String endpoint : List.of("token", "introspection", "revocation")) {
            // RFC 8414 §2: *_auth_methods_supported and *_auth_signing_alg_values_supported
            assertThat(metadata.getJsonArray(endpoint + "_endpoint_auth_methods_supported"))
                    .contains("private_key_jwt");
            assertThat(metadata.getJsonArray(endpoint + "_endpoint_auth_signing_alg_values_supported"))
                    .containsExactlyInAnyOrder("RS256", "PS256", "ES256")
                    .doesNotContain("none", "HS256");
        }
    }
}
