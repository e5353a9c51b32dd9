package ai.sentryagent.agentidp.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RunningIdp;
import ai.sentryagent.agentidp.testing.TestServers;
import io.vertx.core.json.JsonObject;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.embedded.RedisServer;

/**
 * Dependencies stopped and started for real while a client keeps calling: PostgreSQL gone means fast 503s and a
 * recovery by itself; Redis gone means tokens keep flowing under per-process limits.
 */
@IntegrationTest
class ResilienceTest {
    @TempDir
    Path dir;

    private static EmbeddedPostgres postgres(Path data, int port) throws Exception {
        return EmbeddedPostgres.builder()
                .setDataDirectory(data)
                .setCleanDataDirectory(false)
                .setPort(port)
                .setRegisterShutdownHook(false)
                .start();
    }

    private static HttpResponse<String> token(RunningIdp idp, String id, String secret) throws Exception {
        return idp.postForm("/api/v1/token", "grant_type=client_credentials", id, secret);
    }

    @Test
    void postgresOutageGivesFast503sAndRecoversWithoutARestart() throws Exception {
        int port = TestServers.freePort();
        Path data = Files.createDirectories(dir.resolve("pg"));
        EmbeddedPostgres pg = postgres(data, port);
        try (Connection c = DriverManager.getConnection(
                        "jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", null);
                Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE resilience");
        }
        try (RunningIdp idp = RunningIdp.start(Map.of(
                "DATABASE_URL",
                "postgres://postgres@127.0.0.1:" + port + "/resilience?sslmode=disable",
                "DB_POOL_CONNECTION_TIMEOUT_MS",
                "1000"))) {
            String id = idp.createAgent("survivor", "weather:read").getString("agentId");
            String secret = idp.createCredential(id).getString("clientSecret");
            assertThat(token(idp, id, secret).statusCode()).isEqualTo(200);

            pg.close();
            for (int i = 0; i < 5; i++) {
                long start = System.nanoTime();
                HttpResponse<String> down = token(idp, id, secret);
                long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
                assertThat(down.statusCode()).as(down.body()).isEqualTo(503);
                assertThat(down.headers().firstValue("retry-after")).isPresent();
                assertThat(new JsonObject(down.body()).getString("error")).isEqualTo("temporarily_unavailable");
                assertThat(millis).as("a dead database must fail fast").isLessThan(3_000);
            }
            HttpResponse<String> management = idp.call("GET", "/api/v1/agents/" + id, null, null);
            assertThat(management.statusCode()).isIn(401, 503);
            assertThat(idp.get("/health").statusCode()).isEqualTo(200);
            assertThat(idp.get("/health/ready").body()).contains("postgres unavailable");

            pg = postgres(data, port);
            // Recovered within 30 s, by itself.
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> token(idp, id, secret).statusCode() == 200);
            assertThat(idp.get("/health/ready").statusCode()).isEqualTo(200);
        } finally {
            pg.close();
        }
    }

    @Test
    void redisOutageKeepsTokensFlowingInDegradedMode() throws Exception {
        int port = TestServers.freePort();
        RedisServer server = TestServers.startRedis(port);
        try (RunningIdp idp = RunningIdp.start(Map.of("REDIS_URL", "redis://127.0.0.1:" + port))) {
            String id = idp.createAgent("no-cache-needed", "weather:read").getString("agentId");
            String secret = idp.createCredential(id).getString("clientSecret");
            assertThat(token(idp, id, secret).statusCode()).isEqualTo(200);

            server.stop();
            for (int i = 0; i < 5; i++) {
                assertThat(token(idp, id, secret).statusCode()).isEqualTo(200);
            }
            String token = new JsonObject(token(idp, id, secret).body()).getString("access_token");
            assertThat(new JsonObject(idp.postForm("/api/v1/token/introspect", "token=" + token, id, secret)
                                    .body())
                            .getBoolean("active"))
                    .isTrue();
            assertThat(idp.get("/metrics").body()).contains("agentidp_redis_degraded 1");
            assertThat(idp.get("/health/ready").body()).contains("redis unavailable");

            server = TestServers.startRedis(port);
            // Left degraded mode by itself, and no token request failed meanwhile: an assertion error in the
            // condition ends the wait at once (Awaitility does not ignore it).
            await().atMost(Duration.ofSeconds(40))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> {
                        assertThat(token(idp, id, secret).statusCode()).isEqualTo(200);
                        return idp.get("/metrics").body().contains("agentidp_redis_degraded 0");
                    });
        } finally {
            server.stop();
        }
    }
}
