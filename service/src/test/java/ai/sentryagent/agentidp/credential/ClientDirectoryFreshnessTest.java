package ai.sentryagent.agentidp.credential;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.sentryagent.agentidp.config.DatabaseUrl;
import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RunningIdp;
import ai.sentryagent.agentidp.testing.TestServers;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The token endpoint answers from memory, yet a change to a client counts at once: made through this task's API,
 * made behind its back in SQL (as another task or an operator would), and while its notification connection is
 * being re-established.
 */
@IntegrationTest
class ClientDirectoryFreshnessTest {
    @Test
    void revocationsCountAtOnceWhereverTheyAreMade() throws Exception {
        String url = TestServers.get().createDatabase("clientcache");
        try (RunningIdp idp = RunningIdp.start(Map.of("DATABASE_URL", url));
                Connection db = jdbc(url);
                Statement sql = db.createStatement()) {
            String admin = idp.adminToken();

            // Through the API: the next token request already fails.
            String id = idp.createAgent("cached-api", "weather:read").getString("agentId");
            JsonObject credential = idp.createCredential(id);
            String secret = credential.getString("clientSecret");
            idp.token(id, secret, null);
            idp.token(id, secret, null); // now from memory
            assertThat(idp.call(
                                    "DELETE",
                                    "/api/v1/agents/" + id + "/credentials/" + credential.getString("credentialId"),
                                    admin,
                                    null)
                            .statusCode())
                    .isEqualTo(204);
            assertThat(status(idp, id, secret)).isEqualTo(401);

            // Behind the service's back: the notification arrives within moments, not after the cache's max age.
            String other = idp.createAgent("cached-sql", "weather:read").getString("agentId");
            String otherSecret = idp.createCredential(other).getString("clientSecret");
            idp.token(other, otherSecret, null);
            idp.token(other, otherSecret, null);
            sql.executeUpdate("UPDATE agents SET status = 'suspended' WHERE agent_id = '" + other + "'");
            assertThat(secondsUntilRefused(idp, other, otherSecret)).isLessThan(3.0);

            // The notification connection dies: nothing is answered from memory until it is back.
            String third = idp.createAgent("cached-outage", "weather:read").getString("agentId");
            String thirdSecret = idp.createCredential(third).getString("clientSecret");
            idp.token(third, thirdSecret, null);
            int killed = count(
                    sql,
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                            + " WHERE datname = current_database() AND query LIKE 'LISTEN%'");
            assertThat(killed).isEqualTo(1);
            // The task notices the closed connection: wait for its state, so the revocation below cannot race it.
            ClientDirectory directory = idp.clients();
            await().atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(10))
                    .until(() -> !directory.live());
            sql.executeUpdate(
                    "UPDATE credentials SET status = 'revoked', revoked_at = now() WHERE agent_id = '" + third + "'");
            assertThat(status(idp, third, thirdSecret)).isEqualTo(401);

            // ... and it comes back by itself.
            String fourth = idp.createAgent("cached-after", "weather:read").getString("agentId");
            String fourthSecret = idp.createCredential(fourth).getString("clientSecret");
            await().atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> count(
                                    sql,
                                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                            + " AND query LIKE 'LISTEN%'")
                            > 0);
            await().atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(10))
                    .until(directory::live);
            idp.token(fourth, fourthSecret, null);
            sql.executeUpdate("UPDATE agents SET status = 'suspended' WHERE agent_id = '" + fourth + "'");
            assertThat(secondsUntilRefused(idp, fourth, fourthSecret)).isLessThan(3.0);
        }
    }

    private static int status(RunningIdp idp, String id, String secret) throws Exception {
        return idp.postForm("/api/v1/token", "grant_type=client_credentials", id, secret)
                .statusCode();
    }

    private static double secondsUntilRefused(RunningIdp idp, String id, String secret) {
        long start = System.nanoTime();
        await().atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> status(idp, id, secret) != 200);
        return (System.nanoTime() - start) / 1e9;
    }

    private static int count(Statement sql, String query) throws Exception {
        try (var rows = sql.executeQuery(query)) {
            rows.next();
            return rows.getInt(1);
        }
    }

    private static Connection jdbc(String url) throws Exception {
        DatabaseUrl parsed = DatabaseUrl.parse(url);
        return DriverManager.getConnection(parsed.jdbcUrl(), parsed.user(), parsed.password());
    }
}
