package ai.sentryagent.agentidp.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RunningIdp;
import ai.sentryagent.agentidp.testing.TestServers;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

@IntegrationTest
class HealthTest {
    private static RunningIdp idp;

    @BeforeAll
    static void start() throws Exception {
        idp = RunningIdp.start();
    }

    @AfterAll
    static void stop() throws Exception {
        idp.close();
    }

    @Test
    void livenessAnswersOk() throws Exception {
        HttpResponse<String> response = idp.get("/health");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(new JsonObject(response.body())).isEqualTo(new JsonObject().put("status", "ok"));
    }

    @Test
    void readinessReportsBothDependenciesUp() throws Exception {
        HttpResponse<String> response = idp.get("/health/ready");
        assertThat(response.statusCode()).isEqualTo(200);
        JsonObject body = new JsonObject(response.body());
        assertThat(body.getString("status")).isEqualTo("ok");
        assertThat(body.getJsonObject("checks").getJsonObject("postgres").getString("status"))
                .isEqualTo("up");
        assertThat(body.getJsonObject("checks").getJsonObject("redis").getString("status"))
                .isEqualTo("up");
    }

    @Test
    void unknownPathIsAJson404() throws Exception {
        HttpResponse<String> response = idp.get("/nope");
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(new JsonObject(response.body()).getString("error")).isEqualTo("not_found");
    }

    @Test
    void readinessNamesRedisWhenItIsDown() throws Exception {
        int closedPort = TestServers.freePort();
        try (RunningIdp broken = RunningIdp.start(Map.of("REDIS_URL", "redis://127.0.0.1:" + closedPort))) {
            HttpResponse<String> response = broken.get("/health/ready");
            assertThat(response.statusCode()).isEqualTo(503);
            JsonObject body = new JsonObject(response.body());
            assertThat(body.getString("message")).isEqualTo("not ready: redis unavailable");
            assertThat(body.getJsonObject("checks").getJsonObject("postgres").getString("status"))
                    .isEqualTo("up");
            assertThat(body.getJsonObject("checks").getJsonObject("redis").getString("status"))
                    .isEqualTo("down");
            assertThat(broken.get("/health").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void readinessNamesPostgresWhenItIsDown() throws Exception {
        int closedPort = TestServers.freePort();
        // Startup itself needs the database for migrations and the bootstrap client; switch both off.
        try (RunningIdp broken = RunningIdp.start(Map.of(
                "DATABASE_URL", "postgres://nobody@127.0.0.1:" + closedPort + "/none?sslmode=disable",
                "DB_MIGRATE_ON_START", "false",
                "BOOTSTRAP_ADMIN_SECRET", ""))) {
            HttpResponse<String> response = broken.get("/health/ready");
            assertThat(response.statusCode()).isEqualTo(503);
            JsonObject body = new JsonObject(response.body());
            assertThat(body.getString("message")).isEqualTo("not ready: postgres unavailable");
            assertThat(body.getJsonObject("checks").getJsonObject("redis").getString("status"))
                    .isEqualTo("up");
        }
    }
}
