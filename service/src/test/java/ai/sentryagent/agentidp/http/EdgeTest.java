package ai.sentryagent.agentidp.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RunningIdp;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What sits in front of every endpoint: TLS enforcement, CORS, request ids, metrics. */
@IntegrationTest
class EdgeTest {
    private static RunningIdp idp;

    @BeforeAll
    static void start() throws Exception {
        idp = RunningIdp.start(Map.of("ENFORCE_TLS", "true", "CORS_ORIGIN", "https://console.example.com"));
    }

    @AfterAll
    static void stop() throws Exception {
        idp.close();
    }

    private static HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder request = idp.request(path).GET();
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return idp.send(request.build());
    }

    @Test
    void plainHttpBehindTheLoadBalancerIsRefusedNotRedirected() throws Exception {
        HttpResponse<String> plain = get("/.well-known/jwks.json", "X-Forwarded-Proto", "http");
        assertThat(plain.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(plain.body()).getString("error")).isEqualTo("https_required");
        assertThat(plain.headers().firstValue("location")).isEmpty();
        assertThat(get("/.well-known/jwks.json").statusCode()).isEqualTo(400);
        HttpResponse<String> token = idp.send(idp.request("/api/v1/token")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials"))
                .build());
        assertThat(token.statusCode()).isEqualTo(400);
        assertThat(get("/.well-known/jwks.json", "X-Forwarded-Proto", "https").statusCode())
                .isEqualTo(200);
        // The load balancer's health check and the scraper talk to the task directly.
        assertThat(get("/health").statusCode()).isEqualTo(200);
        assertThat(get("/metrics").statusCode()).isEqualTo(200);
    }

    @Test
    void corsAnswersOnlyConfiguredOrigins() throws Exception {
        HttpResponse<String> allowed =
                get("/.well-known/jwks.json", "X-Forwarded-Proto", "https", "Origin", "https://console.example.com");
        assertThat(allowed.headers().firstValue("access-control-allow-origin")).hasValue("https://console.example.com");
        HttpResponse<String> other =
                get("/.well-known/jwks.json", "X-Forwarded-Proto", "https", "Origin", "https://evil.example.com");
        assertThat(other.headers().firstValue("access-control-allow-origin")).isEmpty();
        assertThat(other.statusCode()).isEqualTo(403);
        assertThat(new JsonObject(other.body()).getString("error")).isEqualTo("forbidden");
    }

    @Test
    void requestIdsAreHonouredOrGeneratedAndEchoed() throws Exception {
        assertThat(get("/health", "X-Request-Id", "req-123.abc").headers().firstValue("x-request-id"))
                .hasValue("req-123.abc");
        assertThat(get("/health").headers().firstValue("x-request-id"))
                .hasValueSatisfying(id -> assertThat(id).matches("[0-9a-f-]{36}"));
        assertThat(get("/health", "X-Request-Id", "bad id with spaces")
                        .headers()
                        .firstValue("x-request-id"))
                .hasValueSatisfying(id -> assertThat(id).matches("[0-9a-f-]{36}"));
    }

    @Test
    void metricsUseRouteTemplatesAndNameTheServiceFamilies() throws Exception {
        HttpRequest token = idp.request("/api/v1/token")
                .header("X-Forwarded-Proto", "https")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Authorization", RunningIdp.basic(RunningIdp.ADMIN_CLIENT_ID, RunningIdp.ADMIN_SECRET))
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials"))
                .build();
        String access = new JsonObject(idp.send(token).body()).getString("access_token");
        String agentPath = "/api/v1/agents/" + java.util.UUID.randomUUID();
        HttpResponse<String> missing = idp.send(idp.request(agentPath)
                .header("X-Forwarded-Proto", "https")
                .header("Authorization", "Bearer " + access)
                .GET()
                .build());
        assertThat(missing.statusCode()).as(missing.body()).isEqualTo(404);
        // The access log and metrics are written when the response has gone out: poll briefly. A collection first:
        // a gauge whose supplier is only weakly held reads NaN after one.
        System.gc();
        String metrics = await().atMost(Duration.ofSeconds(5))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> get("/metrics").body(), body -> body.contains("route=\"/api/v1/agents/:agentId\""));
        assertThat(metrics)
                .contains("agentidp_tokens_issued_total{outcome=\"issued\"}")
                .contains(
                        "agentidp_http_requests_total{method=\"GET\",route=\"/api/v1/agents/:agentId\",status=\"404\"}")
                .contains("agentidp_http_request_duration_seconds_bucket")
                // the token endpoint is labelled by its own route, not lumped into "unmatched"
                .contains("agentidp_http_requests_total{method=\"POST\",route=\"/api/v1/token\",status=\"200\"}")
                .doesNotContain("route=\"unmatched\",status=\"200\"")
                .contains("agentidp_redis_degraded 0")
                .containsPattern("agentidp_token_signer\\{algorithm=\"RS256\",provider=\"\\w+\"} 1.0")
                .containsPattern("agentidp_db_pool_connections [0-9]")
                .contains("jvm_memory_used_bytes")
                .contains("process_cpu_usage")
                .doesNotContain(agentPath)
                .doesNotContain("status=\"500\"");
    }
}
