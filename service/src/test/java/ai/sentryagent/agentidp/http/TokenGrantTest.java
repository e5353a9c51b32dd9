package ai.sentryagent.agentidp.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.config.DatabaseUrl;
import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RunningIdp;
import ai.sentryagent.agentidp.testing.TestServers;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * F-03: a token must not outlive the grant it was issued for. Each test obtains a token, then changes the agent the
 * way an operator would, and sends the old token again to the management API and to introspection (RFC 7662 §2.2:
 * "active" means the token may be used now; OWASP ASVS V3.5.1/V3.3.1: revoking a grant ends the tokens built on it).
 */
@IntegrationTest
class TokenGrantTest {
    private static RunningIdp idp;
    private static String admin;

    @BeforeAll
    static void start() throws Exception {
        idp = RunningIdp.start();
        admin = idp.adminToken();
    }

    @AfterAll
    static void stop() throws Exception {
        idp.close();
    }

    private record Client(String id, String credentialId, String secret) {}

    private static Client agent(String name, String... scopes) throws Exception {
        String id = idp.createAgent(name, scopes).getString("agentId");
        JsonObject credential = idp.createCredential(id);
        return new Client(id, credential.getString("credentialId"), credential.getString("clientSecret"));
    }

    /** The agent reading itself: allowed by the policy's {@code self}, so it needs no scope. */
    private static int selfRead(RunningIdp on, Client client, String token) throws Exception {
        return on.call("GET", "/api/v1/agents/" + client.id(), token, null).statusCode();
    }

    private static JsonObject introspect(RunningIdp on, String token) throws Exception {
        HttpResponse<String> response = on.postForm(
                "/api/v1/token/introspect", "token=" + token, RunningIdp.ADMIN_CLIENT_ID, RunningIdp.ADMIN_SECRET);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return new JsonObject(response.body());
    }

    private static void assertRefused(Client client, String token) throws Exception {
        HttpResponse<String> response = idp.call("GET", "/api/v1/agents/" + client.id(), token, null);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(401);
        assertThat(response.headers().firstValue("www-authenticate"))
                .hasValueSatisfying(value -> assertThat(value).contains("error=\"invalid_token\""));
        assertThat(introspect(idp, token)).isEqualTo(new JsonObject().put("active", false));
    }

    private static void assertWorks(Client client, String token) throws Exception {
        assertThat(selfRead(idp, client, token)).isEqualTo(200);
        assertThat(introspect(idp, token).getBoolean("active")).isTrue();
    }

    private static HttpResponse<String> revokeTokens(String agentId, String bearer) throws Exception {
        return idp.call("POST", "/api/v1/agents/" + agentId + "/tokens/revoke", bearer, null);
    }

    private static long iat(String token) {
        return new JsonObject(new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]))).getLong("iat");
    }

    @Test
    void suspendingTheAgentEndsItsTokensAndReactivatingDoesNotReviveThem() throws Exception {
        Client client = agent("suspended-later", "weather:read");
        String token = idp.token(client.id(), client.secret(), null);
        assertWorks(client, token);

        JsonObject suspend = new JsonObject().put("status", "suspended");
        assertThat(idp.call("PATCH", "/api/v1/agents/" + client.id(), admin, suspend)
                        .statusCode())
                .isEqualTo(200);
        assertRefused(client, token);

        JsonObject reactivate = new JsonObject().put("status", "active");
        assertThat(idp.call("PATCH", "/api/v1/agents/" + client.id(), admin, reactivate)
                        .statusCode())
                .isEqualTo(200);
        assertRefused(client, token);
        assertWorks(client, idp.token(client.id(), client.secret(), null));
    }

    @Test
    void decommissioningTheAgentEndsItsTokens() throws Exception {
        Client client = agent("decommissioned-later", "weather:read");
        String token = idp.token(client.id(), client.secret(), null);
        assertWorks(client, token);
        assertThat(idp.call("DELETE", "/api/v1/agents/" + client.id(), admin, null)
                        .statusCode())
                .isEqualTo(204);
        assertRefused(client, token);
    }

    @Test
    void revokingTheCredentialEndsTheTokensIssuedBeforeButNotTheOnesAfter() throws Exception {
        Client client = agent("credential-revoked", "weather:read");
        JsonObject spare = idp.createCredential(client.id());
        String token = idp.token(client.id(), client.secret(), null);
        assertWorks(client, token);

        assertThat(idp.call(
                                "DELETE",
                                "/api/v1/agents/" + client.id() + "/credentials/" + client.credentialId(),
                                admin,
                                null)
                        .statusCode())
                .isEqualTo(204);
        assertRefused(client, token);

        // Tokens do not say which credential they came from: the cut-off ends all of the agent's earlier tokens,
        // and the remaining credential gets new ones that work — also in the same second as the revocation.
        String fresh = idp.token(client.id(), spare.getString("clientSecret"), null);
        assertWorks(client, fresh);
        // Revoking the already revoked credential again moves nothing: the fresh token keeps working.
        assertThat(idp.call(
                                "DELETE",
                                "/api/v1/agents/" + client.id() + "/credentials/" + client.credentialId(),
                                admin,
                                null)
                        .statusCode())
                .isEqualTo(204);
        assertWorks(client, fresh);
    }

    @Test
    void rotatingTheCredentialWithoutGraceEndsItsTokens() throws Exception {
        Client client = agent("credential-rotated", "weather:read");
        String token = idp.token(client.id(), client.secret(), null);
        assertWorks(client, token);
        HttpResponse<String> rotated = idp.call(
                "POST",
                "/api/v1/agents/" + client.id() + "/credentials/" + client.credentialId() + "/rotate",
                admin,
                null);
        assertThat(rotated.statusCode()).as(rotated.body()).isEqualTo(201);
        assertRefused(client, token);
        String fresh = idp.token(client.id(), new JsonObject(rotated.body()).getString("clientSecret"), null);
        assertWorks(client, fresh);
    }

    @Test
    void aRemovedScopeStopsWorkingAtOnceAndIntrospectionShowsWhatIsLeft() throws Exception {
        Client client = agent("scope-removed", "agents:read", "weather:read");
        String token = idp.token(client.id(), client.secret(), null);
        assertThat(idp.call("GET", "/api/v1/agents", token, null).statusCode()).isEqualTo(200);

        JsonObject narrow = new JsonObject().put("scopes", new JsonArray().add("weather:read"));
        assertThat(idp.call("PATCH", "/api/v1/agents/" + client.id(), admin, narrow)
                        .statusCode())
                .isEqualTo(200);
        HttpResponse<String> listing = idp.call("GET", "/api/v1/agents", token, null);
        assertThat(listing.statusCode()).as(listing.body()).isEqualTo(403);
        JsonObject introspection = introspect(idp, token);
        assertThat(introspection.getBoolean("active")).isTrue();
        assertThat(introspection.getString("scope")).isEqualTo("weather:read");

        // Giving the scope back restores it: the token was issued with it and the agent holds it again.
        JsonObject widen = new JsonObject()
                .put("scopes", new JsonArray().add("agents:read").add("weather:read"));
        assertThat(idp.call("PATCH", "/api/v1/agents/" + client.id(), admin, widen)
                        .statusCode())
                .isEqualTo(200);
        assertThat(idp.call("GET", "/api/v1/agents", token, null).statusCode()).isEqualTo(200);
    }

    @Test
    void tokensRevokeEndsEveryEarlierTokenAndTheSameSecondIsDeterministic() throws Exception {
        Client client = agent("tokens-revoked", "weather:read");
        // Before, revoke, after — all in the same second most of the time: iat has whole seconds, so the one
        // before must fail and the one after must work, every time.
        for (int round = 0; round < 5; round++) {
            String before = idp.token(client.id(), client.secret(), null);
            HttpResponse<String> revoked = revokeTokens(client.id(), admin);
            assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(200);
            Instant cutOff = Instant.parse(new JsonObject(revoked.body()).getString("tokensRevokedBefore"));
            String after = idp.token(client.id(), client.secret(), null);
            assertRefused(client, before);
            assertWorks(client, after);
            assertThat(iat(before)).isLessThan(cutOff.getEpochSecond());
            assertThat(iat(after)).isGreaterThanOrEqualTo(cutOff.getEpochSecond());
        }

        HttpResponse<String> trail =
                idp.call("GET", "/api/v1/audit?action=agent.tokens_revoked&agentId=" + client.id(), admin, null);
        assertThat(new JsonObject(trail.body()).getJsonArray("items")).hasSize(5);
    }

    @Test
    void anAgentMayCutOffItsOwnTokensButNotAnothers() throws Exception {
        Client client = agent("self-revoker", "weather:read");
        Client victim = agent("not-yours", "weather:read");
        String victimToken = idp.token(victim.id(), victim.secret(), null);
        String token = idp.token(client.id(), client.secret(), null);

        HttpResponse<String> denied = revokeTokens(victim.id(), token);
        assertThat(denied.statusCode()).as(denied.body()).isEqualTo(403);
        assertWorks(victim, victimToken);

        assertThat(revokeTokens(client.id(), token).statusCode()).isEqualTo(200);
        assertRefused(client, token);
        // The cut-off token cannot call it again; an unknown agent is a 404.
        assertThat(revokeTokens(client.id(), token).statusCode()).isEqualTo(401);
        assertThat(revokeTokens("00000000-0000-0000-0000-000000000000", admin).statusCode())
                .isEqualTo(404);
    }

    @Test
    void anotherTaskWithAWarmCacheLearnsOfTheChangeThroughNotifications() throws Exception {
        Client client = agent("two-tasks", "weather:read");
        try (RunningIdp other = RunningIdp.start()) {
            String token = idp.token(client.id(), client.secret(), null);
            assertThat(selfRead(other, client, token)).isEqualTo(200);
            assertThat(selfRead(other, client, token)).isEqualTo(200); // now from the other task's memory

            assertThat(revokeTokens(client.id(), admin).statusCode()).isEqualTo(200);
            awaitUntil(() -> selfRead(other, client, token) == 401);
            awaitUntil(() -> !introspect(other, token).getBoolean("active"));
        }
    }

    @Test
    void aChangeMadeByHandInSqlCountsThroughTheWarmCacheAndWithNoCacheAtAll() throws Exception {
        String url = TestServers.get().createDatabase("tokengrant");
        DatabaseUrl parsed = DatabaseUrl.parse(url);
        for (String cacheSeconds : new String[] {"30", "0"}) {
            try (RunningIdp own = RunningIdp.start(
                            Map.of("DATABASE_URL", url, "CLIENT_CACHE_MAX_AGE_SECONDS", cacheSeconds));
                    Connection db = DriverManager.getConnection(parsed.jdbcUrl(), parsed.user(), parsed.password());
                    Statement sql = db.createStatement()) {
                String id = own.createAgent("by-hand-" + cacheSeconds, "weather:read")
                        .getString("agentId");
                Client client = new Client(id, null, own.createCredential(id).getString("clientSecret"));
                String token = own.token(client.id(), client.secret(), null);
                assertThat(selfRead(own, client, token)).isEqualTo(200);
                assertThat(selfRead(own, client, token)).isEqualTo(200); // warm, when there is a cache
                // An operator's emergency stop, behind the service's back: the V5 column, in SQL.
                sql.executeUpdate("UPDATE agents SET tokens_revoked_before = date_trunc('second', now())"
                        + " + interval '1 second' WHERE agent_id = '" + id + "'");
                awaitUntil(() -> selfRead(own, client, token) == 401);
                awaitUntil(() -> !introspect(own, token).getBoolean("active"));
            }
        }
    }

    /** Polls until the condition holds; fails after a deadline well above the notification delay. */
    private static void awaitUntil(Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!condition.call()) {
            assertThat(System.nanoTime()).as("condition not met within 5 s").isLessThan(deadline);
            Thread.onSpinWait();
        }
    }
}
