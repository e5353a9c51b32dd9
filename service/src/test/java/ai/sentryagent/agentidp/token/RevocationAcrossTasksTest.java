package ai.sentryagent.agentidp.token;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.sentryagent.agentidp.config.DatabaseUrl;
import ai.sentryagent.agentidp.config.RedisUrl;
import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RunningIdp;
import ai.sentryagent.agentidp.testing.TestServers;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two tasks on one PostgreSQL and one Redis, as production runs them. RFC 7009 §2.2: once the revocation endpoint
 * answers 200 the token is invalid — for every resource server asking any task, not only the task that took the
 * revocation. And a valid token's check must not cost a PostgreSQL round trip besides Redis's (issue 15: the old
 * check asked Redis, then PostgreSQL, for every valid token).
 */
@IntegrationTest
class RevocationAcrossTasksTest {
    private static String database;
    private static String prefix;
    private static RunningIdp a;
    private static RunningIdp b;
    private static String agentId;
    private static String secret;

    @BeforeAll
    static void start() throws Exception {
        database = TestServers.get().createDatabase("revocation");
        // A key space of its own: no revocation copy in Redis yet, as on a fresh deployment.
        prefix = TestServers.get().redisKeyPrefix() + "rv" + Long.toHexString(System.nanoTime()) + ":";
        Map<String, String> shared = Map.of("DATABASE_URL", database, "REDIS_KEY_PREFIX", prefix);
        a = RunningIdp.start(shared);
        b = RunningIdp.start(shared);
        agentId = a.createAgent("two-tasks", "weather:read").getString("agentId");
        secret = a.createCredential(agentId).getString("clientSecret");
    }

    @AfterAll
    static void stop() throws Exception {
        if (b != null) {
            b.close();
        }
        if (a != null) {
            a.close();
        }
    }

    @Test
    void aTokenRevokedOnOneTaskIsInactiveOnTheOtherAtOnce() throws Exception {
        String token = a.token(agentId, secret, null);
        assertThat(introspect(b, token).getBoolean("active")).isTrue();
        assertThat(a.postForm("/api/v1/token/revoke", "token=" + token, agentId, secret)
                        .statusCode())
                .isEqualTo(200);
        // No waiting: the very next check on the other task already says inactive.
        assertThat(introspect(b, token)).isEqualTo(new JsonObject().put("active", false));

        String admin = a.adminToken();
        assertThat(b.call("GET", "/api/v1/agents", admin, null).statusCode()).isEqualTo(200);
        assertThat(a.postForm(
                                "/api/v1/token/revoke",
                                "token=" + admin,
                                RunningIdp.ADMIN_CLIENT_ID,
                                RunningIdp.ADMIN_SECRET)
                        .statusCode())
                .isEqualTo(200);
        assertThat(b.call("GET", "/api/v1/agents", admin, null).statusCode()).isEqualTo(401);
    }

    @Test
    void aValidTokenIsCheckedWithoutPostgresAndALostCopyFallsBackToIt() throws Exception {
        String revoked = a.token(agentId, secret, null);
        String valid = a.token(agentId, secret, null);
        assertThat(a.postForm("/api/v1/token/revoke", "token=" + revoked, agentId, secret)
                        .statusCode())
                .isEqualTo(200);
        introspect(b, valid); // the first check of a fresh key space finds no copy and has one made
        await().atMost(Duration.ofSeconds(10)).until(() -> redis("ZSCORE", key(), "[complete]") != null);

        try (Connection db = jdbc();
                Statement sql = db.createStatement()) {
            // Any query on the revocations now waits for this transaction.
            db.setAutoCommit(false);
            sql.execute("LOCK TABLE token_revocations IN ACCESS EXCLUSIVE MODE");

            assertThat(introspect(b, valid).getBoolean("active")).isTrue();
            assertThat(introspect(a, valid).getBoolean("active")).isTrue();
            assertThat(introspect(b, revoked).getBoolean("active")).isFalse();

            // Redis loses the copy (restart, flush, eviction): "absent" is no longer trusted, PostgreSQL is asked.
            redis("DEL", key());
            CompletableFuture<HttpResponse<String>> pending =
                    HTTP.sendAsync(introspection(b, revoked), HttpResponse.BodyHandlers.ofString());
            await().atMost(Duration.ofSeconds(10)).until(() -> waitingOnTheLock(sql) > 0);
            assertThat(pending).isNotDone();
            db.commit();
            HttpResponse<String> answer = pending.get(10, TimeUnit.SECONDS);
            assertThat(new JsonObject(answer.body())).isEqualTo(new JsonObject().put("active", false));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> redis("ZSCORE", key(), "[complete]") != null);
        assertThat(redis("ZSCORE", key(), jti(revoked))).isNotNull();
    }

    /**
     * A revocation table that only grows is an outage in slow motion (every token revoked, every delegation revoked,
     * kept forever); pruning too early revives a token. Expired rows go — across several delete batches — and a
     * revocation whose token still lives stays in force on both tasks, even with Redis's copy lost (PostgreSQL asked).
     */
    @Test
    void expiredRevocationsAreDeletedAndLiveOnesStayInForce() throws Exception {
        String live = a.token(agentId, secret, null);
        assertThat(a.postForm("/api/v1/token/revoke", "token=" + live, agentId, secret)
                        .statusCode())
                .isEqualTo(200);
        int expired = PgRedisRevocationStore.PRUNE_BATCH * 2 + 7;
        try (Connection db = jdbc();
                Statement sql = db.createStatement()) {
            sql.execute("INSERT INTO token_revocations (jti, client_id, expires_at, revoked_at) SELECT"
                    + " 'expired-' || n, 'c', now() - interval '2 hours', now() - interval '3 hours'"
                    + " FROM generate_series(1, " + expired + ") n");
            // Expired, but within the grace that covers clocks disagreeing between tasks: kept.
            sql.execute("INSERT INTO token_revocations (jti, client_id, expires_at, revoked_at)"
                    + " VALUES ('recent', 'c', now() - interval '10 minutes', now() - interval '20 minutes')");
        }
        assertThat(b.pruneRevocations()).isGreaterThanOrEqualTo(expired);
        try (Connection db = jdbc();
                Statement sql = db.createStatement();
                var rows = sql.executeQuery("SELECT jti FROM token_revocations WHERE jti NOT LIKE 'd:%'"
                        + " AND (jti LIKE 'expired-%' OR jti = 'recent' OR jti = '" + jti(live) + "')")) {
            java.util.List<String> left = new java.util.ArrayList<>();
            while (rows.next()) {
                left.add(rows.getString(1));
            }
            assertThat(left).containsExactlyInAnyOrder("recent", jti(live));
        }
        redis("DEL", key()); // the copy lost: the answer comes from PostgreSQL, after the prune
        assertThat(introspect(b, live).getBoolean("active")).isFalse();
        assertThat(introspect(a, live).getBoolean("active")).isFalse();
    }

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static HttpRequest introspection(RunningIdp idp, String token) {
        return idp.request("/api/v1/token/introspect")
                .timeout(Duration.ofSeconds(5))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Authorization", RunningIdp.basic(agentId, secret))
                .POST(HttpRequest.BodyPublishers.ofString("token=" + URLEncoder.encode(token, StandardCharsets.UTF_8)))
                .build();
    }

    /** Introspects with a 5 s timeout: a check stuck behind the table lock fails the test instead of passing late. */
    private static JsonObject introspect(RunningIdp idp, String token) throws Exception {
        HttpResponse<String> response = HTTP.send(introspection(idp, token), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return new JsonObject(response.body());
    }

    private static int waitingOnTheLock(Statement sql) throws Exception {
        try (var rows = sql.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                + " AND wait_event_type = 'Lock' AND query LIKE '%token_revocations%'")) {
            rows.next();
            return rows.getInt(1);
        }
    }

    private static String key() {
        return prefix + "revoked:jti";
    }

    private static String jti(String token) {
        String payload =
                new String(java.util.Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8);
        return new JsonObject(payload).getString("jti");
    }

    /** One redis-cli command; its output, or null for Redis's nil. */
    private static String redis(String... command) throws Exception {
        RedisUrl url = RedisUrl.parse(TestServers.get().redisUrl());
        String[] argv = new String[command.length + 5];
        argv[0] = "redis-cli";
        argv[1] = "-h";
        argv[2] = url.host();
        argv[3] = "-p";
        argv[4] = Integer.toString(url.port());
        System.arraycopy(command, 0, argv, 5, command.length);
        Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        process.waitFor();
        return out.isEmpty() ? null : out;
    }

    private static Connection jdbc() throws Exception {
        DatabaseUrl parsed = DatabaseUrl.parse(database);
        return DriverManager.getConnection(parsed.jdbcUrl(), parsed.user(), parsed.password());
    }
}
