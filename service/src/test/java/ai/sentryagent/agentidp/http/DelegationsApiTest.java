package ai.sentryagent.agentidp.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RunningIdp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code /api/v1/agents/{agentId}/delegations}: who may give a delegation, and every rule a delegation must meet
 * answered with a 4xx naming the field — never a 500, never a delegation wider than its subject.
 */
@IntegrationTest
class DelegationsApiTest {
    private static final String WORKER = "https://worker.example/mcp";
    private static RunningIdp idp;
    private static String admin;

    private record Agent(String id, String secret) {}

    @BeforeAll
    static void start() throws Exception {
        idp = RunningIdp.start();
        admin = idp.adminToken();
    }

    @AfterAll
    static void stop() throws Exception {
        idp.close();
    }

    private static Agent agent(String name) throws Exception {
        JsonObject body = new JsonObject()
                .put("name", name)
                .put("owner", "team-test")
                .put("scopes", new JsonArray().add("weather:read"))
                .put("resources", new JsonArray().add(WORKER));
        HttpResponse<String> created = idp.call("POST", "/api/v1/agents", admin, body);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String id = new JsonObject(created.body()).getString("agentId");
        return new Agent(id, idp.createCredential(id).getString("clientSecret"));
    }

    private static HttpResponse<String> create(String bearer, Agent subject, JsonObject body) throws Exception {
        return idp.call("POST", "/api/v1/agents/" + subject.id() + "/delegations", bearer, body);
    }

    private static JsonObject grant(Agent actor) {
        return new JsonObject().put("actorAgentId", actor.id()).put("scopes", new JsonArray().add("weather:read"));
    }

    private static void assertBadField(HttpResponse<String> response, int status, String field, String containing) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonObject body = new JsonObject(response.body());
        assertThat(body.getString("message")).as(response.body()).contains(containing);
        if (field != null) {
            assertThat(body.getJsonObject("details").getString("field")).isEqualTo(field);
        }
    }

    @Test
    void theSubjectItselfAndWritersMayDelegateAndNobodyElse() throws Exception {
        Agent subject = agent("subject");
        Agent actor = agent("actor");
        Agent stranger = agent("stranger");
        String own = idp.token(subject.id(), subject.secret(), null);
        HttpResponse<String> self = create(own, subject, grant(actor));
        assertThat(self.statusCode()).as(self.body()).isEqualTo(201);
        JsonObject created = new JsonObject(self.body());
        assertThat(created.getString("subjectAgentId")).isEqualTo(subject.id());
        assertThat(created.getInteger("maxDepth")).isEqualTo(3); // DELEGATION_MAX_DEPTH's default
        // Audiences default to the subject's resources.
        assertThat(created.getJsonArray("audiences")).containsExactly(WORKER);
        assertThat(self.headers().firstValue("Location"))
                .hasValue("/api/v1/agents/" + subject.id() + "/delegations/" + created.getString("delegationId"));

        String strangers = idp.token(stranger.id(), stranger.secret(), null);
        assertThat(create(strangers, subject, grant(actor)).statusCode()).isEqualTo(403);
        assertThat(idp.call("GET", "/api/v1/agents/" + subject.id() + "/delegations", strangers, null)
                        .statusCode())
                .isEqualTo(403);
        assertThat(idp.call(
                                "DELETE",
                                "/api/v1/agents/" + subject.id() + "/delegations/" + created.getString("delegationId"),
                                strangers,
                                null)
                        .statusCode())
                .isEqualTo(403);
        assertThat(create(admin, subject, grant(stranger)).statusCode()).isEqualTo(201);

        // Given and received, each side seeing its own.
        JsonObject listed = new JsonObject(idp.call("GET", "/api/v1/agents/" + subject.id() + "/delegations", own, null)
                .body());
        assertThat(listed.getJsonArray("given")).hasSize(2);
        assertThat(listed.getJsonArray("received")).isEmpty();
        JsonObject received = new JsonObject(idp.call(
                        "GET",
                        "/api/v1/agents/" + actor.id() + "/delegations",
                        idp.token(actor.id(), actor.secret(), null),
                        null)
                .body());
        assertThat(received.getJsonArray("received")).hasSize(1);

        // DELETE: 204, again 204 (idempotent), 404 for an id the subject never gave; audited once.
        String path = "/api/v1/agents/" + subject.id() + "/delegations/" + created.getString("delegationId");
        assertThat(idp.call("DELETE", path, own, null).statusCode()).isEqualTo(204);
        assertThat(idp.call("DELETE", path, own, null).statusCode()).isEqualTo(204);
        assertThat(idp.call(
                                "DELETE",
                                "/api/v1/agents/" + actor.id() + "/delegations/" + created.getString("delegationId"),
                                admin,
                                null)
                        .statusCode())
                .isEqualTo(404);
        HttpResponse<String> trail = idp.call("GET", "/api/v1/audit?action=delegation.revoked&limit=100", admin, null);
        assertThat(trail.body().split(created.getString("delegationId"), -1)).hasSize(2);
        HttpResponse<String> createdTrail =
                idp.call("GET", "/api/v1/audit?action=delegation.created&limit=100", admin, null);
        assertThat(createdTrail.body()).contains(created.getString("delegationId"));
    }

    @Test
    void aDelegationNeverExceedsItsSubject() throws Exception {
        Agent subject = agent("subject-v");
        Agent actor = agent("actor-v");
        assertBadField(
                create(admin, subject, grant(actor).put("scopes", new JsonArray().add("reports:read"))),
                400,
                "scopes",
                "reports:read");
        assertBadField(
                create(admin, subject, grant(actor).put("audiences", new JsonArray().add("https://elsewhere.example"))),
                400,
                "audiences",
                "https://elsewhere.example");
        assertBadField(create(admin, subject, grant(subject)), 400, "actorAgentId", "subject agent itself");
        String unknown = UUID.randomUUID().toString();
        assertBadField(create(admin, subject, grant(actor).put("actorAgentId", unknown)), 404, null, unknown);
        assertBadField(create(admin, subject, grant(actor).put("actorAgentId", "not-a-uuid")), 400, "actorAgentId", "");
        assertBadField(create(admin, subject, grant(actor).put("maxDepth", 0)), 400, "maxDepth", "between 1 and 3");
        assertBadField(create(admin, subject, grant(actor).put("maxDepth", 4)), 400, "maxDepth", "between 1 and 3");
        assertBadField(
                create(
                        admin,
                        subject,
                        grant(actor)
                                .put("expiresAt", Instant.now().minusSeconds(5).toString())),
                400,
                "expiresAt",
                "future");
        assertBadField(create(admin, subject, grant(actor).put("expiresAt", "tomorrow")), 400, "expiresAt", "RFC 3339");
        assertBadField(create(admin, subject, grant(actor).put("scopes", new JsonArray())), 400, "scopes", "at least");
        assertBadField(create(admin, subject, grant(actor).put("extra", 1)), 400, null, "");

        Agent retired = agent("retired-v");
        assertThat(idp.call("DELETE", "/api/v1/agents/" + retired.id(), admin, null)
                        .statusCode())
                .isBetween(200, 204);
        assertBadField(create(admin, subject, grant(retired)), 400, "actorAgentId", "decommissioned");
        assertThat(create(admin, subject, grant(actor)).statusCode()).isEqualTo(201);
    }

    private static HttpResponse<String> raw(String method, String path, String bearer, String json) throws Exception {
        return idp.send(idp.request(path)
                .header("Authorization", "Bearer " + bearer)
                .header("Content-Type", "application/json")
                .method(method, java.net.http.HttpRequest.BodyPublishers.ofString(json))
                .build());
    }

    /**
     * What an attacker sends to the delegations API: every malformed path, id and body is a 4xx naming the problem,
     * never a 500, and never a delegation the caller could not otherwise make.
     */
    @Test
    void malformedPathsAndBodiesAreFourHundredsNeverFiveHundreds() throws Exception {
        Agent subject = agent("subject-m");
        Agent actor = agent("actor-m");
        String own = idp.token(subject.id(), subject.secret(), null);
        String base = "/api/v1/agents/" + subject.id() + "/delegations";
        // Path games: a non-UUID id, an encoded slash, a trailing slash — 400 or 404, and no delegation written.
        assertThat(idp.call("POST", "/api/v1/agents/not-a-uuid/delegations", admin, grant(actor))
                        .statusCode())
                .isEqualTo(400);
        assertThat(idp.call("DELETE", base + "/not-a-uuid", admin, null).statusCode())
                .isEqualTo(400);
        assertThat(idp.call("POST", "/api/v1/agents/" + subject.id() + "%2Fdelegations", admin, grant(actor))
                        .statusCode())
                .isBetween(400, 404);
        assertThat(idp.call("POST", base + "/", own, grant(actor)).statusCode()).isBetween(400, 404);
        // The subject's own token names itself in upper case: not "self" for another agent, and no 500.
        String upper = "/api/v1/agents/" + actor.id().toUpperCase(java.util.Locale.ROOT) + "/delegations";
        assertThat(idp.call("POST", upper, own, grant(subject)).statusCode()).isBetween(400, 403);
        // The subject's own token cannot delegate for another agent.
        assertThat(idp.call("POST", "/api/v1/agents/" + actor.id() + "/delegations", own, grant(subject))
                        .statusCode())
                .isEqualTo(403);
        // Body games.
        assertBadField(create(admin, subject, grant(actor).put("maxDepth", "2")), 400, "maxDepth", "");
        assertBadField(create(admin, subject, grant(actor).put("maxDepth", 2.5)), 400, "maxDepth", "");
        assertBadField(
                create(admin, subject, grant(actor).put("maxDepth", new java.math.BigInteger("1" + "0".repeat(30)))),
                400,
                "maxDepth",
                "");
        assertBadField(create(admin, subject, grant(actor).put("scopes", "weather:read")), 400, "scopes", "");
        assertBadField(create(admin, subject, grant(actor).put("scopes", new JsonArray().add(7))), 400, "scopes", "");
        JsonArray many = new JsonArray();
        for (int i = 0; i < 10_000; i++) {
            many.add("weather:read");
        }
        // 10 000 scopes are past the body limit (413); 101 are past the field's.
        assertThat(create(admin, subject, grant(actor).put("scopes", many)).statusCode())
                .isEqualTo(413);
        assertBadField(
                create(
                        admin,
                        subject,
                        grant(actor).put("scopes", new JsonArray(many.getList().subList(0, 101)))),
                400,
                "scopes",
                "");
        assertBadField(create(admin, subject, grant(actor).put("actorAgentId", 7)), 400, "actorAgentId", "");
        // An upper-case actor id names the same agent (UUIDs are case-insensitive, RFC 9562 §4).
        HttpResponse<String> upperActor = create(
                admin, subject, grant(actor).put("actorAgentId", actor.id().toUpperCase(java.util.Locale.ROOT)));
        assertThat(upperActor.statusCode()).as(upperActor.body()).isEqualTo(201);
        assertThat(new JsonObject(upperActor.body()).getString("actorAgentId")).isEqualTo(actor.id());
        // RFC 3339 §5.6: date-fullyear = 4DIGIT. An expanded year is not RFC 3339, and PostgreSQL (through the Vert.x
        // client) would store one past 294276 AD as infinity: the answer would name another expiry than asked.
        for (String far : new String[] {"+300000-01-01T00:00:00Z", "+10000-01-01T00:00:00Z", "-0001-01-01T00:00:00Z"}) {
            assertBadField(create(admin, subject, grant(actor).put("expiresAt", far)), 400, "expiresAt", "RFC 3339");
        }
        HttpResponse<String> last = create(admin, subject, grant(actor).put("expiresAt", "9999-12-31T23:59:59Z"));
        assertThat(last.statusCode()).as(last.body()).isEqualTo(201);
        assertThat(new JsonObject(last.body()).getString("expiresAt")).isEqualTo("9999-12-31T23:59:59Z");
        // JSON with a duplicate key: which actor would be meant?
        String twice = "{\"actorAgentId\":\"" + actor.id() + "\",\"actorAgentId\":\"" + subject.id()
                + "\",\"scopes\":[\"weather:read\"]}";
        assertThat(raw("POST", base, admin, twice).statusCode()).isEqualTo(400);
        // Duplicate scopes collapse to one.
        HttpResponse<String> dup = create(
                admin,
                subject,
                grant(actor).put("scopes", new JsonArray().add("weather:read").add("weather:read")));
        assertThat(dup.statusCode()).as(dup.body()).isEqualTo(201);
        assertThat(new JsonObject(dup.body()).getJsonArray("scopes")).containsExactly("weather:read");
    }
}
