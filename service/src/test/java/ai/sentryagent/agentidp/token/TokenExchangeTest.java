package ai.sentryagent.agentidp.token;

import static ai.sentryagent.agentidp.testing.RedisCommands.redis;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RedisCommands;
import ai.sentryagent.agentidp.testing.RunningIdp;
import ai.sentryagent.agentidp.testing.TestServers;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
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
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Token exchange (RFC 8693) for agent-to-agent delegation, as a planner → worker → tool chain and an attacker meet
 * it: two tasks share PostgreSQL and Redis, every issued token is verified with Nimbus against the server's key,
 * and every refusal of issue 17 is its own test.
 */
@IntegrationTest
class TokenExchangeTest {
    static final String EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
    static final String ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token";
    static final String WORKER = "https://worker.example/mcp";
    static final String TOOL = "https://tool.example/mcp";
    private static RunningIdp a;
    private static RunningIdp b;
    private static String admin;
    private static String database;
    private static String prefix;

    record Agent(String id, String secret) {}

    @BeforeAll
    static void start() throws Exception {
        database = TestServers.get().createDatabase("exchange");
        prefix = TestServers.get().redisKeyPrefix() + "tx" + Long.toHexString(System.nanoTime()) + ":";
        Map<String, String> shared = Map.of("DATABASE_URL", database, "REDIS_KEY_PREFIX", prefix);
        a = RunningIdp.start(shared);
        b = RunningIdp.start(shared);
        admin = a.adminToken();
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

    static Agent agent(RunningIdp idp, String adminToken, String name) throws Exception {
        JsonObject body = new JsonObject()
                .put("name", name)
                .put("owner", "team-test")
                .put("scopes", new JsonArray().add("weather:read").add("reports:read"))
                .put("resources", new JsonArray().add(WORKER).add(TOOL));
        HttpResponse<String> created = idp.call("POST", "/api/v1/agents", adminToken, body);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String id = new JsonObject(created.body()).getString("agentId");
        return new Agent(id, idp.createCredential(id).getString("clientSecret"));
    }

    private static Agent agent(String name) throws Exception {
        return agent(a, admin, name);
    }

    private static String delegate(Agent subject, Agent actor, Consumer<JsonObject> edit) throws Exception {
        JsonObject body = new JsonObject()
                .put("actorAgentId", actor.id())
                .put("scopes", new JsonArray().add("weather:read").add("reports:read"));
        edit.accept(body);
        HttpResponse<String> created = a.call("POST", "/api/v1/agents/" + subject.id() + "/delegations", admin, body);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        return new JsonObject(created.body()).getString("delegationId");
    }

    private static String token(Agent agent) throws Exception {
        return a.token(agent.id(), agent.secret(), null);
    }

    private static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    static HttpResponse<String> exchange(RunningIdp idp, Agent actor, String subjectToken, String extra)
            throws Exception {
        String form = "grant_type=" + enc(EXCHANGE) + "&subject_token=" + enc(subjectToken) + "&subject_token_type="
                + enc(ACCESS_TOKEN) + extra;
        return idp.postForm("/api/v1/token", form, actor.id(), actor.secret());
    }

    private static String exchanged(RunningIdp idp, Agent actor, String subjectToken, String extra) throws Exception {
        HttpResponse<String> response = exchange(idp, actor, subjectToken, extra);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return new JsonObject(response.body()).getString("access_token");
    }

    static JsonObject introspect(RunningIdp idp, String token) throws Exception {
        HttpResponse<String> response = idp.postForm(
                "/api/v1/token/introspect", "token=" + enc(token), RunningIdp.ADMIN_CLIENT_ID, RunningIdp.ADMIN_SECRET);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return new JsonObject(response.body());
    }

    private static void assertError(HttpResponse<String> response, int status, String error, String containing) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonObject body = new JsonObject(response.body());
        assertThat(body.getString("error")).as(response.body()).isEqualTo(error);
        assertThat(body.getString("error_description")).contains(containing);
    }

    private static JWTClaimsSet verified(String jwt) throws Exception {
        SignedJWT token = SignedJWT.parse(jwt);
        assertThat(token.verify(
                        new RSASSAVerifier((RSAPublicKey) RunningIdp.keys().getPublic())))
                .isTrue();
        return token.getJWTClaimsSet();
    }

    /** A token of the real token's header and the server's key whose claims {@code edit} changed. */
    private static String forged(String real, Consumer<JsonObject> edit) throws Exception {
        String[] parts = real.split("\\.");
        JsonObject claims = new JsonObject(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
        edit.accept(claims);
        JWSObject jws = new JWSObject(
                JWSHeader.parse(new Base64URL(parts[0])),
                new Payload(Base64URL.encode(claims.encode().getBytes(StandardCharsets.UTF_8))));
        jws.sign(new RSASSASigner(RunningIdp.keys().getPrivate()));
        return jws.serialize();
    }

    @Test
    void twoAndThreeHopChainsCarryTheSubjectANestedActAndNarrowingScopes() throws Exception {
        Agent planner = agent("planner");
        Agent worker = agent("worker");
        Agent tool = agent("tool");
        delegate(planner, worker, d -> {});
        delegate(worker, tool, d -> d.put("scopes", new JsonArray().add("weather:read")));
        String subject = token(planner);
        JWTClaimsSet subjectClaims = verified(subject);

        HttpResponse<String> first = exchange(a, worker, subject, "&resource=" + enc(WORKER));
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        // RFC 8693 §2.2.1: issued_token_type is required; RFC 6749 §5.1: no-store.
        assertThat(first.headers().firstValue("Cache-Control")).hasValue("no-store");
        JsonObject body = new JsonObject(first.body());
        assertThat(body.getString("issued_token_type")).isEqualTo(ACCESS_TOKEN);
        assertThat(body.getString("token_type")).isEqualTo("Bearer");
        assertThat(body.getLong("expires_in")).isBetween(1L, 300L);
        String hop1 = body.getString("access_token");
        JWTClaimsSet one = verified(hop1);
        assertThat(one.getSubject()).isEqualTo(planner.id());
        assertThat(one.getStringClaim("client_id")).isEqualTo(worker.id());
        assertThat(one.getJSONObjectClaim("act")).isEqualTo(Map.of("sub", worker.id()));
        assertThat(one.getStringClaim("scope")).isEqualTo("weather:read reports:read");
        assertThat(one.getAudience()).containsExactly(WORKER);
        assertThat(one.getExpirationTime()).isBeforeOrEqualTo(subjectClaims.getExpirationTime());
        assertThat(one.getExpirationTime().toInstant())
                .isBeforeOrEqualTo(Instant.now().plusSeconds(301));

        // The second hop on the other task: the worker's delegation to the tool names only weather:read.
        HttpResponse<String> narrower =
                exchange(b, tool, hop1, "&scope=" + enc("weather:read reports:read") + "&resource=" + enc(TOOL));
        assertError(narrower, 400, "invalid_scope", "reports:read");
        String hop2 = exchanged(b, tool, hop1, "&resource=" + enc(TOOL));
        JWTClaimsSet two = verified(hop2);
        assertThat(two.getSubject()).isEqualTo(planner.id());
        assertThat(two.getStringClaim("client_id")).isEqualTo(tool.id());
        // RFC 8693 §4.1: the current actor outermost, the prior actor nested inside.
        assertThat(two.getJSONObjectClaim("act"))
                .isEqualTo(Map.of("sub", tool.id(), "act", Map.of("sub", worker.id())));
        assertThat(two.getStringClaim("scope")).isEqualTo("weather:read");
        assertThat(two.getAudience()).containsExactly(TOOL);
        assertThat(two.getExpirationTime()).isBeforeOrEqualTo(one.getExpirationTime());

        // A third hop: the tool hands on to a sub-tool.
        Agent subTool = agent("sub-tool");
        delegate(tool, subTool, d -> d.put("scopes", new JsonArray().add("weather:read")));
        String hop3 = exchanged(a, subTool, hop2, "");
        JWTClaimsSet three = verified(hop3);
        assertThat(three.getSubject()).isEqualTo(planner.id());
        assertThat(three.getJSONObjectClaim("act"))
                .isEqualTo(Map.of(
                        "sub", subTool.id(), "act", Map.of("sub", tool.id(), "act", Map.of("sub", worker.id()))));
        assertThat(three.getExpirationTime()).isBeforeOrEqualTo(two.getExpirationTime());

        JsonObject introspected = introspect(b, hop3);
        assertThat(introspected.getBoolean("active")).isTrue();
        assertThat(introspected.getString("sub")).isEqualTo(planner.id());
        assertThat(introspected.getJsonObject("act").getJsonObject("act").getString("sub"))
                .isEqualTo(tool.id());

        // The audit trail has the whole chain.
        HttpResponse<String> trail = a.call("GET", "/api/v1/audit?action=token.exchanged&limit=100", admin, null);
        assertThat(trail.body()).contains(worker.id(), tool.id(), subTool.id());
    }

    @Test
    void revokingTheSubjectTokenOrADelegationDeactivatesEveryDerivedTokenOnEveryTask() throws Exception {
        Agent planner = agent("planner-r");
        Agent worker = agent("worker-r");
        Agent tool = agent("tool-r");
        delegate(planner, worker, d -> {});
        String workerToTool = delegate(worker, tool, d -> {});
        String subject = token(planner);
        String hop1 = exchanged(a, worker, subject, "");
        String hop2 = exchanged(b, tool, hop1, "");
        assertThat(introspect(b, hop2).getBoolean("active")).isTrue();
        assertThat(a.call("GET", "/api/v1/agents/" + planner.id(), hop2, null).statusCode())
                .isEqualTo(200);

        // RFC 7009 on task a by the planner; task b refuses both derived tokens at once.
        HttpResponse<String> revoked =
                a.postForm("/api/v1/token/revoke", "token=" + enc(subject), planner.id(), planner.secret());
        assertThat(revoked.statusCode()).isEqualTo(200);
        assertThat(introspect(b, hop1).getBoolean("active")).isFalse();
        assertThat(introspect(b, hop2).getBoolean("active")).isFalse();
        // The bearer-protected API refuses them as well.
        assertThat(b.call("GET", "/api/v1/agents/" + planner.id(), hop2, null).statusCode())
                .isEqualTo(401);
        assertError(exchange(b, tool, hop1, ""), 400, "invalid_grant", "revoked");

        // Revoking the worker → tool delegation on task b cuts off a fresh chain's second hop on task a.
        String subject2 = token(planner);
        String fresh1 = exchanged(a, worker, subject2, "");
        String fresh2 = exchanged(a, tool, fresh1, "");
        assertThat(b.call("DELETE", "/api/v1/agents/" + worker.id() + "/delegations/" + workerToTool, admin, null)
                        .statusCode())
                .isEqualTo(204);
        assertThat(introspect(a, fresh2).getBoolean("active")).isFalse();
        assertThat(introspect(a, fresh1).getBoolean("active")).isTrue();
        // The tool's only delegation is gone: it may not exchange at all.
        assertError(exchange(a, tool, fresh1, ""), 400, "unauthorized_client", "no live delegation");
        // Idempotent.
        assertThat(a.call("DELETE", "/api/v1/agents/" + worker.id() + "/delegations/" + workerToTool, admin, null)
                        .statusCode())
                .isEqualTo(204);
    }

    @Test
    void aDelegationThatExpiresMidChainEndsTheTokensThatRestOnIt() throws Exception {
        Agent planner = agent("planner-e");
        Agent worker = agent("worker-e");
        Agent tool = agent("tool-e");
        delegate(planner, worker, d -> {});
        Instant soon = Instant.now().plusSeconds(4);
        delegate(worker, tool, d -> d.put("expiresAt", soon.toString()));
        String hop1 = exchanged(a, worker, token(planner), "");
        String hop2 = exchanged(a, tool, hop1, "");
        // Never past the delegation it rests on.
        assertThat(verified(hop2).getExpirationTime().toInstant()).isBeforeOrEqualTo(soon);
        await().atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> !introspect(b, hop2).getBoolean("active")
                        && Instant.now().isAfter(soon));
        assertThat(introspect(b, hop1).getBoolean("active")).isTrue();
        assertError(exchange(b, tool, hop1, ""), 400, "unauthorized_client", "no live delegation");
    }

    @Test
    void noTokenMintedFromARevokedDelegationStaysActiveAfterTheRevocationAnswers() throws Exception {
        Agent planner = agent("planner-c");
        Agent worker = agent("worker-c");
        String delegationId = delegate(planner, worker, d -> {});
        String subject = token(planner);
        List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            RunningIdp idp = i % 2 == 0 ? a : b;
            inFlight.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return exchange(idp, worker, subject, "");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        HttpResponse<String> revoked =
                b.call("DELETE", "/api/v1/agents/" + planner.id() + "/delegations/" + delegationId, admin, null);
        assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(204);
        int issued = 0;
        for (CompletableFuture<HttpResponse<String>> pending : inFlight) {
            HttpResponse<String> response = pending.get();
            if (response.statusCode() == 200) {
                issued++;
                String derived = new JsonObject(response.body()).getString("access_token");
                assertThat(introspect(a, derived).getBoolean("active")).isFalse();
                assertThat(introspect(b, derived).getBoolean("active")).isFalse();
            } else {
                assertError(response, 400, "unauthorized_client", "no live delegation");
            }
        }
        assertThat(issued).isBetween(0, 12);
        assertError(exchange(a, worker, subject, ""), 400, "unauthorized_client", "no live delegation");
    }

    /** F-03 for chains: the subject's and every actor's state is checked, not only the token's own client. */
    @Test
    void suspendingAnActorOrCuttingOffItsTokensEndsTheChainBelowIt() throws Exception {
        Agent planner = agent("planner-s");
        Agent worker = agent("worker-s");
        Agent tool = agent("tool-s");
        delegate(planner, worker, d -> {});
        delegate(worker, tool, d -> {});
        String hop1 = exchanged(a, worker, token(planner), "");
        String hop2 = exchanged(a, tool, hop1, "");
        HttpResponse<String> suspended =
                a.call("PATCH", "/api/v1/agents/" + worker.id(), admin, new JsonObject().put("status", "suspended"));
        assertThat(suspended.statusCode()).as(suspended.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> !introspect(b, hop2).getBoolean("active"));
        // As for the agent's own tokens (docs/api.md, "What changes do to existing tokens"): suspension cuts them
        // off for good, so reactivating the worker does not revive the tool's token derived through it.
        assertThat(a.call("PATCH", "/api/v1/agents/" + worker.id(), admin, new JsonObject().put("status", "active"))
                        .statusCode())
                .isEqualTo(200);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> introspect(b, token(worker)).getBoolean("active"));
        assertThat(introspect(b, hop2).getBoolean("active")).isFalse();

        // Cutting off the worker's tokens ends those it obtained by exchange and those derived from them.
        String again1 = exchanged(a, worker, token(planner), "");
        String again2 = exchanged(a, tool, again1, "");
        assertThat(introspect(b, again2).getBoolean("active")).isTrue();
        HttpResponse<String> cutOff = a.call("POST", "/api/v1/agents/" + worker.id() + "/tokens/revoke", admin, null);
        assertThat(cutOff.statusCode()).as(cutOff.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> !introspect(b, again2).getBoolean("active"));
        assertThat(introspect(a, again1).getBoolean("active")).isFalse();

        // The subject suspended: every token acting for it.
        String fresh = exchanged(a, worker, token(planner), "");
        assertThat(a.call("PATCH", "/api/v1/agents/" + planner.id(), admin, new JsonObject().put("status", "suspended"))
                        .statusCode())
                .isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> !introspect(b, fresh).getBoolean("active"));
    }

    @Test
    void cyclesAndChainsLongerThanTheFirstDelegationAllowsAreRefused() throws Exception {
        Agent planner = agent("planner-d");
        Agent worker = agent("worker-d");
        Agent tool = agent("tool-d");
        delegate(planner, worker, d -> d.put("maxDepth", 1));
        delegate(worker, planner, d -> {});
        delegate(worker, tool, d -> {});
        String hop1 = exchanged(a, worker, token(planner), "");
        // A → B → A: the planner is the subject already.
        assertError(exchange(a, planner, hop1, ""), 400, "invalid_grant", "cycle");
        // The first delegation allows one actor; the tool would be the second.
        assertError(exchange(a, tool, hop1, ""), 400, "invalid_grant", "allows 1");
    }

    /** The refusal tests' cast: the planner delegated to the worker for the worker's resource only. */
    private static Agent plannerX;

    private static Agent workerX;
    private static Agent strangerX;
    private static String subjectX;

    private static synchronized void refusals() throws Exception {
        if (plannerX != null) {
            return;
        }
        plannerX = agent("planner-x");
        workerX = agent("worker-x");
        strangerX = agent("stranger-x");
        Agent other = agent("other-x");
        delegate(plannerX, workerX, d -> d.put("audiences", new JsonArray().add(WORKER)));
        delegate(other, strangerX, d -> {});
        subjectX = token(plannerX);
    }

    private static HttpResponse<String> form(Agent actor, String form) throws Exception {
        return a.postForm("/api/v1/token", "grant_type=" + enc(EXCHANGE) + form, actor.id(), actor.secret());
    }

    /** RFC 8693 §2.1: subject_token is required. */
    @Test
    void aMissingSubjectTokenIsInvalidRequest() throws Exception {
        refusals();
        assertError(
                form(workerX, "&subject_token_type=" + enc(ACCESS_TOKEN)),
                400,
                "invalid_request",
                "subject_token is required");
    }

    /** RFC 8693 §2.1: subject_token_type is required; this server takes access tokens only (or their jwt name). */
    @Test
    void aMissingOrUnsupportedSubjectTokenTypeIsInvalidRequest() throws Exception {
        refusals();
        assertError(
                form(workerX, "&subject_token=" + enc(subjectX)),
                400,
                "invalid_request",
                "subject_token_type is required");
        assertError(
                form(
                        workerX,
                        "&subject_token=" + enc(subjectX) + "&subject_token_type="
                                + enc("urn:ietf:params:oauth:token-type:saml2")),
                400,
                "invalid_request",
                "subject_token_type");
        // The jwt token type names the same tokens (RFC 8693 §3) and is accepted.
        HttpResponse<String> jwtType = form(
                workerX,
                "&subject_token=" + enc(subjectX) + "&subject_token_type="
                        + enc("urn:ietf:params:oauth:token-type:jwt"));
        assertThat(jwtType.statusCode()).as(jwtType.body()).isEqualTo(200);
    }

    @Test
    void aRequestedTokenTypeOtherThanAnAccessTokenIsInvalidRequest() throws Exception {
        refusals();
        assertError(
                exchange(
                        a,
                        workerX,
                        subjectX,
                        "&requested_token_type=" + enc("urn:ietf:params:oauth:token-type:refresh_token")),
                400,
                "invalid_request",
                "requested_token_type");
        assertThat(exchange(a, workerX, subjectX, "&requested_token_type=" + enc(ACCESS_TOKEN))
                        .statusCode())
                .isEqualTo(200);
    }

    /** RFC 8693 §2.2.2: an unacceptable actor_token is invalid_request; it must be the authenticated client's. */
    @Test
    void anActorTokenOfAnotherClientIsInvalidRequest() throws Exception {
        refusals();
        String type = "&actor_token_type=" + enc(ACCESS_TOKEN);
        assertError(
                exchange(a, workerX, subjectX, "&actor_token=" + enc(token(strangerX)) + type),
                400,
                "invalid_request",
                "actor_token");
        assertError(
                exchange(a, workerX, subjectX, "&actor_token=" + enc(token(workerX))),
                400,
                "invalid_request",
                "actor_token");
        assertThat(exchange(a, workerX, subjectX, "&actor_token=" + enc(token(workerX)) + type)
                        .statusCode())
                .isEqualTo(200);
    }

    /**
     * RFC 8693 §2.2.2: an actor_token that is not acceptable is invalid_request — a revoked token of the client is
     * no proof of anything, and neither is one the client obtained by exchange (its sub is another agent).
     */
    @Test
    void aRevokedOrDelegatedActorTokenIsInvalidRequest() throws Exception {
        refusals();
        String type = "&actor_token_type=" + enc(ACCESS_TOKEN);
        String own = token(workerX);
        assertThat(a.postForm("/api/v1/token/revoke", "token=" + enc(own), workerX.id(), workerX.secret())
                        .statusCode())
                .isEqualTo(200);
        assertError(
                exchange(b, workerX, subjectX, "&actor_token=" + enc(own) + type),
                400,
                "invalid_request",
                "actor_token");
        String delegated = exchanged(a, workerX, subjectX, "");
        assertError(
                exchange(a, workerX, subjectX, "&actor_token=" + enc(delegated) + type),
                400,
                "invalid_request",
                "actor_token");
    }

    /**
     * Subject tokens in other spellings of a JWS: alg none (RFC 7518 §3.6), the JWS JSON serialization (RFC 7515
     * §7.2), an unknown kid, a crit header (RFC 7515 §4.1.11), a JWE-shaped five-part token, and one past the
     * length any token of this issuer has — each invalid_grant (or invalid_request), never 500.
     */
    @Test
    void subjectTokensInOtherJoseSpellingsAreRefused() throws Exception {
        refusals();
        String[] parts = subjectX.split("\\.");
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String none = b64.encodeToString("{\"alg\":\"none\",\"typ\":\"at+jwt\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + parts[1] + ".";
        JsonObject header = new JsonObject(new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8));
        String otherKid =
                b64.encodeToString(header.copy().put("kid", "other").encode().getBytes(StandardCharsets.UTF_8)) + "."
                        + parts[1] + "." + parts[2];
        String crit = b64.encodeToString(header.copy()
                        .put("crit", new JsonArray().add("exp"))
                        .encode()
                        .getBytes(StandardCharsets.UTF_8))
                + "." + parts[1] + "." + parts[2];
        String json = new JsonObject()
                .put("payload", parts[1])
                .put("protected", parts[0])
                .put("signature", parts[2])
                .encode();
        String jwe = parts[0] + ".." + parts[1] + ".." + parts[2];
        for (String bad : List.of(none, otherKid, crit, json, jwe)) {
            assertError(exchange(a, workerX, bad, ""), 400, "invalid_grant", "subject_token");
        }
        HttpResponse<String> huge = exchange(a, workerX, subjectX + "A".repeat(16 * 1024), "");
        assertThat(huge.statusCode()).as(huge.body()).isBetween(400, 413);
    }

    @Test
    void aTamperedSubjectTokenIsInvalidGrant() throws Exception {
        refusals();
        String tampered = subjectX.substring(0, subjectX.length() - 4) + (subjectX.endsWith("AAAA") ? "BBBB" : "AAAA");
        assertError(exchange(a, workerX, tampered, ""), 400, "invalid_grant", "subject_token");
    }

    /** Signed with this server's very key, but naming another issuer: not a token of this issuer. */
    @Test
    void aSubjectTokenFromAnotherIssuerIsInvalidGrant() throws Exception {
        refusals();
        String foreign = forged(subjectX, c -> c.put("iss", "https://other-idp.example"));
        assertError(exchange(a, workerX, foreign, ""), 400, "invalid_grant", "subject_token");
        // The control: the same forging with nothing changed is a token the server accepts.
        assertThat(exchange(a, workerX, forged(subjectX, c -> {}), "").statusCode())
                .isEqualTo(200);
    }

    @Test
    void anExpiredSubjectTokenIsInvalidGrant() throws Exception {
        refusals();
        long past = Instant.now().minusSeconds(120).getEpochSecond();
        String expired = forged(subjectX, c -> c.put("iat", past - 60).put("exp", past));
        assertError(exchange(a, workerX, expired, ""), 400, "invalid_grant", "subject_token");
    }

    /** RFC 6749 §5.2: a client that may not use this grant at all. */
    @Test
    void aClientWithoutAnyDelegationIsUnauthorizedClient() throws Exception {
        refusals();
        Agent nobody = agent("nobody-x");
        assertError(exchange(a, nobody, subjectX, ""), 400, "unauthorized_client", "no live delegation");
    }

    @Test
    void aDelegationFromSomeoneOtherThanTheHolderIsInvalidGrant() throws Exception {
        refusals();
        assertError(exchange(a, strangerX, subjectX, ""), 400, "invalid_grant", "no live delegation");
    }

    @Test
    void aScopeOutsideTheSubjectTokenAndTheDelegationIsInvalidScope() throws Exception {
        refusals();
        assertError(exchange(a, workerX, subjectX, "&scope=admin"), 400, "invalid_scope", "admin");
    }

    /** RFC 8693 §2.2.2 / RFC 8707: a target outside the delegation's audiences. */
    @Test
    void aResourceOrAudienceOutsideTheDelegationIsInvalidTarget() throws Exception {
        refusals();
        assertError(exchange(a, workerX, subjectX, "&resource=" + enc(TOOL)), 400, "invalid_target", TOOL);
        assertError(exchange(a, workerX, subjectX, "&audience=" + enc(TOOL)), 400, "invalid_target", TOOL);
        assertThat(exchange(a, workerX, subjectX, "&audience=" + enc(WORKER)).statusCode())
                .isEqualTo(200);
    }

    /**
     * Issue 17: "resources ⊆ the delegation's audiences" — every delegation of the chain, not only the last hop's.
     * The planner lets the worker act for the worker's resource only; the worker's own delegation to the tool names
     * the tool's resource too (the worker has it registered). The tool must not get a token for the planner that the
     * planner never allowed anyone to hold, whether the worker's token is for its resource or for no resource.
     */
    @Test
    void aLaterHopCannotWidenTheResourcesAnEarlierDelegationAllowed() throws Exception {
        Agent planner = agent("planner-w");
        Agent worker = agent("worker-w");
        Agent tool = agent("tool-w");
        delegate(planner, worker, d -> d.put("audiences", new JsonArray().add(WORKER)));
        delegate(worker, tool, d -> {});
        String subject = token(planner);
        String bound = exchanged(a, worker, subject, "&resource=" + enc(WORKER));
        String unbound = exchanged(a, worker, subject, "");
        assertError(exchange(a, tool, bound, "&resource=" + enc(TOOL)), 400, "invalid_target", TOOL);
        assertError(exchange(a, tool, unbound, "&resource=" + enc(TOOL)), 400, "invalid_target", TOOL);
        assertError(exchange(b, tool, unbound, "&audience=" + enc(TOOL)), 400, "invalid_target", TOOL);
        // The control: what the planner allowed still passes on.
        assertThat(verified(exchanged(a, tool, bound, "&resource=" + enc(WORKER)))
                        .getAudience())
                .containsExactly(WORKER);
    }

    /**
     * RFC 8693 §2.1: "Multiple audience parameters may be used to indicate that the issued token is intended to be
     * used at the multiple audiences listed" — a repeated audience is not RFC 6749 §3.2's repeated parameter.
     */
    @Test
    void severalAudienceParametersAskForSeveralAudiences() throws Exception {
        Agent planner = agent("planner-m");
        Agent worker = agent("worker-m");
        delegate(planner, worker, d -> {});
        String subject = token(planner);
        JWTClaimsSet claims =
                verified(exchanged(a, worker, subject, "&audience=" + enc(WORKER) + "&audience=" + enc(TOOL)));
        assertThat(claims.getAudience()).containsExactly(WORKER, TOOL);
        // Each is checked like a resource.
        assertError(
                exchange(a, worker, subject, "&audience=" + enc(WORKER) + "&audience=" + enc("https://else.example/")),
                400,
                "invalid_target",
                "https://else.example/");
    }

    /**
     * A delegation hands on scopes, not the subject's identity: the policy's {@code self} (the agent managing
     * itself) must not let a delegate cut off the subject's tokens or revoke the subject's other delegations — a
     * worker holding only {@code weather:read} for the planner could otherwise shut the planner out. Reading the
     * subject's own record stays allowed (revokingTheSubjectToken... relies on it).
     */
    @Test
    void aDelegatedTokenDoesNotInheritTheSubjectsSelfServiceWrites() throws Exception {
        Agent planner = agent("planner-p");
        Agent worker = agent("worker-p");
        Agent other = agent("other-p");
        delegate(planner, worker, d -> {});
        String toOther = delegate(planner, other, d -> {});
        String subject = token(planner);
        String delegated = exchanged(a, worker, subject, "");
        assertThat(a.call("GET", "/api/v1/agents/" + planner.id(), delegated, null)
                        .statusCode())
                .isEqualTo(200);
        HttpResponse<String> cutOff =
                a.call("POST", "/api/v1/agents/" + planner.id() + "/tokens/revoke", delegated, null);
        assertThat(cutOff.statusCode()).as(cutOff.body()).isEqualTo(403);
        HttpResponse<String> revoke =
                a.call("DELETE", "/api/v1/agents/" + planner.id() + "/delegations/" + toOther, delegated, null);
        assertThat(revoke.statusCode()).as(revoke.body()).isEqualTo(403);
        assertThat(introspect(a, subject).getBoolean("active")).isTrue();
        assertThat(exchange(a, other, subject, "").statusCode()).isEqualTo(200);
        // The planner itself still may.
        assertThat(a.call("DELETE", "/api/v1/agents/" + planner.id() + "/delegations/" + toOther, subject, null)
                        .statusCode())
                .isEqualTo(204);
    }

    /**
     * Issue 17 (attack list): a token obtained by token exchange cannot create delegations — neither through the
     * subject's {@code self} nor with a management scope it was delegated. A delegate hands on through the chain.
     */
    @Test
    void aDelegatedTokenCannotCreateDelegations() throws Exception {
        JsonObject body = new JsonObject()
                .put("name", "boss-g")
                .put("owner", "team-test")
                .put("scopes", new JsonArray().add("weather:read").add("agents:write"));
        HttpResponse<String> created = a.call("POST", "/api/v1/agents", admin, body);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String bossId = new JsonObject(created.body()).getString("agentId");
        Agent boss = new Agent(bossId, a.createCredential(bossId).getString("clientSecret"));
        Agent worker = agent("worker-g");
        Agent third = agent("third-g");
        delegate(
                boss,
                worker,
                d -> d.put("scopes", new JsonArray().add("weather:read").add("agents:write")));
        String delegated = exchanged(a, worker, token(boss), "");
        assertThat(verified(delegated).getStringClaim("scope")).contains("agents:write");
        JsonObject grant =
                new JsonObject().put("actorAgentId", third.id()).put("scopes", new JsonArray().add("weather:read"));
        for (String subjectId : List.of(boss.id(), worker.id(), agent("s-g").id())) {
            HttpResponse<String> refused =
                    a.call("POST", "/api/v1/agents/" + subjectId + "/delegations", delegated, grant);
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(403);
        }
    }

    /**
     * RFC 7009 §2.1: the server checks the token was issued to the revoking client. A derived token is the actor's
     * (its client_id): the actor revokes it, and every token derived from it goes too; the subject cannot revoke it
     * directly (it revokes its own token instead, which cascades).
     */
    @Test
    void theActorRevokesADerivedTokenAndTheSubjectCannot() throws Exception {
        Agent planner = agent("planner-k");
        Agent worker = agent("worker-k");
        Agent tool = agent("tool-k");
        delegate(planner, worker, d -> {});
        delegate(worker, tool, d -> {});
        String hop1 = exchanged(a, worker, token(planner), "");
        String hop2 = exchanged(a, tool, hop1, "");
        assertError(
                a.postForm("/api/v1/token/revoke", "token=" + enc(hop1), planner.id(), planner.secret()),
                400,
                "unauthorized_client",
                "not issued to this client");
        assertThat(introspect(b, hop1).getBoolean("active")).isTrue();
        assertThat(a.postForm("/api/v1/token/revoke", "token=" + enc(hop1), worker.id(), worker.secret())
                        .statusCode())
                .isEqualTo(200);
        assertThat(introspect(b, hop1).getBoolean("active")).isFalse();
        assertThat(introspect(b, hop2).getBoolean("active")).isFalse();
    }

    /**
     * docs/delegation.md: "a delegation never exceeds its subject". The worker's delegation to the tool was checked
     * against the worker's scopes and resources when it was made; once the worker loses a scope or a resource, the
     * tool may no longer get it through the worker — as the planner's own token loses what the planner lost.
     */
    @Test
    void aLaterHopKeepsWithinWhatTheHolderStillHolds() throws Exception {
        Agent planner = agent("planner-n");
        Agent worker = agent("worker-n");
        Agent tool = agent("tool-n");
        delegate(planner, worker, d -> {});
        delegate(worker, tool, d -> {});
        String hop1 = exchanged(a, worker, token(planner), "");
        HttpResponse<String> narrowed = a.call(
                "PATCH",
                "/api/v1/agents/" + worker.id(),
                admin,
                new JsonObject()
                        .put("scopes", new JsonArray().add("weather:read"))
                        .put("resources", new JsonArray().add(WORKER)));
        assertThat(narrowed.statusCode()).as(narrowed.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> exchange(b, tool, hop1, "&scope=reports:read").statusCode() == 400);
        assertError(exchange(a, tool, hop1, "&scope=reports:read"), 400, "invalid_scope", "reports:read");
        assertError(exchange(a, tool, hop1, "&resource=" + enc(TOOL)), 400, "invalid_target", TOOL);
        assertThat(verified(exchanged(a, tool, hop1, "")).getStringClaim("scope"))
                .isEqualTo("weather:read");
    }

    @Test
    void aWrongActorSecretIsInvalidClient() throws Exception {
        refusals();
        HttpResponse<String> wrong = a.postForm(
                "/api/v1/token",
                "grant_type=" + enc(EXCHANGE) + "&subject_token=" + enc(subjectX) + "&subject_token_type="
                        + enc(ACCESS_TOKEN),
                workerX.id(),
                "not-the-secret");
        assertError(wrong, 401, "invalid_client", "client authentication failed");
    }

    /** RFC 8414 §2: the discovery document names the grant. */
    @Test
    void discoveryNamesTheGrant() throws Exception {
        assertThat(new JsonObject(
                                a.get("/.well-known/oauth-authorization-server").body())
                        .getJsonArray("grant_types_supported"))
                .contains(EXCHANGE);
    }

    /**
     * Issue 17's budget: introspecting a delegated token costs at most two database or Redis round trips, however
     * deep its chain — the caller's rate-limit count and one {@code ZMSCORE} for every revocation that could end it.
     * Counted with Redis {@code MONITOR} (this test's key prefix; commands a Lua script runs are not round trips),
     * with PostgreSQL's tables locked so that any query would hang the introspection past its timeout. Then Redis
     * loses its copy, and the PostgreSQL fallback still sees a revoked ancestor.
     */
    @Test
    void introspectingADelegatedTokenCostsTwoRoundTripsAndThePostgresFallbackCoversAncestors() throws Exception {
        Agent planner = agent("planner-t");
        Agent worker = agent("worker-t");
        Agent tool = agent("tool-t");
        delegate(planner, worker, d -> {});
        delegate(worker, tool, d -> {});
        String subject = token(planner);
        String hop2 = exchanged(a, tool, exchanged(a, worker, subject, ""), "");
        assertThat(introspect(b, hop2).getBoolean("active")).isTrue(); // warms b's client directory

        try (java.sql.Connection db = jdbc();
                java.sql.Statement sql = db.createStatement()) {
            db.setAutoCommit(false);
            sql.execute("LOCK TABLE agents, credentials, agent_keys, token_revocations, delegations"
                    + " IN ACCESS EXCLUSIVE MODE");
            List<String> commands = RedisCommands.monitored(
                    prefix,
                    () -> assertThat(introspect(b, hop2).getBoolean("active")).isTrue());
            assertThat(commands).as(String.join("\n", commands)).hasSizeLessThanOrEqualTo(2);
            assertThat(commands)
                    .anyMatch(line -> line.toLowerCase(java.util.Locale.ROOT).contains("\"zmscore\""));
            db.commit();
        }

        assertThat(a.postForm("/api/v1/token/revoke", "token=" + enc(subject), planner.id(), planner.secret())
                        .statusCode())
                .isEqualTo(200);
        redis("DEL", prefix + "revoked:jti"); // the copy is gone: only PostgreSQL knows the ancestor is revoked
        assertThat(introspect(b, hop2).getBoolean("active")).isFalse();
    }

    /**
     * Issue 17's cost: with the actor's delegations in memory, an exchange is two Redis round trips — the client's
     * rate-limit script, and one {@code ZMSCORE} for the subject token's jti, ancestors and delegations together with
     * the delegation the new token rests on (those were two {@code ZMSCORE}s). For a first hop and a second.
     */
    @Test
    void anExchangeAsksAboutTheSubjectTokenAndTheDelegationInOneRedisCommand() throws Exception {
        Agent planner = agent("planner-r");
        Agent worker = agent("worker-r");
        Agent tool = agent("tool-r");
        delegate(planner, worker, d -> {});
        delegate(worker, tool, d -> {});
        String subject = token(planner);
        String hop1 = exchanged(a, worker, subject, ""); // task a now holds the worker's delegations in memory
        exchanged(a, tool, hop1, ""); // and the tool's
        for (Agent actor : List.of(worker, tool)) {
            String subjectToken = actor == worker ? subject : hop1;
            List<String> commands = RedisCommands.monitored(prefix, () -> exchanged(a, actor, subjectToken, ""));
            assertThat(commands.stream().map(RedisCommands::name).toList())
                    .as(String.join("\n", commands))
                    .containsExactlyInAnyOrder("eval", "zmscore");
        }
    }

    /**
     * Issue 17, "Redis down": a revoked delegation must stay revoked when Redis has lost its copy — both for a task
     * that holds the actor's delegations in memory (the exchange) and for introspection of a token resting on it.
     */
    @Test
    void aRevokedDelegationStaysRevokedWhenRedisLosesItsCopy() throws Exception {
        Agent planner = agent("planner-l");
        Agent worker = agent("worker-l");
        String delegationId = delegate(planner, worker, d -> {});
        String subject = token(planner);
        String derived = exchanged(a, worker, subject, ""); // task a now holds the worker's delegations in memory
        assertThat(b.call("DELETE", "/api/v1/agents/" + planner.id() + "/delegations/" + delegationId, admin, null)
                        .statusCode())
                .isEqualTo(204);
        redis("DEL", prefix + "revoked:jti");
        assertError(exchange(a, worker, subject, ""), 400, "unauthorized_client", "no live delegation");
        redis("DEL", prefix + "revoked:jti");
        assertThat(introspect(a, derived).getBoolean("active")).isFalse();
        redis("DEL", prefix + "revoked:jti");
        assertThat(introspect(b, derived).getBoolean("active")).isFalse();
    }

    private static java.sql.Connection jdbc() throws Exception {
        var parsed = ai.sentryagent.agentidp.config.DatabaseUrl.parse(database);
        return java.sql.DriverManager.getConnection(parsed.jdbcUrl(), parsed.user(), parsed.password());
    }
}
