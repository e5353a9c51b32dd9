package ai.sentryagent.agentidp.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RunningIdp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The agent registry through HTTP: happy paths, every validation error, and who may do what. */
@IntegrationTest
class AgentsApiTest {
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

    private static JsonObject agentBody(String name, String owner, String... scopes) {
        return new JsonObject().put("name", name).put("owner", owner).put("scopes", new JsonArray(List.of(scopes)));
    }

    private static HttpResponse<String> post(JsonObject body, String token) throws Exception {
        return idp.call("POST", "/api/v1/agents", token, body);
    }

    private static void assertError(HttpResponse<String> response, int status, String error, String messagePart) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonObject body = new JsonObject(response.body());
        assertThat(body.fieldNames()).containsExactlyInAnyOrder("error", "message", "details");
        assertThat(body.getString("error")).isEqualTo(error);
        assertThat(body.getString("message")).contains(messagePart);
        assertThat(response.body()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    /** A token holding exactly these scopes, from a fresh agent the administrator registers. */
    private static String tokenWith(String... scopes) throws Exception {
        String id = idp.createAgent("caller-" + UUID.randomUUID(), scopes).getString("agentId");
        return idp.token(id, idp.createCredential(id).getString("clientSecret"), null);
    }

    @Test
    void registersAnAgent() throws Exception {
        JsonObject body = agentBody("  billing-bot  ", "team-billing", "weather:read")
                .put("description", "reads the weather")
                .put("agentType", "llm-agent");
        HttpResponse<String> response = post(body, admin);
        assertThat(response.statusCode()).isEqualTo(201);
        JsonObject agent = new JsonObject(response.body());
        String id = agent.getString("agentId");
        assertThat(UUID.fromString(id)).isNotNull();
        assertThat(response.headers().firstValue("location")).hasValue("/api/v1/agents/" + id);
        assertThat(agent.getString("clientId")).isEqualTo(id);
        assertThat(agent.getString("name")).isEqualTo("billing-bot");
        assertThat(agent.getString("description")).isEqualTo("reads the weather");
        assertThat(agent.getString("owner")).isEqualTo("team-billing");
        assertThat(agent.getString("agentType")).isEqualTo("llm-agent");
        assertThat(agent.getJsonArray("scopes")).containsExactly("weather:read");
        assertThat(agent.getString("status")).isEqualTo("active");
        assertThat(agent.getString("createdAt")).isEqualTo(agent.getString("updatedAt"));

        HttpResponse<String> fetched = idp.call("GET", "/api/v1/agents/" + id, admin, null);
        assertThat(fetched.statusCode()).isEqualTo(200);
        assertThat(new JsonObject(fetched.body())).isEqualTo(agent);
    }

    @Test
    void defaultsAgentTypeAndDescription() throws Exception {
        JsonObject agent =
                new JsonObject(post(agentBody("plain", "team-x"), admin).body());
        assertThat(agent.getString("agentType")).isEqualTo("generic");
        assertThat(agent.getValue("description")).isNull();
        assertThat(agent.getJsonArray("scopes")).isEmpty();
    }

    @Test
    void listsWithFiltersStableOrderPagingAndTotal() throws Exception {
        String owner = "team-" + UUID.randomUUID();
        for (int i = 0; i < 5; i++) {
            post(agentBody("list-" + i, owner).put("agentType", i % 2 == 0 ? "even" : "odd"), admin);
        }
        HttpResponse<String> first = idp.call("GET", "/api/v1/agents?owner=" + owner + "&limit=2&page=1", admin, null);
        assertThat(first.statusCode()).isEqualTo(200);
        JsonObject page1 = new JsonObject(first.body());
        assertThat(page1.getLong("total")).isEqualTo(5);
        assertThat(page1.getInteger("page")).isEqualTo(1);
        assertThat(page1.getInteger("limit")).isEqualTo(2);
        assertThat(names(page1)).containsExactly("list-0", "list-1");
        JsonObject page3 =
                new JsonObject(idp.call("GET", "/api/v1/agents?owner=" + owner + "&limit=2&page=3", admin, null)
                        .body());
        assertThat(names(page3)).containsExactly("list-4");
        JsonObject beyond =
                new JsonObject(idp.call("GET", "/api/v1/agents?owner=" + owner + "&limit=2&page=9", admin, null)
                        .body());
        assertThat(names(beyond)).isEmpty();
        assertThat(beyond.getLong("total")).isEqualTo(5);

        JsonObject even =
                new JsonObject(idp.call("GET", "/api/v1/agents?owner=" + owner + "&agentType=even", admin, null)
                        .body());
        assertThat(names(even)).containsExactly("list-0", "list-2", "list-4");
        String someId = page1.getJsonArray("items").getJsonObject(0).getString("agentId");
        idp.call("DELETE", "/api/v1/agents/" + someId, admin, null);
        JsonObject decommissioned =
                new JsonObject(idp.call("GET", "/api/v1/agents?owner=" + owner + "&status=decommissioned", admin, null)
                        .body());
        assertThat(names(decommissioned)).containsExactly("list-0");
    }

    private static List<String> names(JsonObject page) {
        return page.getJsonArray("items").stream()
                .map(item -> ((JsonObject) item).getString("name"))
                .toList();
    }

    @Test
    void listParametersAreValidated() throws Exception {
        assertError(idp.call("GET", "/api/v1/agents?limit=101", admin, null), 400, "invalid_request", "limit");
        assertError(idp.call("GET", "/api/v1/agents?limit=0", admin, null), 400, "invalid_request", "limit");
        assertError(idp.call("GET", "/api/v1/agents?page=abc", admin, null), 400, "invalid_request", "page");
        assertError(idp.call("GET", "/api/v1/agents?status=zombie", admin, null), 400, "invalid_request", "status");
        assertError(idp.call("GET", "/api/v1/agents?color=red", admin, null), 400, "invalid_request", "color");
        assertError(idp.call("GET", "/api/v1/agents?page=1&page=2", admin, null), 400, "invalid_request", "repeated");
    }

    @Test
    void invalidBodiesAre400sNamingTheField() throws Exception {
        assertError(post(agentBody("x", "o").put("colour", "red"), admin), 400, "invalid_request", "colour");
        assertError(post(agentBody("", "o"), admin), 400, "invalid_request", "name must not be empty");
        assertError(post(agentBody("   ", "o"), admin), 400, "invalid_request", "name must not be empty");
        assertError(
                post(new JsonObject().put("owner", "o").put("scopes", new JsonArray()), admin),
                400,
                "invalid_request",
                "name is required");
        assertError(
                post(new JsonObject().put("name", 42).put("owner", "o").put("scopes", new JsonArray()), admin),
                400,
                "invalid_request",
                "name must be a string");
        assertError(
                post(new JsonObject().put("name", "n").put("owner", "o").put("scopes", "weather:read"), admin),
                400,
                "invalid_request",
                "scopes must be an array");
        assertError(
                post(new JsonObject().put("name", "n").put("owner", "o"), admin),
                400,
                "invalid_request",
                "scopes is required");
        assertError(post(agentBody("n", "o", "weather:read", "weather:read"), admin), 400, "invalid_request", "twice");
        assertError(post(agentBody("x".repeat(129), "o"), admin), 400, "invalid_request", "at most 128");
        assertError(
                post(agentBody("n", "o").put("agentType", "Not Valid"), admin), 400, "invalid_request", "agentType");

        HttpResponse<String> unknownScope = post(agentBody("n", "o", "weather:read", "launch:missiles"), admin);
        assertError(unknownScope, 400, "invalid_request", "unknown scope: launch:missiles");
        assertThat(new JsonObject(unknownScope.body()).getJsonObject("details").getJsonArray("unknownScopes"))
                .containsExactly("launch:missiles");
    }

    @Test
    void malformedJsonAndContentTypeAreRejected() throws Exception {
        HttpResponse<String> notJson = idp.send(idp.request("/api/v1/agents")
                .header("Authorization", "Bearer " + admin)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": "))
                .build());
        assertError(notJson, 400, "invalid_request", "not valid JSON");
        HttpResponse<String> array = idp.send(idp.request("/api/v1/agents")
                .header("Authorization", "Bearer " + admin)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("[1,2]"))
                .build());
        assertError(array, 400, "invalid_request", "JSON object");
        HttpResponse<String> text = idp.send(idp.request("/api/v1/agents")
                .header("Authorization", "Bearer " + admin)
                .header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                .build());
        assertError(text, 415, "unsupported_media_type", "application/json");
    }

    @Test
    void oversizedBodyIs413() throws Exception {
        JsonObject huge = agentBody("n", "o").put("description", "x".repeat(70_000));
        assertError(post(huge, admin), 413, "payload_too_large", "exceeds");
    }

    @Test
    void malformedAndUnknownIdsAre400And404() throws Exception {
        assertError(
                idp.call("GET", "/api/v1/agents/not-a-uuid", admin, null),
                400,
                "invalid_request",
                "agentId must be a UUID");
        assertError(
                idp.call("GET", "/api/v1/agents/" + UUID.randomUUID(), admin, null),
                404,
                "not_found",
                "does not exist");
        assertError(
                idp.call("DELETE", "/api/v1/agents/" + UUID.randomUUID(), admin, null),
                404,
                "not_found",
                "does not exist");
        assertError(
                idp.call("PATCH", "/api/v1/agents/" + UUID.randomUUID(), admin, new JsonObject().put("name", "x")),
                404,
                "not_found",
                "does not exist");
    }

    @Test
    void patchUpdatesOnlyWhatIsSent() throws Exception {
        JsonObject created = new JsonObject(
                post(agentBody("patch-me", "team-a", "weather:read").put("description", "d"), admin)
                        .body());
        String id = created.getString("agentId");
        HttpResponse<String> response = idp.call(
                "PATCH",
                "/api/v1/agents/" + id,
                admin,
                new JsonObject()
                        .put("owner", "team-b")
                        .put("scopes", new JsonArray().add("reports:read"))
                        .putNull("description"));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonObject patched = new JsonObject(response.body());
        assertThat(patched.getString("name")).isEqualTo("patch-me");
        assertThat(patched.getString("owner")).isEqualTo("team-b");
        assertThat(patched.getValue("description")).isNull();
        assertThat(patched.getJsonArray("scopes")).containsExactly("reports:read");
        assertThat(patched.getString("updatedAt")).isGreaterThan(created.getString("updatedAt"));

        assertError(
                idp.call("PATCH", "/api/v1/agents/" + id, admin, new JsonObject()),
                400,
                "invalid_request",
                "nothing to update");
        assertError(
                idp.call("PATCH", "/api/v1/agents/" + id, admin, new JsonObject().put("status", "decommissioned")),
                400,
                "invalid_request",
                "use DELETE");
        assertError(
                idp.call("PATCH", "/api/v1/agents/" + id, admin, new JsonObject().putNull("name")),
                400,
                "invalid_request",
                "only description");
        assertError(
                idp.call("PATCH", "/api/v1/agents/" + id, admin, new JsonObject().put("agentId", "x")),
                400,
                "invalid_request",
                "unknown field");
    }

    @Test
    void deleteDecommissionsKeepsTheRowAndIsIdempotent() throws Exception {
        String id = new JsonObject(post(agentBody("retire-me", "team-a"), admin).body()).getString("agentId");
        assertThat(idp.call("DELETE", "/api/v1/agents/" + id, admin, null).statusCode())
                .isEqualTo(204);
        assertThat(idp.call("DELETE", "/api/v1/agents/" + id, admin, null).statusCode())
                .isEqualTo(204);
        JsonObject agent = new JsonObject(
                idp.call("GET", "/api/v1/agents/" + id, admin, null).body());
        assertThat(agent.getString("status")).isEqualTo("decommissioned");
        assertError(
                idp.call("PATCH", "/api/v1/agents/" + id, admin, new JsonObject().put("status", "active")),
                409,
                "conflict",
                "decommissioned");
        // Its tokens were cut off with it: a cut-off now answered 200 while docs/api.md says 409 (nothing to cut).
        assertError(
                idp.call("POST", "/api/v1/agents/" + id + "/tokens/revoke", admin, null),
                409,
                "conflict",
                "decommissioned");
    }

    @Test
    void missingOrInvalidTokenIs401WithBearerChallenge() throws Exception {
        HttpResponse<String> missing = idp.call("GET", "/api/v1/agents", null, null);
        assertError(missing, 401, "unauthorized", "access token is required");
        assertThat(missing.headers().firstValue("www-authenticate")).hasValue("Bearer realm=\"agentidp\"");
        HttpResponse<String> invalid = idp.call("GET", "/api/v1/agents", "not.a.token", null);
        assertError(invalid, 401, "unauthorized", "invalid or expired");
        assertThat(invalid.headers().firstValue("www-authenticate"))
                .hasValue("Bearer realm=\"agentidp\", error=\"invalid_token\"");
        HttpResponse<String> basic = idp.send(idp.request("/api/v1/agents")
                .header("Authorization", RunningIdp.basic("a", "b"))
                .GET()
                .build());
        assertError(basic, 401, "unauthorized", "Bearer scheme");
    }

    @Test
    void scopesDecideWhoMayReadAndWrite() throws Exception {
        String reader = tokenWith("agents:read");
        String writer = tokenWith("agents:write");
        String nobody = tokenWith("weather:read");

        assertThat(idp.call("GET", "/api/v1/agents", reader, null).statusCode()).isEqualTo(200);
        assertError(idp.call("GET", "/api/v1/agents", nobody, null), 403, "forbidden", "requires scope agents:read");
        assertError(post(agentBody("n", "o"), reader), 403, "forbidden", "requires scope agents:write");
        assertThat(post(agentBody("by-writer", "o", "weather:read"), writer).statusCode())
                .isEqualTo(201);
        assertError(idp.call("GET", "/api/v1/agents", writer, null), 403, "forbidden", "requires scope agents:read");
    }

    @Test
    void onlyAnAdministratorGrantsOrTouchesManagementScopes() throws Exception {
        String writer = tokenWith("agents:write");
        assertError(
                post(agentBody("escalate", "o", "admin"), writer),
                403,
                "forbidden",
                "granting scope admin requires scope admin");
        assertError(post(agentBody("escalate", "o", "agents:write"), writer), 403, "forbidden", "requires scope admin");

        String privileged = idp.createAgent("privileged", "agents:read").getString("agentId");
        assertError(
                idp.call("POST", "/api/v1/agents/" + privileged + "/credentials", writer, null),
                403,
                "forbidden",
                "requires scope admin");
        assertError(
                idp.call("DELETE", "/api/v1/agents/" + privileged, writer, null),
                403,
                "forbidden",
                "requires scope admin");

        String ordinary = new JsonObject(
                        post(agentBody("ordinary", "o", "weather:read"), writer).body())
                .getString("agentId");
        assertError(
                idp.call(
                        "PATCH",
                        "/api/v1/agents/" + ordinary,
                        writer,
                        new JsonObject().put("scopes", new JsonArray().add("admin"))),
                403,
                "forbidden",
                "requires scope admin");
    }

    @Test
    void theBuiltInAdministratorIsManagedByConfigurationOnly() throws Exception {
        JsonObject page = new JsonObject(idp.call("GET", "/api/v1/agents?agentType=system&limit=100", admin, null)
                .body());
        String builtIn = page.getJsonArray("items").stream()
                .map(JsonObject.class::cast)
                .filter(agent -> agent.getString("clientId").equals(RunningIdp.ADMIN_CLIENT_ID))
                .findFirst()
                .orElseThrow()
                .getString("agentId");
        assertError(
                idp.call("DELETE", "/api/v1/agents/" + builtIn, admin, null),
                409,
                "conflict",
                "BOOTSTRAP_ADMIN_SECRET");
        assertError(
                idp.call("POST", "/api/v1/agents/" + builtIn + "/credentials", admin, null),
                409,
                "conflict",
                "managed by configuration");
    }

    @Test
    void wrongMethodIs405() throws Exception {
        assertError(idp.call("PUT", "/api/v1/agents", admin, new JsonObject()), 405, "method_not_allowed", "PUT");
    }
}
