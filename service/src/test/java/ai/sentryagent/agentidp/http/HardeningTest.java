package ai.sentryagent.agentidp.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RawHttp;
import ai.sentryagent.agentidp.testing.RunningIdp;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * F-20, the HTTP parts: request JSON is RFC 8259 and nothing more (a repeated key or a comment is refused, never
 * silently resolved), and every answer carries {@code X-Content-Type-Options: nosniff} (OWASP Secure Headers),
 * management answers {@code Cache-Control: no-store} (RFC 9111 §5.2.2.5).
 */
@IntegrationTest
class HardeningTest {
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

    private static HttpResponse<String> postRaw(String path, String method, String json) throws Exception {
        return idp.send(idp.request(path)
                .header("Authorization", "Bearer " + admin)
                .header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(json))
                .build());
    }

    private static int agentsNamed(String name) throws Exception {
        JsonObject page = new JsonObject(
                idp.call("GET", "/api/v1/agents?limit=100", admin, null).body());
        return (int) page.getJsonArray("items").stream()
                .map(JsonObject.class::cast)
                .filter(agent -> agent.getString("name").equals(name))
                .count();
    }

    @Test
    void aRepeatedKeyIsRefusedNamingItNotResolvedToTheLastOne() throws Exception {
        String name = "dup-" + UUID.randomUUID();
        for (String body : List.of(
                "{\"name\":\"" + name + "\",\"owner\":\"o\",\"scopes\":[],\"scopes\":[\"admin\"]}",
                // The same key spelled with an escape is the same key.
                "{\"name\":\"" + name + "\",\"owner\":\"o\",\"scopes\":[],\"sc\\u006fpes\":[\"admin\"]}",
                "{\"scopes\":[\"admin\"],\"name\":\"" + name + "\",\"owner\":\"o\",\"scopes\":[]}")) {
            HttpResponse<String> response = postRaw("/api/v1/agents", "POST", body);
            assertThat(response.statusCode()).as(body).isEqualTo(400);
            JsonObject error = new JsonObject(response.body());
            assertThat(error.getString("message")).isEqualTo("scopes appears more than once in the same object");
            assertThat(error.getJsonObject("details").getString("field")).isEqualTo("scopes");
        }
        assertThat(agentsNamed(name)).isZero();

        String id = idp.createAgent("dup-target-" + UUID.randomUUID()).getString("agentId");
        HttpResponse<String> patch =
                postRaw("/api/v1/agents/" + id, "PATCH", "{\"description\":\"a\",\"description\":\"b\"}");
        assertThat(patch.statusCode()).isEqualTo(400);
        assertThat(patch.body()).contains("description appears more than once");
    }

    @Test
    void commentsAndOtherNonJsonAreRefused() throws Exception {
        String name = "comment-" + UUID.randomUUID();
        String valid = "{\"name\":\"" + name + "\",\"owner\":\"o\",\"scopes\":[]}";
        for (String body : List.of(
                "/* admin */" + valid,
                valid.replace(",\"owner\"", " // x\n,\"owner\""),
                "# x\n" + valid,
                valid.replace("[]", "[/**/]"),
                valid + " " + valid,
                valid + ",",
                valid.replace("[]", "[,]"),
                valid.replace("\"o\"", "'o'"),
                valid.replace("\"scopes\":[]", "\"scopes\":[],"),
                valid.replace("{\"name\"", "{name"),
                "\uFEFF" + valid.replace("[]", "[NaN]"),
                // Nesting beyond Jackson's depth limit is a parse error, not a stack overflow.
                "{\"name\":" + "[".repeat(20_000) + "]".repeat(20_000) + "}")) {
            HttpResponse<String> response = postRaw("/api/v1/agents", "POST", body);
            assertThat(response.statusCode()).as(body).isEqualTo(400);
            assertThat(new JsonObject(response.body()).getString("message")).startsWith("the body is not valid JSON");
        }
        assertThat(postRaw("/api/v1/agents", "POST", "/* a */{}").body()).contains("comments are not allowed");
        assertThat(agentsNamed(name)).isZero();
        // The plain body still registers the agent.
        assertThat(postRaw("/api/v1/agents", "POST", valid).statusCode()).isEqualTo(201);
    }

    @Test
    void everyAnswerSaysNosniff() throws Exception {
        List<RawHttp.Exchange> answers = List.of(
                RawHttp.request(idp.port(), "GET", "/health"),
                RawHttp.request(idp.port(), "GET", "/metrics"),
                RawHttp.request(idp.port(), "GET", "/.well-known/jwks.json"),
                RawHttp.request(idp.port(), "GET", "/.well-known/openid-configuration"),
                RawHttp.request(idp.port(), "GET", "/nowhere"),
                RawHttp.request(idp.port(), "GET", "/api/v1/agents"),
                RawHttp.request(idp.port(), "GET", "/api/v1/agents/"),
                RawHttp.request(idp.port(), "PUT", "/api/v1/agents"),
                RawHttp.request(idp.port(), "BREW", "/health"),
                RawHttp.request(idp.port(), "POST", "/api/v1/token"),
                RawHttp.request(idp.port(), "GET", "/api/v1/token"));
        for (RawHttp.Exchange answer : answers) {
            assertThat(answer.text()).as(answer.text()).containsIgnoringCase("X-Content-Type-Options: nosniff");
        }
    }

    @Test
    void managementAnswersAreNeverCached() throws Exception {
        String id = idp.createAgent("cache-" + UUID.randomUUID()).getString("agentId");
        for (HttpResponse<String> response : List.of(
                idp.call("GET", "/api/v1/agents", admin, null),
                idp.call("GET", "/api/v1/agents/" + id, admin, null),
                idp.call("GET", "/api/v1/agents/" + UUID.randomUUID(), admin, null),
                idp.call("GET", "/api/v1/audit", admin, null),
                idp.call("GET", "/api/v1/agents", null, null))) {
            assertThat(response.headers().firstValue("cache-control"))
                    .as(response.uri() + " " + response.statusCode())
                    .hasValue("no-store");
        }
    }

    @Test
    void the501NamesExactlyTheMethodsTheRouterServes() throws Exception {
        // F-15 follow-up: the 501 said HEAD (and OPTIONS) were served while HEAD /health was a 405. RFC 9110
        // §15.6.2: the client is told what to use instead, so the list must be true. A method counts as served when
        // some path answers it with something other than 400, 405 or 501.
        RawHttp.Exchange unknown = RawHttp.request(idp.port(), "BREW", "/health");
        assertThat(unknown.status()).isEqualTo(501);
        String message = new JsonObject(unknown.body()).getString("message");
        List<String> methods = List.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE");
        List<String> named = methods.stream()
                .filter(method -> message.matches(".*\\b" + method + "\\b.*"))
                .toList();
        List<String> served = new ArrayList<>();
        String agent = "/api/v1/agents/" + UUID.randomUUID();
        for (String method : methods) {
            for (String path : List.of("/health", "/api/v1/token", "/api/v1/agents", agent)) {
                int status = RawHttp.request(idp.port(), method, path).status();
                if (status != 400 && status != 405 && status != 501) {
                    served.add(method);
                    break;
                }
            }
        }
        assertThat(named).as(message).isEqualTo(served);
    }
}
