package ai.sentryagent.agentidp.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.error.Outages;
import ai.sentryagent.agentidp.http.ClientIp;
import ai.sentryagent.agentidp.observability.Metrics;
import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RunningIdp;
import ai.sentryagent.agentidp.testing.TestServers;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Client-authentication limits in real Redis, through HTTP: per (client id, address), per address, the per-client
 * ceiling and successful requests per client — atomically, and without handing whoever knows a client id a way to
 * lock it out (OWASP ASVS V2.2.1: anti-automation must not enable denial of service to the genuine user).
 */
@IntegrationTest
class RateLimitTest {
    private static final int PER_CLIENT_AND_IP = 10;
    private static final int PER_IP = 20;
    private static final int CEILING = 25;
    private static RunningIdp idp;
    /** One administrator token for the whole class: the administrator's own requests count against the limit too. */
    private static String admin;

    private static final HttpClient CONCURRENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1) // one connection per request: truly concurrent
            .connectTimeout(Duration.ofSeconds(10))
            .build();

    @BeforeAll
    static void start() throws Exception {
        idp = RunningIdp.start(Map.of(
                "RATE_LIMIT_MAX_REQUESTS",
                "10",
                "AUTH_FAILURE_MAX_PER_CLIENT",
                Integer.toString(PER_CLIENT_AND_IP),
                "AUTH_FAILURE_MAX_PER_IP",
                Integer.toString(PER_IP),
                "AUTH_FAILURE_CEILING_PER_CLIENT",
                Integer.toString(CEILING),
                "TRUSTED_PROXY_COUNT",
                "1",
                // A fresh key space per run: windows from earlier runs must not count.
                "REDIS_KEY_PREFIX",
                "agentidp-rl-" + UUID.randomUUID().toString().substring(0, 8) + ":"));
        admin = idp.adminToken();
    }

    @AfterAll
    static void stop() throws Exception {
        idp.close();
    }

    private static HttpRequest tokenRequest(String clientId, String secret, String forwardedFor) {
        return idp.request("/api/v1/token")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Authorization", RunningIdp.basic(clientId, secret))
                .header("X-Forwarded-For", forwardedFor)
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials"))
                .build();
    }

    private static HttpResponse<String> token(String clientId, String secret, String forwardedFor) throws Exception {
        return idp.send(tokenRequest(clientId, secret, forwardedFor));
    }

    /** Sends all requests at once and returns their statuses. */
    private static List<Integer> concurrently(List<HttpRequest> requests) {
        List<CompletableFuture<Integer>> calls = new ArrayList<>();
        for (HttpRequest request : requests) {
            calls.add(CONCURRENT
                    .sendAsync(request, HttpResponse.BodyHandlers.ofString())
                    .thenApply(HttpResponse::statusCode));
        }
        return calls.stream().map(CompletableFuture::join).toList();
    }

    private static String[] client() throws Exception {
        JsonObject agent = new JsonObject()
                .put("name", "limited-" + UUID.randomUUID())
                .put("owner", "team-test")
                .put("scopes", new io.vertx.core.json.JsonArray().add("weather:read"));
        HttpResponse<String> created = idp.call("POST", "/api/v1/agents", admin, agent);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String id = new JsonObject(created.body()).getString("agentId");
        HttpResponse<String> credential = idp.call("POST", "/api/v1/agents/" + id + "/credentials", admin, null);
        assertThat(credential.statusCode()).as(credential.body()).isEqualTo(201);
        return new String[] {id, new JsonObject(credential.body()).getString("clientSecret")};
    }

    private static String address() {
        int n = (int) (Math.random() * 250_000);
        return "10." + (n / 62_500) + "." + (n / 250 % 250) + "." + (n % 250 + 1);
    }

    @Test
    void concurrentRequestsGetExactlyTheLimitPerClient() throws Exception {
        String[] c = client();
        List<HttpRequest> requests = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            requests.add(tokenRequest(c[0], c[1], "203.0.113." + (i % 200)));
        }
        List<Integer> statuses = concurrently(requests);
        assertThat(statuses).filteredOn(s -> s == 200).hasSize(10);
        assertThat(statuses).filteredOn(s -> s == 429).hasSize(15);

        HttpResponse<String> refused = token(c[0], c[1], "203.0.113.250");
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.headers().firstValue("retry-after"))
                .hasValueSatisfying(v -> assertThat(Integer.parseInt(v)).isBetween(1, 60));
        assertThat(refused.headers().firstValue("cache-control")).hasValue("no-store");
        assertThat(new JsonObject(refused.body()).getString("error")).isEqualTo("temporarily_unavailable");
    }

    /**
     * F-06 (check-then-act): 150 guesses at once against a limit of 10 get exactly 10 answers; the rest are refused
     * before their result is given. F-05: the guesser's address is locked out, the genuine client elsewhere is not.
     */
    @Test
    void concurrentGuessesGetExactlyTheLimitsWorthOfAnswersAndLockOutOnlyTheGuesser() throws Exception {
        String[] c = client();
        String attacker = address();
        List<HttpRequest> guesses = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            guesses.add(tokenRequest(c[0], "sa_cs_guess" + i, "192.0.2.1, " + attacker));
        }
        List<Integer> statuses = concurrently(guesses);
        assertThat(statuses).filteredOn(s -> s == 401).hasSize(PER_CLIENT_AND_IP);
        assertThat(statuses).filteredOn(s -> s == 429).hasSize(150 - PER_CLIENT_AND_IP);

        // Even the right secret gets no answer from the guesser's address until the window ends ...
        assertThat(token(c[0], c[1], attacker).statusCode()).isEqualTo(429);
        // ... while the genuine client, from its own address, keeps getting tokens.
        String genuine = address();
        for (int i = 0; i < 3; i++) {
            assertThat(token(c[0], c[1], genuine).statusCode()).isEqualTo(200);
        }
        assertThat(idp.get("/metrics").body())
                .contains("agentidp_rate_limit_rejections_total{reason=\"auth_failures_client_ip\"}");
    }

    /**
     * F-05: guessers spread over many addresses reach the per-client ceiling; past it, only addresses that have
     * failed for this client are refused — the genuine client from a clean address still gets its token.
     */
    @Test
    void pastTheCeilingOnlyAddressesThatFailedAreRefused() throws Exception {
        String[] c = client();
        List<String> attackers = new ArrayList<>();
        for (int i = 0; i < CEILING; i++) {
            String attacker = address();
            attackers.add(attacker);
            assertThat(token(c[0], "wrong", attacker).statusCode()).isEqualTo(401);
        }
        // Each attacker address has failed once (far below its own limit of 10), yet is refused now.
        for (String attacker : attackers.subList(0, 5)) {
            assertThat(token(c[0], "wrong", attacker).statusCode()).isEqualTo(429);
            assertThat(token(c[0], c[1], attacker).statusCode()).isEqualTo(429);
        }
        assertThat(token(c[0], c[1], address()).statusCode()).isEqualTo(200);
        // A fresh guesser gets one answer per window, no more.
        String fresh = address();
        assertThat(token(c[0], "wrong", fresh).statusCode()).isEqualTo(401);
        assertThat(token(c[0], "wrong", fresh).statusCode()).isEqualTo(429);
    }

    /** A success clears its address's failures: a client that mistypes now and then never locks itself out. */
    @Test
    void aSuccessClearsTheFailuresOfItsClientAndAddress() throws Exception {
        String[] c = client();
        String from = address();
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < PER_CLIENT_AND_IP - 1; i++) {
                assertThat(token(c[0], "wrong", from).statusCode()).isEqualTo(401);
            }
            assertThat(token(c[0], c[1], from).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void repeatedFailuresFromOneIpAreRefusedWhateverTheClient() throws Exception {
        String attacker = address();
        for (int i = 0; i < PER_IP; i++) {
            assertThat(token(UUID.randomUUID().toString(), "guess", "10.9.9.9, " + attacker)
                            .statusCode())
                    .isEqualTo(401);
        }
        String[] c = client();
        // The spoofed left-most hop changes nothing: the right-most untrusted hop is the attacker.
        assertThat(token(c[0], c[1], "10.0.0.1, " + attacker).statusCode()).isEqualTo(429);
        assertThat(token(c[0], c[1], address()).statusCode()).isEqualTo(200);
        assertThat(idp.get("/metrics").body())
                .contains("agentidp_rate_limit_rejections_total{reason=\"auth_failures_ip\"}");
    }

    @Test
    void anIpv4MappedSpellingIsTheSameAddressForTheFailureLimit() throws Exception {
        // F-10 (re-attack): after the per-IP allowance from 198.51.100.x, ::ffff:198.51.100.x got a fresh one.
        String attacker = "198.51.100." + (int) (Math.random() * 250 + 1);
        for (int i = 0; i < PER_IP; i++) {
            assertThat(token(UUID.randomUUID().toString(), "guess", attacker).statusCode())
                    .isEqualTo(401);
        }
        for (String spelling : List.of("::ffff:" + attacker, "[::FFFF:" + attacker + "]:1", "::" + attacker)) {
            assertThat(token(UUID.randomUUID().toString(), "guess", spelling).statusCode())
                    .as(spelling)
                    .isEqualTo(429);
        }
    }

    @Test
    void clientIpIsTheRightMostUntrustedHop() {
        assertThat(ClientIp.of("10.0.0.5", "1.1.1.1, 2.2.2.2", 0)).isEqualTo("10.0.0.5");
        assertThat(ClientIp.of("10.0.0.5", "1.1.1.1, 2.2.2.2", 1)).isEqualTo("2.2.2.2");
        assertThat(ClientIp.of("10.0.0.5", "1.1.1.1, 2.2.2.2", 2)).isEqualTo("1.1.1.1");
        assertThat(ClientIp.of("10.0.0.5", "2.2.2.2", 3)).isEqualTo("2.2.2.2");
        assertThat(ClientIp.of("10.0.0.5", null, 1)).isEqualTo("10.0.0.5");
    }

    /**
     * F-07: a burst that overflows the Redis client's queues is back-pressure. The calls that do not fit fail as
     * {@link RateLimiter.Busy} (503 for those requests), the rest are counted in Redis, and the limiter never flips
     * to per-process mode — which would forget every lockout count mid-burst.
     */
    @Test
    void aFullRedisWaitQueueIsBackPressureNotAnOutage() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            Redis redis = Redis.createClient(
                    vertx,
                    new RedisOptions()
                            .setConnectionString(TestServers.get().redisUrl())
                            .setMaxPoolSize(2)
                            .setMaxPoolWaiting(16)
                            .setMaxWaitingHandlers(16));
            Metrics metrics = new Metrics();
            RateLimiter limiter = new ResilientRateLimiter(
                    new RedisRateLimiter(redis, "agentidp-bp-" + UUID.randomUUID() + ":", 60_000),
                    new LocalRateLimiter(60_000, 1_000, System::currentTimeMillis),
                    metrics,
                    System::currentTimeMillis);
            RateLimiter.Limits limits = new RateLimiter.Limits(10, 1_000, 1_000, 0);
            List<Future<RateLimiter.Decision>> calls = new ArrayList<>();
            for (int i = 0; i < 450; i++) {
                calls.add(limiter.attempt(RateLimiter.Attempt.of("burst", "ip-" + i, false), limits));
            }
            Future.join(new ArrayList<>(calls)).otherwiseEmpty().await(30, TimeUnit.SECONDS);
            List<Throwable> failures =
                    calls.stream().filter(Future::failed).map(Future::cause).toList();
            assertThat(failures).isNotEmpty().allSatisfy(f -> assertThat(f).isInstanceOf(RateLimiter.Busy.class));
            assertThat(metrics.scrape()).contains("agentidp_redis_degraded 0.0");
            // What got through was counted in Redis, shared: the next call there sees the same window.
            assertThat(limiter.attempt(RateLimiter.Attempt.of("burst", "ip-0", false), limits)
                            .await(10, TimeUnit.SECONDS)
                            .allowed())
                    .isTrue();
            assertThat(calls.stream().filter(Future::succeeded).count()).isGreaterThan(0);
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    /**
     * The other side of F-07: a Redis that accepts connections but never answers is still an outage. The call times
     * out with nothing answered since it was sent, and the limiter goes per process (degraded gauge 1).
     */
    @Test
    void aRedisThatNeverAnswersIsStillAnOutage() throws Exception {
        Vertx vertx = Vertx.vertx();
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0)) {
            List<java.net.Socket> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept());
                    }
                } catch (java.io.IOException closed) {
                    // the test is over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            Redis redis = Redis.createClient(
                    vertx, new RedisOptions().setConnectionString("redis://127.0.0.1:" + silent.getLocalPort()));
            Metrics metrics = new Metrics();
            RateLimiter limiter = new ResilientRateLimiter(
                    new RedisRateLimiter(redis, "agentidp-hung:", 60_000),
                    new LocalRateLimiter(60_000, 1_000, System::currentTimeMillis),
                    metrics,
                    System::currentTimeMillis);
            RateLimiter.Decision decision = limiter.attempt(
                            RateLimiter.Attempt.of("c", "ip", false), new RateLimiter.Limits(10, 10, 10, 0))
                    .await(20, TimeUnit.SECONDS);
            assertThat(decision.allowed()).isTrue();
            assertThat(metrics.scrape()).contains("agentidp_redis_degraded 1.0");
            for (java.net.Socket socket : accepted) {
                socket.close();
            }
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    /**
     * F-07 through HTTP: ~450 token requests at once. Whatever the Redis client's queues make of the burst, the
     * answers are tokens, 429s, or explicit 503s with Retry-After — never a flip into per-process limits, so a
     * guesser locked out before the burst is still locked out after it.
     */
    @Test
    void aBurstOfTokenRequestsKeepsTheLimiterShared() throws Exception {
        String[] c = client();
        String attacker = address();
        for (int i = 0; i < PER_CLIENT_AND_IP; i++) {
            assertThat(token(c[0], "wrong", attacker).statusCode()).isEqualTo(401);
        }
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 450; i++) {
            calls.add(CONCURRENT.sendAsync(tokenRequest(c[0], c[1], address()), HttpResponse.BodyHandlers.ofString()));
        }
        List<HttpResponse<String>> responses =
                calls.stream().map(CompletableFuture::join).toList();
        assertThat(responses).allSatisfy(response -> {
            assertThat(response.statusCode()).isIn(200, 429, 503);
            if (response.statusCode() == 503) {
                assertThat(response.headers().firstValue("retry-after")).isPresent();
                assertThat(new JsonObject(response.body()).getString("error")).isEqualTo("temporarily_unavailable");
            }
        });
        assertThat(responses).filteredOn(r -> r.statusCode() == 200).hasSizeLessThanOrEqualTo(10);
        assertThat(idp.get("/metrics").body()).contains("agentidp_redis_degraded 0.0");
        assertThat(token(c[0], c[1], attacker).statusCode()).isEqualTo(429);
    }

    private static final RateLimiter.Limits LOCAL_LIMITS = new RateLimiter.Limits(2, 3, 100, 2);

    @Test
    void theLocalLimiterKeepsTheSameRulesInFixedWindows() {
        long[] now = {0};
        LocalRateLimiter local = new LocalRateLimiter(1000, 1000, () -> now[0]);
        RateLimiter.Attempt wrong = RateLimiter.Attempt.of("client", "ip-1", false);
        assertThat(local.attempt(wrong, LOCAL_LIMITS).result().allowed()).isTrue();
        assertThat(local.attempt(wrong, LOCAL_LIMITS).result().allowed()).isTrue();
        assertThat(local.attempt(wrong, LOCAL_LIMITS).result().limitedBy()).isEqualTo(RateLimiter.Limit.CLIENT_AND_IP);
        // Another address is not affected by the first one's failures.
        assertThat(local.attempt(RateLimiter.Attempt.of("client", "ip-2", true), LOCAL_LIMITS)
                        .result()
                        .allowed())
                .isTrue();
        now[0] = 1000;
        assertThat(local.attempt(wrong, LOCAL_LIMITS).result().allowed()).isTrue();
    }

    /**
     * F-14: with Redis down, spraying 1,000,000 distinct keys must leave the per-process limiter bounded in size and
     * each call as cheap at the end as at the start (an attacker spraying source addresses must not turn the fallback
     * into CPU exhaustion; the first limiter scanned its whole map on every call past 100,000 keys). Measured as CPU
     * time of this thread per 100,000 calls, a ratio rather than a wall-clock threshold; the first batch is the
     * JIT's warm-up and is not compared.
     */
    @Test
    void theLocalLimiterCostsTheSamePerCallAfterAMillionSprayedKeys() {
        long[] now = {0};
        LocalRateLimiter local = new LocalRateLimiter(60_000, 5_000, () -> now[0]);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long[] cpuNanos = new long[10];
        for (int batch = 0; batch < cpuNanos.length; batch++) {
            long started = threads.getCurrentThreadCpuTime();
            for (int i = 0; i < 100_000; i++) {
                local.attempt(sprayed(batch * 100_000 + i), LOCAL_LIMITS);
            }
            cpuNanos[batch] = threads.getCurrentThreadCpuTime() - started;
            assertThat(local.size()).isLessThanOrEqualTo(5_000);
        }
        assertThat(cpuNanos[9])
                .as("CPU per batch %s", Arrays.toString(cpuNanos))
                .isLessThanOrEqualTo(3 * cpuNanos[1]);
        // Windows expire: a later window starts empty and the old entries go.
        now[0] = 60_000;
        local.attempt(RateLimiter.Attempt.of("later", "addr", false), LOCAL_LIMITS);
        assertThat(local.size()).isEqualTo(3);
    }

    /**
     * OWASP ASVS V2.2.1 (anti-automation): a guesser refused for one client from its address must stay refused while
     * a botnet sprays fresh keys to push that window out of the bounded table. Evicting the oldest window first
     * handed the guesser a fresh window after {@code maxKeys} sprayed keys.
     */
    @Test
    void sprayedKeysDoNotEvictTheWindowThatRefusesAGuesser() {
        long[] now = {0};
        LocalRateLimiter local = new LocalRateLimiter(60_000, 1_000, () -> now[0]);
        RateLimiter.Attempt guess = RateLimiter.Attempt.of("victim-client", "guesser", false);
        assertThat(local.attempt(guess, LOCAL_LIMITS).result().allowed()).isTrue();
        assertThat(local.attempt(guess, LOCAL_LIMITS).result().allowed()).isTrue();
        for (int i = 0; i < 100_000; i++) {
            local.attempt(sprayed(i), LOCAL_LIMITS);
            if (i % 100 == 0) {
                assertThat(local.attempt(guess, LOCAL_LIMITS).result().limitedBy())
                        .as("guess after %d sprayed keys", i)
                        .isEqualTo(RateLimiter.Limit.CLIENT_AND_IP);
            }
        }
        assertThat(local.size()).isLessThanOrEqualTo(1_000);
    }

    /** A use of {@code key}; {@code alone}: what a claim in a call of its own answers, and how many were made. */
    private record Use(String key, long ttlMs, Future<Boolean>[] alone, int[] calls) implements RateLimiter.SingleUse {
        @SuppressWarnings("unchecked")
        static Use of(String key) {
            return new Use(key, 60_000, new Future[] {Future.succeededFuture(true)}, new int[1]);
        }

        @Override
        public Future<Boolean> claimAlone() {
            calls[0]++;
            return alone[0];
        }
    }

    /**
     * RFC 7523 §3 item 7 in the limiter's one script: the first use of a jti is a success; a replay — on this task or
     * another — is refused and counted as a failed authentication, so replays lock out like wrong secrets.
     */
    @Test
    void theSharedScriptClaimsASingleUseAndCountsAReplayAsAFailure() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            Redis redis = Redis.createClient(
                    vertx,
                    new RedisOptions().setConnectionString(TestServers.get().redisUrl()));
            String prefix = "agentidp-once-" + UUID.randomUUID() + ":";
            RateLimiter limiter = new RedisRateLimiter(redis, prefix, 60_000);
            RateLimiter.Limits limits = new RateLimiter.Limits(2, 1_000, 1_000, 0);
            RateLimiter.Attempt verified = RateLimiter.Attempt.of("client", "ip", true);
            Use jti = Use.of(prefix + "jti-1");
            RateLimiter.Claimed first = limiter.attempt(verified, limits, jti).await(10, TimeUnit.SECONDS);
            assertThat(first.firstUse()).isTrue();
            assertThat(first.decision().allowed()).isTrue();
            for (int replay = 0; replay < 2; replay++) {
                RateLimiter.Claimed again =
                        limiter.attempt(verified, limits, jti).await(10, TimeUnit.SECONDS);
                assertThat(again.firstUse()).isFalse();
                assertThat(again.decision().allowed()).isTrue(); // refused as invalid_client, within the limits
            }
            RateLimiter.Claimed fresh =
                    limiter.attempt(verified, limits, Use.of(prefix + "jti-2")).await(10, TimeUnit.SECONDS);
            assertThat(fresh.decision().limitedBy()).isEqualTo(RateLimiter.Limit.CLIENT_AND_IP);
            assertThat(jti.calls()[0]).as("claimed in the script, not alone").isZero();
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    /**
     * Replay protection never rests on one task's memory: with Redis gone, an attempt that claims a jti fails as an
     * outage (503) and is not retried as a claim of its own (the script may have run); while degraded, the local
     * limiter asks Redis for the claim alone — refused while Redis is gone, first use or replay once it answers.
     */
    @Test
    void aClaimIsNeverAnsweredFromThisTasksMemory() {
        long[] now = {0};
        RateLimiter gone = new RateLimiter() {
            @Override
            public Future<Decision> attempt(Attempt attempt, Limits limits) {
                return Future.failedFuture(new java.net.ConnectException("Connection refused"));
            }

            @Override
            public Future<Claimed> attempt(Attempt attempt, Limits limits, SingleUse once) {
                return Future.failedFuture(new java.net.ConnectException("Connection refused"));
            }
        };
        Metrics metrics = new Metrics();
        RateLimiter limiter = new ResilientRateLimiter(
                gone, new LocalRateLimiter(60_000, 1_000, () -> now[0]), metrics, () -> now[0]);
        RateLimiter.Attempt verified = RateLimiter.Attempt.of("client", "ip", true);
        Use jti = Use.of("jti");

        Future<RateLimiter.Claimed> shared = limiter.attempt(verified, LOCAL_LIMITS, jti);
        assertThat(shared.cause()).isInstanceOf(Outages.DependencyDown.class);
        assertThat(jti.calls()[0]).isZero();
        assertThat(metrics.scrape()).contains("agentidp_redis_degraded 1.0");

        jti.alone()[0] = Future.failedFuture(new Outages.DependencyDown("Redis", new RuntimeException("gone")));
        assertThat(limiter.attempt(verified, LOCAL_LIMITS, jti).cause()).isInstanceOf(Outages.DependencyDown.class);
        jti.alone()[0] = Future.succeededFuture(true);
        assertThat(limiter.attempt(verified, LOCAL_LIMITS, jti).result().firstUse())
                .isTrue();
        jti.alone()[0] = Future.succeededFuture(false);
        for (int replay = 0; replay < 2; replay++) {
            assertThat(limiter.attempt(verified, LOCAL_LIMITS, jti).result().firstUse())
                    .isFalse();
        }
        assertThat(limiter.attempt(verified, LOCAL_LIMITS, jti)
                        .result()
                        .decision()
                        .limitedBy())
                .isEqualTo(RateLimiter.Limit.CLIENT_AND_IP);
        assertThat(jti.calls()[0]).isEqualTo(5);
    }

    /** A failed attempt under keys of its own: the client id and address a sprayer invents for each request. */
    private static RateLimiter.Attempt sprayed(int n) {
        return new RateLimiter.Attempt("af:p:" + n, "af:i:" + n, "af:c:" + n, "rq:c:" + n, false);
    }
}
