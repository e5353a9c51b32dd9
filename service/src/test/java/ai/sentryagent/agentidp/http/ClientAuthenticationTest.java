package ai.sentryagent.agentidp.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RunningIdp;
import ai.sentryagent.agentidp.testing.TestServers;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Client authentication as an attacker meets it on all three OAuth endpoints: the same limits and audit everywhere,
 * hostile client ids refused or recorded safely, and nothing they send reaching Redis keys or the audit verbatim.
 */
@IntegrationTest
class ClientAuthenticationTest {
    private static final int PER_CLIENT_AND_IP = 10;
    private static final String PREFIX =
            "agentidp-ca-" + UUID.randomUUID().toString().substring(0, 8) + ":";
    private static final List<String> ENDPOINTS =
            List.of("/api/v1/token", "/api/v1/token/introspect", "/api/v1/token/revoke");
    private static RunningIdp idp;

    @BeforeAll
    static void start() throws Exception {
        idp = RunningIdp.start(Map.of(
                "AUTH_FAILURE_MAX_PER_CLIENT",
                Integer.toString(PER_CLIENT_AND_IP),
                "TRUSTED_PROXY_COUNT",
                "1",
                "REDIS_KEY_PREFIX",
                PREFIX));
    }

    @AfterAll
    static void stop() throws Exception {
        idp.close();
    }

    private static String[] client() throws Exception {
        String id = idp.createAgent("auth-" + UUID.randomUUID(), "weather:read").getString("agentId");
        return new String[] {id, idp.createCredential(id).getString("clientSecret")};
    }

    private static String address() {
        int n = (int) (Math.random() * 250_000);
        return "10." + (n / 62_500) + "." + (n / 250 % 250) + "." + (n % 250 + 1);
    }

    private static String form(String endpoint) {
        return endpoint.equals("/api/v1/token") ? "grant_type=client_credentials" : "token=abc";
    }

    private static HttpResponse<String> post(String path, String body, String authorization, String from)
            throws Exception {
        HttpRequest.Builder request = idp.request(path)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("X-Forwarded-For", from)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return idp.send(request.build());
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /**
     * Audit events matching the filter, polling (with a deadline) until at least {@code expected} are written: the
     * token path's events are batched once a second.
     */
    private static List<JsonObject> audit(String query, Predicate<JsonObject> filter, int expected) throws Exception {
        String admin = idp.adminToken();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        List<JsonObject> found = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            HttpResponse<String> response = idp.call("GET", "/api/v1/audit?limit=100&" + query, admin, null);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            found = new ArrayList<>();
            for (Object item : new JsonObject(response.body()).getJsonArray("items")) {
                if (filter.test((JsonObject) item)) {
                    found.add((JsonObject) item);
                }
            }
            if (found.size() >= expected) {
                return found;
            }
        }
        return found;
    }

    /**
     * F-04: introspection and revocation were an unlimited, unaudited place to guess secrets. Now 15 wrong secrets
     * on each get the limit's worth of 401s, then 429 — and every evaluated failure is a
     * {@code client.authentication_failed} event naming the endpoint (OWASP ASVS V7.1.3, CWE-778).
     */
    @Test
    void introspectionAndRevocationGuessesAreLimitedAndAudited() throws Exception {
        String[] c = client();
        for (String endpoint : List.of("/api/v1/token/introspect", "/api/v1/token/revoke")) {
            String from = address();
            List<Integer> statuses = new ArrayList<>();
            for (int i = 0; i < 15; i++) {
                statuses.add(post(endpoint, "token=abc", RunningIdp.basic(c[0], "sa_cs_wrong" + i), from)
                        .statusCode());
            }
            assertThat(statuses.subList(0, PER_CLIENT_AND_IP)).containsOnly(401);
            assertThat(statuses.subList(PER_CLIENT_AND_IP, 15)).containsOnly(429);
            List<JsonObject> events = audit(
                    "action=client.authentication_failed",
                    e -> from.equals(e.getString("clientIp")),
                    PER_CLIENT_AND_IP);
            assertThat(events).hasSize(PER_CLIENT_AND_IP).allSatisfy(event -> {
                assertThat(event.getString("actor")).isEqualTo(c[0]);
                assertThat(event.getString("outcome")).isEqualTo("failure");
                assertThat(event.getJsonObject("details").getString("endpoint")).isEqualTo(endpoint);
                assertThat(event.getJsonObject("details").getString("method")).isEqualTo("client_secret_basic");
            });
        }
        // The token endpoint shares the counters: a guesser cannot switch endpoints for a fresh allowance.
        String from = address();
        for (int i = 0; i < PER_CLIENT_AND_IP; i++) {
            String endpoint = ENDPOINTS.get(i % 3);
            assertThat(post(endpoint, form(endpoint), RunningIdp.basic(c[0], "wrong"), from)
                            .statusCode())
                    .isEqualTo(401);
        }
        for (String endpoint : ENDPOINTS) {
            assertThat(post(endpoint, form(endpoint), RunningIdp.basic(c[0], c[1]), from)
                            .statusCode())
                    .isEqualTo(429);
        }
    }

    /**
     * F-05 as reported: {@code agentidp-admin} is a documented client id, and ten bad guesses a minute used to lock
     * the administrator out everywhere. Now the guesser's address is refused and the administrator, from its own
     * address, still gets tokens.
     */
    @Test
    void guessingTheDocumentedAdministratorIdDoesNotLockTheAdministratorOut() throws Exception {
        String attacker = address();
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 3 * PER_CLIENT_AND_IP; i++) {
            statuses.add(post(
                            "/api/v1/token",
                            "grant_type=client_credentials",
                            RunningIdp.basic(RunningIdp.ADMIN_CLIENT_ID, "guess-" + i),
                            attacker)
                    .statusCode());
        }
        assertThat(statuses.subList(0, PER_CLIENT_AND_IP)).containsOnly(401);
        assertThat(statuses.subList(PER_CLIENT_AND_IP, statuses.size())).containsOnly(429);
        HttpResponse<String> administrator = post(
                "/api/v1/token",
                "grant_type=client_credentials",
                RunningIdp.basic(RunningIdp.ADMIN_CLIENT_ID, RunningIdp.ADMIN_SECRET),
                address());
        assertThat(administrator.statusCode()).as(administrator.body()).isEqualTo(200);
    }

    /**
     * F-16: a client that swaps its id and secret sends the secret as {@code client_id}. It must not land in the
     * audit trail (CWE-532): the actor is a redaction, on every endpoint, with Basic and in the body, with or without
     * the {@code sa_cs_} prefix, in any case.
     */
    @Test
    void aSecretSentAsTheClientIdNeverReachesTheAuditTrail() throws Exception {
        String[] c = client();
        String from = address();
        String secretBody = c[1].substring("sa_cs_".length());
        List<String> disguises = List.of(c[1], secretBody, c[1].toUpperCase(java.util.Locale.ROOT), "x" + c[1]);
        for (String endpoint : ENDPOINTS) {
            for (String disguise : disguises) {
                assertThat(post(endpoint, form(endpoint), RunningIdp.basic(disguise, "wrong"), from)
                                .statusCode())
                        .isEqualTo(401);
            }
            HttpResponse<String> post = post(
                    endpoint,
                    form(endpoint) + "&client_id=" + encode(c[1]) + "&client_secret=" + encode(c[0]),
                    null,
                    from);
            assertThat(post.statusCode()).isEqualTo(401);
        }
        int expected = ENDPOINTS.size() * (disguises.size() + 1);
        List<JsonObject> events =
                audit("action=client.authentication_failed", e -> from.equals(e.getString("clientIp")), expected);
        assertThat(events)
                .hasSize(expected)
                .allSatisfy(event ->
                        assertThat(event.getString("actor")).isEqualTo("[redacted: looks like a client secret]"));
        String trail = idp.call("GET", "/api/v1/audit?limit=100", idp.adminToken(), null)
                .body();
        assertThat(trail.toLowerCase(java.util.Locale.ROOT))
                .doesNotContain(secretBody.toLowerCase(java.util.Locale.ROOT));
    }

    /**
     * F-02 (first part): a {@code client_id} with a NUL, over 128 characters, once stopped the batched audit trail.
     * Control characters in any OAuth parameter — form or Basic, C0, DEL or C1 — are now 400 {@code invalid_request}
     * naming the parameter but not echoing it (RFC 6749 §5.2, Appendix A: parameters are %x20-7E); afterwards a
     * normal token request still gets its {@code token.issued} event written.
     */
    @Test
    void controlCharactersInParametersAreRefusedAndTheAuditTrailKeepsWorking() throws Exception {
        String[] c = client();
        String from = address();
        String padding = "A".repeat(200);
        for (String endpoint : ENDPOINTS) {
            for (String control : List.of("%00", "%0D%0A", "%09", "%7F", "%C2%85", "%1B")) {
                HttpResponse<String> response = post(
                        endpoint, form(endpoint) + "&client_id=" + control + padding + "&client_secret=x", null, from);
                assertThat(response.statusCode()).as(endpoint + " " + control).isEqualTo(400);
                JsonObject error = new JsonObject(response.body());
                assertThat(error.getString("error")).isEqualTo("invalid_request");
                assertThat(error.getString("error_description"))
                        .isEqualTo("parameter client_id contains a control character");
            }
            HttpResponse<String> basic =
                    post(endpoint, form(endpoint), RunningIdp.basic("\u0000" + padding, "x"), from);
            assertThat(basic.statusCode()).isEqualTo(400);
            assertThat(new JsonObject(basic.body()).getString("error_description"))
                    .isEqualTo("the Basic client_id contains a control character");
            HttpResponse<String> secret = post(endpoint, form(endpoint), RunningIdp.basic(c[0], c[1] + "\n"), from);
            assertThat(new JsonObject(secret.body()).getString("error_description"))
                    .isEqualTo("the Basic client_secret contains a control character");
            HttpResponse<String> name = post(endpoint, form(endpoint) + "&x%00y=1", RunningIdp.basic(c[0], c[1]), from);
            assertThat(new JsonObject(name.body()).getString("error_description"))
                    .isEqualTo("a parameter name contains a control character");
        }
        HttpResponse<String> scope = post(
                "/api/v1/token",
                "grant_type=client_credentials&scope=weather:read%00",
                RunningIdp.basic(c[0], c[1]),
                from);
        assertThat(scope.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(scope.body()).getString("error_description"))
                .isEqualTo("parameter scope contains a control character");

        String token = idp.token(c[0], c[1], null);
        String jti = new JsonObject(new String(
                        java.util.Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8))
                .getString("jti");
        assertThat(audit(
                        "action=token.issued&agentId=" + c[0],
                        e -> jti.equals(e.getJsonObject("details").getString("jti")),
                        1))
                .hasSize(1);
    }

    /**
     * F-14: client ids of any length or shape once became Redis keys verbatim (8.7 KiB per request) and audit
     * fields. A malformed id is 401 without a lookup, is audited as a classification, and leaves only fixed-size,
     * hashed keys behind; a well-formed id never appears in a key either.
     */
    @Test
    void hostileClientIdsLeaveOnlyBoundedHashedKeysAndAClassifiedActor() throws Exception {
        String from = address();
        String huge = "B".repeat(8 * 1024);
        List<String> ids = List.of(huge, "a b", "caf\u00e9", "x".repeat(129), "id;DROP", "[malformed]");
        for (String id : ids) {
            HttpResponse<String> response = post(
                    "/api/v1/token",
                    "grant_type=client_credentials&client_id=" + encode(id) + "&client_secret=x",
                    null,
                    from);
            assertThat(response.statusCode()).as(id).isEqualTo(401);
            assertThat(new JsonObject(response.body()).getString("error")).isEqualTo("invalid_client");
        }
        String wellFormed = "probe-" + UUID.randomUUID();
        assertThat(post("/api/v1/token", "grant_type=client_credentials", RunningIdp.basic(wellFormed, "x"), from)
                        .statusCode())
                .isEqualTo(401);

        List<JsonObject> events =
                audit("action=client.authentication_failed", e -> from.equals(e.getString("clientIp")), ids.size() + 1);
        assertThat(events)
                .extracting(e -> e.getString("actor"))
                .containsOnly("[malformed client id]", wellFormed)
                .containsOnlyOnce(wellFormed);
        assertThat(events)
                .filteredOn(e -> e.getString("actor").equals("[malformed client id]"))
                .allSatisfy(e -> assertThat(e.getJsonObject("details").getString("reason"))
                        .isEqualTo("malformed_client_id"));

        List<String> keys = redisKeys();
        assertThat(keys).isNotEmpty().allSatisfy(key -> {
            assertThat(key.length()).isLessThanOrEqualTo(PREFIX.length() + 40);
            assertThat(key).doesNotContain("BBBB").doesNotContain(wellFormed).doesNotContain(from);
        });
    }

    private static List<String> redisKeys() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            Redis redis = Redis.createClient(vertx, TestServers.get().redisUrl());
            Response response = redis.send(Request.cmd(Command.KEYS).arg(PREFIX + "*"))
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            List<String> keys = new ArrayList<>();
            response.forEach(key -> keys.add(key.toString()));
            return keys;
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
