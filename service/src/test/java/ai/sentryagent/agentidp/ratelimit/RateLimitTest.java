package ai.sentryagent.agentidp.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.http.ClientIp;
import ai.sentryagent.agentidp.testing.RunningIdp;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Token endpoint limits in real Redis: per client, per failed client id and per source IP, atomically. */
class RateLimitTest {
    private static RunningIdp idp;

    @BeforeAll
    static void start() throws Exception {
        idp = RunningIdp.start(Map.of(
                "RATE_LIMIT_MAX_REQUESTS", "10",
                "AUTH_FAILURE_MAX_PER_CLIENT", "3",
                "AUTH_FAILURE_MAX_PER_IP", "6",
                "TRUSTED_PROXY_COUNT", "1",
                // A fresh key space per run: windows from earlier runs must not count.
                "REDIS_KEY_PREFIX",
                        "agentidp-rl-" + UUID.randomUUID().toString().substring(0, 8) + ":"));
    }

    @AfterAll
    static void stop() throws Exception {
        idp.close();
    }

    private static HttpResponse<String> token(String clientId, String secret, String forwardedFor) throws Exception {
        HttpRequest.Builder request = idp.request("/api/v1/token")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Authorization", RunningIdp.basic(clientId, secret))
                .header("X-Forwarded-For", forwardedFor)
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials"));
        return idp.send(request.build());
    }

    private static String[] client() throws Exception {
        String id =
                idp.createAgent("limited-" + UUID.randomUUID(), "weather:read").getString("agentId");
        return new String[] {id, idp.createCredential(id).getString("clientSecret")};
    }

    @Test
    void concurrentRequestsGetExactlyTheLimitPerClient() throws Exception {
        String[] c = client();
        List<CompletableFuture<Integer>> calls = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            int n = i;
            calls.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return token(c[0], c[1], "203.0.113." + (n % 200)).statusCode();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        List<Integer> statuses = calls.stream().map(CompletableFuture::join).toList();
        assertThat(statuses).filteredOn(s -> s == 200).hasSize(10);
        assertThat(statuses).filteredOn(s -> s == 429).hasSize(15);

        HttpResponse<String> refused = token(c[0], c[1], "203.0.113.250");
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.headers().firstValue("retry-after"))
                .hasValueSatisfying(v -> assertThat(Integer.parseInt(v)).isBetween(1, 60));
        assertThat(refused.headers().firstValue("cache-control")).hasValue("no-store");
        assertThat(new JsonObject(refused.body()).getString("error")).isEqualTo("temporarily_unavailable");
    }

    @Test
    void repeatedFailuresForOneClientIdAreRefusedBeforeTheSecretIsChecked() throws Exception {
        String[] c = client();
        for (int i = 0; i < 3; i++) {
            assertThat(token(c[0], "wrong", "198.51.100." + i).statusCode()).isEqualTo(401);
        }
        // Now even the right secret waits for the window: brute force gets nothing more.
        HttpResponse<String> blocked = token(c[0], c[1], "198.51.100.99");
        assertThat(blocked.statusCode()).isEqualTo(429);
        assertThat(blocked.headers().firstValue("retry-after")).isPresent();
    }

    @Test
    void repeatedFailuresFromOneIpAreRefusedWhateverTheClient() throws Exception {
        String attacker = "192.0.2.77";
        for (int i = 0; i < 6; i++) {
            assertThat(token(UUID.randomUUID().toString(), "guess", "10.9.9.9, " + attacker)
                            .statusCode())
                    .isEqualTo(401);
        }
        String[] c = client();
        // The spoofed left-most hop changes nothing: the right-most untrusted hop is the attacker.
        assertThat(token(c[0], c[1], "10.0.0." + 1 + ", " + attacker).statusCode())
                .isEqualTo(429);
        assertThat(token(c[0], c[1], "192.0.2.78").statusCode()).isEqualTo(200);
        assertThat(idp.get("/metrics").body())
                .contains("agentidp_rate_limit_rejections_total{reason=\"auth_failures\"}");
    }

    @Test
    void clientIpIsTheRightMostUntrustedHop() {
        assertThat(ClientIp.of("10.0.0.5", "1.1.1.1, 2.2.2.2", 0)).isEqualTo("10.0.0.5");
        assertThat(ClientIp.of("10.0.0.5", "1.1.1.1, 2.2.2.2", 1)).isEqualTo("2.2.2.2");
        assertThat(ClientIp.of("10.0.0.5", "1.1.1.1, 2.2.2.2", 2)).isEqualTo("1.1.1.1");
        assertThat(ClientIp.of("10.0.0.5", "2.2.2.2", 3)).isEqualTo("2.2.2.2");
        assertThat(ClientIp.of("10.0.0.5", null, 1)).isEqualTo("10.0.0.5");
    }

    @Test
    void theLocalLimiterKeepsFixedWindows() {
        long[] now = {0};
        LocalRateLimiter local = new LocalRateLimiter(1000, () -> now[0]);
        assertThat(local.hit("k", 2).result().allowed()).isTrue();
        assertThat(local.hit("k", 2).result().allowed()).isTrue();
        assertThat(local.hit("k", 2).result().allowed()).isFalse();
        assertThat(local.peek(List.of("k", "other"), List.of(2, 2)).result())
                .extracting(RateLimiter.Decision::allowed)
                .containsExactly(false, true);
        now[0] = 1000;
        assertThat(local.hit("k", 2).result().allowed()).isTrue();
    }
}
