package ai.sentryagent.agentidp.federation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.sentryagent.agentidp.config.DatabaseUrl;
import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RunningIdp;
import ai.sentryagent.agentidp.testing.TestServers;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The jwt-bearer grant reads trust policies from memory, yet a policy change counts: on the task that made it from its
 * next request, on another task (two tasks on one PostgreSQL, as behind one load balancer) as soon as V11's
 * notification arrives, and while a task's notification connection is down nothing is answered from memory.
 */
@IntegrationTest
class TrustPolicyFreshnessTest {
    private static final String GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    private static final String AUDIENCE = "agentidp";

    private static RunningIdp a;
    private static RunningIdp b;
    private static String adminOnA;
    private static Connection db;
    private static Statement sql;
    private static RSAKey key;

    @BeforeAll
    static void start() throws Exception {
        String url = TestServers.get().createDatabase("trustcache");
        a = RunningIdp.start(Map.of("DATABASE_URL", url));
        b = RunningIdp.start(Map.of("DATABASE_URL", url));
        adminOnA = a.adminToken();
        DatabaseUrl parsed = DatabaseUrl.parse(url);
        db = DriverManager.getConnection(parsed.jdbcUrl(), parsed.user(), parsed.password());
        sql = db.createStatement();
        key = IssuerFixture.rsa("cache-1");
    }

    /** Both tasks hear notifications (and so cache) before a test starts, whatever the one before did. */
    @BeforeEach
    void listening() {
        await().atMost(Duration.ofSeconds(10))
                .until(() -> a.trustPolicyDirectory().live()
                        && b.trustPolicyDirectory().live());
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable closeable : new AutoCloseable[] {sql, db, b, a}) {
            if (closeable != null) {
                closeable.close();
            }
        }
    }

    @Test
    void aPolicyDeletedOnOneTaskStopsMatchingThereAtOnceAndOnTheOtherWhenTheNotificationArrives() throws Exception {
        String issuer = uniqueIssuer();
        String policyId = createPolicy(issuer);
        assertThat(exchange(a, issuer).statusCode()).isEqualTo(200);
        assertThat(exchange(b, issuer).statusCode()).isEqualTo(200);
        assertThat(exchange(b, issuer).statusCode()).isEqualTo(200); // from memory now

        // An administrator withdraws the trust (a leaked CI token, a compromised cluster): no task may go on honouring
        // it until its cache expires.
        assertThat(a.call("DELETE", "/api/v1/trust-policies/" + policyId, adminOnA, null)
                        .statusCode())
                .isEqualTo(204);
        assertRefused(exchange(a, issuer), "no trust policy"); // the deleting task: before the 204 was sent
        assertThat(secondsUntil(b, issuer, 400)).isLessThan(3.0);
        assertRefused(exchange(b, issuer), "no trust policy");
    }

    @Test
    void theWritingTaskDoesNotWaitForTheNotification() throws Exception {
        String deleted = uniqueIssuer();
        String deletedId = createPolicy(deleted);
        String created = uniqueIssuer();
        assertThat(exchange(a, deleted).statusCode()).isEqualTo(200);
        assertThat(exchange(a, deleted).statusCode()).isEqualTo(200);
        assertRefused(exchange(a, created), "no trust policy");
        assertRefused(exchange(a, created), "no trust policy");
        // No notification at all, however late it might come: only the write path's own invalidation is left.
        sql.execute("ALTER TABLE trust_policies DISABLE TRIGGER trust_policies_changed");
        try {
            assertThat(a.call("DELETE", "/api/v1/trust-policies/" + deletedId, adminOnA, null)
                            .statusCode())
                    .isEqualTo(204);
            assertRefused(exchange(a, deleted), "no trust policy");
            createPolicy(created);
            assertThat(exchange(a, created).statusCode()).isEqualTo(200);
        } finally {
            sql.execute("ALTER TABLE trust_policies ENABLE TRIGGER trust_policies_changed");
        }
    }

    @Test
    void aPolicyCreatedOnOneTaskIsUsableOnTheOtherThoughItRememberedTheIssuerHadNone() throws Exception {
        String issuer = uniqueIssuer();
        for (RunningIdp task : new RunningIdp[] {a, a, b, b}) {
            assertRefused(exchange(task, issuer), "no trust policy"); // the second time from memory
        }
        createPolicy(issuer);
        assertThat(exchange(a, issuer).statusCode()).isEqualTo(200); // the creating task: at once
        assertThat(secondsUntil(b, issuer, 200)).isLessThan(3.0);
    }

    @Test
    void aWarmRequestReadsNoTrustPolicyFromPostgreSql() throws Exception {
        String warm = uniqueIssuer();
        createPolicy(warm);
        String cold = uniqueIssuer();
        createPolicy(cold);
        // Twice: a lookup that ran while the notifications of the writes above arrived is (rightly) not kept.
        assertThat(exchange(a, warm).statusCode()).isEqualTo(200);
        assertThat(exchange(a, warm).statusCode()).isEqualTo(200);
        // The table is out of reach (renamed; no notification): a request that reads it fails.
        sql.execute("ALTER TABLE trust_policies RENAME TO trust_policies_hidden");
        try {
            HttpResponse<String> fromMemory = exchange(a, warm);
            assertThat(fromMemory.statusCode()).as(fromMemory.body()).isEqualTo(200);
            // The control: the same grant for an issuer not yet read does reach the table, and cannot answer.
            assertThat(exchange(a, cold).statusCode()).isGreaterThanOrEqualTo(500);
        } finally {
            sql.execute("ALTER TABLE trust_policies_hidden RENAME TO trust_policies");
        }
        assertThat(exchange(a, cold).statusCode()).isEqualTo(200);
    }

    @Test
    void whileTheNotificationConnectionIsDownPoliciesAreReadFromPostgreSql() throws Exception {
        // One LISTEN connection per task serves both the client directory and the trust policies.
        assertThat(count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        + " AND query LIKE 'LISTEN%'"))
                .isEqualTo(2);
        String issuer = uniqueIssuer();
        String policyId = createPolicy(issuer);
        assertThat(exchange(b, issuer).statusCode()).isEqualTo(200);
        assertThat(exchange(b, issuer).statusCode()).isEqualTo(200);

        int killed = count("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                + " WHERE datname = current_database() AND query LIKE 'LISTEN%'");
        assertThat(killed).isEqualTo(2);
        // The tasks notice the closed connections: wait for their state, so the deletion below cannot race it.
        await().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(10))
                .until(() -> !a.trustPolicyDirectory().live()
                        && !b.trustPolicyDirectory().live());
        // Deleted behind the tasks' backs while they cannot hear it: B must not answer from what it held.
        sql.executeUpdate("DELETE FROM trust_policies WHERE trust_policy_id = '" + policyId + "'");
        assertRefused(exchange(b, issuer), "no trust policy");

        // ... and they come back by themselves, hearing changes again.
        await().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(10))
                .until(() -> a.trustPolicyDirectory().live()
                        && b.trustPolicyDirectory().live());
        String again = uniqueIssuer();
        String againId = createPolicy(again);
        assertThat(exchange(b, again).statusCode()).isEqualTo(200);
        assertThat(exchange(b, again).statusCode()).isEqualTo(200);
        sql.executeUpdate("DELETE FROM trust_policies WHERE trust_policy_id = '" + againId + "'");
        assertThat(secondsUntil(b, again, 400)).isLessThan(3.0);
    }

    // --- helpers -------------------------------------------------------------------------------------------------

    private static String uniqueIssuer() {
        return "https://cache-" + UUID.randomUUID() + ".example.com";
    }

    /** A policy for {@code issuer} with the test key inline (nothing fetched), for a fresh agent; its id. */
    private static String createPolicy(String issuer) throws Exception {
        String agentId =
                a.createAgent("federated-" + UUID.randomUUID(), "weather:read").getString("agentId");
        HttpResponse<String> created = a.call(
                "POST",
                "/api/v1/trust-policies",
                adminOnA,
                new JsonObject()
                        .put("name", "cache test")
                        .put("issuer", issuer)
                        .put("jwks", new JsonObject(new JWKSet(key.toPublicJWK()).toJSONObject(true)))
                        .put("audience", AUDIENCE)
                        .put("agentId", agentId)
                        .put("scopes", new JsonArray().add("weather:read")));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        return new JsonObject(created.body()).getString("trustPolicyId");
    }

    /** A fresh assertion (its own jti) from {@code issuer}, exchanged at {@code task}. */
    private static HttpResponse<String> exchange(RunningIdp task, String issuer) throws Exception {
        Instant now = Instant.now();
        String assertion = IssuerFixture.sign(
                key,
                new JWTClaimsSet.Builder()
                        .issuer(issuer)
                        .subject("workload")
                        .audience(AUDIENCE)
                        .jwtID(UUID.randomUUID().toString())
                        .issueTime(Date.from(now))
                        .expirationTime(Date.from(now.plusSeconds(300)))
                        .build());
        String form = "grant_type=" + URLEncoder.encode(GRANT, StandardCharsets.UTF_8) + "&assertion=" + assertion;
        return task.postForm("/api/v1/token", form, null, null);
    }

    private static void assertRefused(HttpResponse<String> response, String describing) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(new JsonObject(response.body()).getString("error_description"))
                .contains(describing);
    }

    /** How long until {@code task} answers {@code status}, polled with fresh assertions; fails after 20 s. */
    private static double secondsUntil(RunningIdp task, String issuer, int status) {
        long start = System.nanoTime();
        await().atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> exchange(task, issuer).statusCode() == status);
        return (System.nanoTime() - start) / 1e9;
    }

    private static int count(String query) throws Exception {
        try (var rows = sql.executeQuery(query)) {
            rows.next();
            return rows.getInt(1);
        }
    }
}
