package ai.sentryagent.agentidp.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RunningIdp;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** RFC 7662 introspection and RFC 7009 revocation, through HTTP. */
@IntegrationTest
class IntrospectionAndRevocationTest {
    private static RunningIdp idp;
    private static String agentId;
    private static String secret;
    private static String otherId;
    private static String otherSecret;

    @BeforeAll
    static void start() throws Exception {
        idp = RunningIdp.start();
        agentId = idp.createAgent("introspector", "reports:read").getString("agentId");
        secret = idp.createCredential(agentId).getString("clientSecret");
        otherId = idp.createAgent("bystander", "weather:read").getString("agentId");
        otherSecret = idp.createCredential(otherId).getString("clientSecret");
    }

    @AfterAll
    static void stop() throws Exception {
        idp.close();
    }

    private static JsonObject introspect(String token, String clientId, String clientSecret) throws Exception {
        HttpResponse<String> response =
                idp.postForm("/api/v1/token/introspect", "token=" + token, clientId, clientSecret);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("cache-control")).hasValue("no-store");
        return new JsonObject(response.body());
    }

    private static HttpResponse<String> revoke(String token, String clientId, String clientSecret) throws Exception {
        return idp.postForm(
                "/api/v1/token/revoke", "token=" + token + "&token_type_hint=access_token", clientId, clientSecret);
    }

    @Test
    void activeTokenIntrospectsWithItsClaims() throws Exception {
        String token = idp.token(agentId, secret, null);
        JsonObject result = introspect(token, agentId, secret);
        assertThat(result.getBoolean("active")).isTrue();
        assertThat(result.getString("sub")).isEqualTo(agentId);
        assertThat(result.getString("client_id")).isEqualTo(agentId);
        assertThat(result.getString("scope")).isEqualTo("reports:read");
        assertThat(result.getString("iss")).isEqualTo(RunningIdp.ISSUER);
        assertThat(result.getString("token_type")).isEqualTo("Bearer");
        assertThat(result.getLong("exp")).isGreaterThan(result.getLong("iat"));
        assertThat(result.getString("jti")).isNotBlank();
    }

    @Test
    void anythingElseIsJustInactive() throws Exception {
        String token = idp.token(agentId, secret, null);
        String[] parts = token.split("\\.");
        String tamperedPayload = Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
                        .replace("reports:read", "admin")
                        .getBytes(StandardCharsets.UTF_8));
        String unsigned = parts[0].replace(
                        parts[0],
                        Base64.getUrlEncoder()
                                .withoutPadding()
                                .encodeToString(
                                        "{\"alg\":\"none\",\"typ\":\"at+jwt\"}".getBytes(StandardCharsets.UTF_8)))
                + "." + parts[1] + ".";
        for (String bad : new String[] {"garbage", parts[0] + "." + tamperedPayload + "." + parts[2], unsigned}) {
            assertThat(introspect(bad, agentId, secret)).isEqualTo(new JsonObject().put("active", false));
        }
    }

    @Test
    void anotherClientsTokenIsInactiveWithoutTokensRead() throws Exception {
        String token = idp.token(otherId, otherSecret, null);
        assertThat(introspect(token, agentId, secret)).isEqualTo(new JsonObject().put("active", false));
        assertThat(introspect(token, RunningIdp.ADMIN_CLIENT_ID, RunningIdp.ADMIN_SECRET)
                        .getBoolean("active"))
                .isTrue();
    }

    @Test
    void introspectionNeedsClientAuthentication() throws Exception {
        String token = idp.token(agentId, secret, null);
        HttpResponse<String> response = idp.postForm("/api/v1/token/introspect", "token=" + token, agentId, "wrong");
        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(new JsonObject(response.body()).getString("error")).isEqualTo("invalid_client");
        HttpResponse<String> missing = idp.postForm("/api/v1/token/introspect", "", agentId, secret);
        assertThat(missing.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(missing.body()).getString("error")).isEqualTo("invalid_request");
    }

    @Test
    void revokedTokenIntrospectsInactiveAndNoLongerAuthenticates() throws Exception {
        String token = idp.token(agentId, secret, null);
        assertThat(introspect(token, agentId, secret).getBoolean("active")).isTrue();
        HttpResponse<String> revoked = revoke(token, agentId, secret);
        assertThat(revoked.statusCode()).isEqualTo(200);
        assertThat(revoked.headers().firstValue("cache-control")).hasValue("no-store");
        assertThat(introspect(token, agentId, secret)).isEqualTo(new JsonObject().put("active", false));
        // Revoking again is fine.
        assertThat(revoke(token, agentId, secret).statusCode()).isEqualTo(200);
    }

    @Test
    void revocationIsRecordedInPostgresSoALostCacheChangesNothing() throws Exception {
        String token = idp.token(agentId, secret, null);
        revoke(token, agentId, secret);
        String jti = new JsonObject(
                        new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8))
                .getString("jti");
        try (var db = ai.sentryagent.agentidp.testing.TestServers.get().jdbc();
                var rows = db.createStatement()
                        .executeQuery("SELECT client_id FROM token_revocations WHERE jti = '" + jti + "'")) {
            assertThat(rows.next()).isTrue();
            assertThat(rows.getString(1)).isEqualTo(agentId);
        }
        flushRevocationCache();
        assertThat(introspect(token, agentId, secret)).isEqualTo(new JsonObject().put("active", false));
    }

    private static void flushRevocationCache() throws Exception {
        var servers = ai.sentryagent.agentidp.testing.TestServers.get();
        var url = ai.sentryagent.agentidp.config.RedisUrl.parse(servers.redisUrl());
        String pattern = servers.redisKeyPrefix() + "revoked:*";
        Process keys = new ProcessBuilder(
                        "redis-cli",
                        "-h",
                        url.host(),
                        "-p",
                        Integer.toString(url.port()),
                        "--scan",
                        "--pattern",
                        pattern)
                .start();
        String found = new String(keys.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        keys.waitFor();
        for (String key : found.split("\n")) {
            if (!key.isBlank()) {
                new ProcessBuilder("redis-cli", "-h", url.host(), "-p", Integer.toString(url.port()), "DEL", key)
                        .start()
                        .waitFor();
            }
        }
    }

    @Test
    void unknownTokensRevokeWith200() throws Exception {
        assertThat(revoke("not-a-token", agentId, secret).statusCode()).isEqualTo(200);
    }

    @Test
    void aClientMayRevokeOnlyItsOwnTokensButAdminAny() throws Exception {
        String others = idp.token(otherId, otherSecret, null);
        HttpResponse<String> refused = revoke(others, agentId, secret);
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(refused.body()).getString("error")).isEqualTo("unauthorized_client");
        assertThat(introspect(others, otherId, otherSecret).getBoolean("active"))
                .isTrue();

        assertThat(revoke(others, RunningIdp.ADMIN_CLIENT_ID, RunningIdp.ADMIN_SECRET)
                        .statusCode())
                .isEqualTo(200);
        assertThat(introspect(others, otherId, otherSecret).getBoolean("active"))
                .isFalse();
    }

    @Test
    void revokedBearerTokenIsRefusedByManagementEndpoints() throws Exception {
        String admin = idp.adminToken();
        assertThat(idp.call("GET", "/api/v1/agents", admin, null).statusCode()).isEqualTo(200);
        revoke(admin, RunningIdp.ADMIN_CLIENT_ID, RunningIdp.ADMIN_SECRET);
        HttpResponse<String> response = idp.call("GET", "/api/v1/agents", admin, null);
        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("www-authenticate"))
                .hasValue("Bearer realm=\"agentidp\", error=\"invalid_token\"");
    }
}
