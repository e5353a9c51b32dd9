package ai.sentryagent.agentidp.policy;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RunningIdp;
import ai.sentryagent.agentidp.testing.TestServers;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The policy deciding real requests: the self rule, reload without restart, and OPA delegation. */
@IntegrationTest
class PolicyHttpTest {
    @TempDir
    Path dir;

    private static String[] agentWithToken(RunningIdp idp, String... scopes) throws Exception {
        String id =
                idp.createAgent("policy-" + java.util.UUID.randomUUID(), scopes).getString("agentId");
        String secret = idp.createCredential(id).getString("clientSecret");
        return new String[] {id, idp.token(id, secret, null)};
    }

    @Test
    void anAgentWithItsOwnTokenSeesItselfAndNobodyElse() throws Exception {
        try (RunningIdp idp = RunningIdp.start()) {
            String[] me = agentWithToken(idp, "weather:read");
            String[] other = agentWithToken(idp, "weather:read");
            assertThat(idp.call("GET", "/api/v1/agents/" + me[0], me[1], null).statusCode())
                    .isEqualTo(200);
            assertThat(idp.call("GET", "/api/v1/agents/" + me[0] + "/credentials", me[1], null)
                            .statusCode())
                    .isEqualTo(200);
            HttpResponse<String> others = idp.call("GET", "/api/v1/agents/" + other[0], me[1], null);
            assertThat(others.statusCode()).isEqualTo(403);
            assertThat(new JsonObject(others.body()).getString("message")).isEqualTo("requires scope agents:read");
            assertThat(idp.call("GET", "/api/v1/agents/" + other[0] + "/credentials", me[1], null)
                            .statusCode())
                    .isEqualTo(403);
            assertThat(idp.call("POST", "/api/v1/agents/" + me[0] + "/credentials", me[1], null)
                            .statusCode())
                    .isEqualTo(403);
            assertThat(idp.call("GET", "/api/v1/agents", me[1], null).statusCode())
                    .isEqualTo(403);
        }
    }

    @Test
    void reloadSwapsThePolicyAndAFailedReloadKeepsThePreviousOne() throws Exception {
        Path policies = Files.createDirectories(dir.resolve("policies"));
        Files.copy(RunningIdp.policyDirectory().resolve("agentidp.policy"), policies.resolve("agentidp.policy"));
        try (RunningIdp idp = RunningIdp.start(Map.of("POLICY_DIR", policies.toString()))) {
            String[] reader = agentWithToken(idp, "weather:read");
            assertThat(idp.call("GET", "/api/v1/agents", reader[1], null).statusCode())
                    .isEqualTo(403);

            String widened = Files.readString(policies.resolve("agentidp.policy"))
                    .replace(
                            "GET     /api/v1/agents                                              agents:read | admin",
                            "GET     /api/v1/agents                                              agents:read | admin | weather:read");
            Files.writeString(policies.resolve("agentidp.policy"), widened);
            assertThat(idp.reloadPolicy()).isTrue();
            assertThat(idp.call("GET", "/api/v1/agents", reader[1], null).statusCode())
                    .isEqualTo(200);

            Files.writeString(policies.resolve("agentidp.policy"), "version 1\nGET /api/v1/agents nonsense:scope\n");
            assertThat(idp.reloadPolicy()).isFalse();
            assertThat(idp.call("GET", "/api/v1/agents", reader[1], null).statusCode())
                    .isEqualTo(200);
        }
    }

    @Test
    void opaDecidesWithTheSameInputAndFailsClosedWhenDown() throws Exception {
        Vertx vertx = Vertx.vertx();
        List<JsonObject> inputs = new CopyOnWriteArrayList<>();
        // A small real server speaking OPA's Data API: allow readers of the agent list, nothing else.
        HttpServer opa = vertx.createHttpServer()
                .requestHandler(request -> request.body().onSuccess(body -> {
                    JsonObject input = body.toJsonObject().getJsonObject("input");
                    inputs.add(input);
                    boolean allow = input.getJsonArray("scopes").contains("admin")
                            || input.getString("method").equals("GET")
                                    && input.getString("path").equals("/api/v1/agents")
                                    && input.getJsonArray("scopes").contains("agents:read");
                    request.response()
                            .putHeader("Content-Type", "application/json")
                            .end(new JsonObject()
                                    .put(
                                            "result",
                                            new JsonObject()
                                                    .put("allow", allow)
                                                    .put("reason", allow ? "reader" : "opa says no"))
                                    .encode());
                }))
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        String url = "http://127.0.0.1:" + opa.actualPort() + "/v1/data/agentidp/authz";
        try (RunningIdp idp = RunningIdp.start(Map.of("OPA_URL", url))) {
            String[] reader = agentWithToken(idp, "agents:read");
            assertThat(idp.call("GET", "/api/v1/agents", reader[1], null).statusCode())
                    .isEqualTo(200);
            HttpResponse<String> denied = idp.call("GET", "/api/v1/agents/" + reader[0], reader[1], null);
            assertThat(denied.statusCode()).isEqualTo(403);
            assertThat(new JsonObject(denied.body()).getString("message")).isEqualTo("opa says no");
            JsonObject input = inputs.get(inputs.size() - 1);
            assertThat(input.fieldNames()).containsExactlyInAnyOrder("method", "path", "scopes", "agentId", "clientId");
            assertThat(input.getString("agentId")).isEqualTo(reader[0]);
            assertThat(input.getString("clientId")).isEqualTo(reader[0]);

            opa.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            HttpResponse<String> down = idp.call("GET", "/api/v1/agents", reader[1], null);
            assertThat(down.statusCode()).isEqualTo(503);
            assertThat(idp.get("/metrics").body())
                    .contains("agentidp_policy_decisions_total{decision=\"error\",source=\"opa\"}")
                    .contains("agentidp_policy_decisions_total{decision=\"allow\",source=\"opa\"}");
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aMissingPolicyStopsStartupNamingIt() {
        Path missing = dir.resolve("nowhere");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> RunningIdp.start(Map.of("POLICY_DIR", missing.toString())))
                .hasMessageContaining("POLICY_DIR")
                .hasMessageContaining("is not a directory");
        assertThat(TestServers.get()).isNotNull();
    }
}
