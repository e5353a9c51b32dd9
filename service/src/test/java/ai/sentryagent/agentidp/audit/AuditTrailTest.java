package ai.sentryagent.agentidp.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sentryagent.agentidp.config.DatabaseUrl;
import ai.sentryagent.agentidp.testing.RunningIdp;
import ai.sentryagent.agentidp.testing.TestServers;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The audit trail in its own database (these tests break the chain on purpose). */
class AuditTrailTest {

    private static Connection jdbc(String url) throws Exception {
        DatabaseUrl parsed = DatabaseUrl.parse(url);
        return DriverManager.getConnection(parsed.jdbcUrl(), parsed.user(), parsed.password());
    }

    private static JsonObject audit(RunningIdp idp, String admin, String query) throws Exception {
        HttpResponse<String> response = idp.call("GET", "/api/v1/audit" + query, admin, null);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return new JsonObject(response.body());
    }

    private static List<String> actions(JsonObject page) {
        return page.getJsonArray("items").stream()
                .map(i -> ((JsonObject) i).getString("action"))
                .toList();
    }

    @Test
    void everyChangeIsRecordedWithoutSecretsAndTheChainVerifies() throws Exception {
        String url = TestServers.get().createDatabase("audit1");
        try (RunningIdp idp = RunningIdp.start(Map.of("DATABASE_URL", url))) {
            String admin = idp.adminToken();
            String id = idp.createAgent("audited", "weather:read").getString("agentId");
            JsonObject credential = idp.createCredential(id);
            String secret = credential.getString("clientSecret");
            String token = idp.token(id, secret, null);
            idp.postForm("/api/v1/token", "grant_type=client_credentials", id, "wrong-secret");
            assertThat(idp.postForm("/api/v1/token/revoke", "token=" + token, id, secret)
                            .statusCode())
                    .isEqualTo(200);
            idp.call("PATCH", "/api/v1/agents/" + id, admin, new JsonObject().put("owner", "team-b"));
            String rotated = new JsonObject(idp.call(
                                    "POST",
                                    "/api/v1/agents/" + id + "/credentials/" + credential.getString("credentialId")
                                            + "/rotate",
                                    admin,
                                    null)
                            .body())
                    .getString("credentialId");
            idp.call("DELETE", "/api/v1/agents/" + id + "/credentials/" + rotated, admin, null);
            String reader = idp.createAgent("reader", "weather:read").getString("agentId");
            String readerToken = idp.token(reader, idp.createCredential(reader).getString("clientSecret"), null);
            idp.call("GET", "/api/v1/audit", readerToken, null);
            idp.call("DELETE", "/api/v1/agents/" + id, admin, null);
            // The batched events (tokens, failed logins, denials) are flushed every second: wait for them.
            JsonObject all = audit(idp, admin, "?limit=100");
            for (int i = 0;
                    i < 100
                            && !actions(all)
                                    .containsAll(
                                            List.of("policy.denied", "client.authentication_failed", "token.issued"));
                    i++) {
                Thread.sleep(100);
                all = audit(idp, admin, "?limit=100");
            }
            assertThat(actions(all))
                    .contains(
                            "agent.registered",
                            "credential.created",
                            "token.issued",
                            "client.authentication_failed",
                            "agent.updated",
                            "credential.rotated",
                            "credential.revoked",
                            "token.revoked",
                            "policy.denied",
                            "agent.decommissioned");
            assertThat(all.encode())
                    .doesNotContain(secret)
                    .doesNotContain(token)
                    .doesNotContain("wrong-secret")
                    .doesNotContain(RunningIdp.ADMIN_SECRET);
            JsonObject newest = all.getJsonArray("items").getJsonObject(0);
            assertThat(newest.getString("action")).isEqualTo("agent.decommissioned");
            assertThat(newest.fieldNames())
                    .contains(
                            "eventId",
                            "timestamp",
                            "action",
                            "outcome",
                            "agentId",
                            "actor",
                            "clientIp",
                            "requestId",
                            "details");
            assertThat(newest.getString("actor")).isEqualTo(RunningIdp.ADMIN_CLIENT_ID);

            JsonObject forAgent = audit(idp, admin, "?agentId=" + id + "&action=credential.rotated");
            assertThat(forAgent.getJsonArray("items")).hasSize(1);
            JsonObject failures = audit(idp, admin, "?outcome=failure");
            assertThat(actions(failures)).containsOnly("client.authentication_failed");
            JsonObject denied = audit(idp, admin, "?outcome=denied");
            assertThat(denied.getJsonArray("items")
                            .getJsonObject(0)
                            .getJsonObject("details")
                            .getString("reason"))
                    .isEqualTo("requires scope audit:read");

            String eventId = newest.getString("eventId");
            assertThat(new JsonObject(idp.call("GET", "/api/v1/audit/" + eventId, admin, null)
                            .body()))
                    .isEqualTo(newest);
            assertThat(idp.call("GET", "/api/v1/audit/" + UUID.randomUUID(), admin, null)
                            .statusCode())
                    .isEqualTo(404);
            assertThat(idp.call("GET", "/api/v1/audit?from=yesterday", admin, null)
                            .statusCode())
                    .isEqualTo(400);

            JsonObject verification = new JsonObject(
                    idp.call("GET", "/api/v1/audit/verify", admin, null).body());
            assertThat(verification.getBoolean("valid")).isTrue();
            try (Connection db = jdbc(url);
                    Statement statement = db.createStatement()) {
                assertThat(verification.getLong("checked"))
                        .isEqualTo(count(statement, "SELECT count(*) FROM audit_events"));
            }
        }
    }

    @Test
    void theTableRefusesUpdatesAndDeletesAndVerifyFindsARowChangedBehindTheServicesBack() throws Exception {
        String url = TestServers.get().createDatabase("audit2");
        try (RunningIdp idp = RunningIdp.start(Map.of("DATABASE_URL", url))) {
            String admin = idp.adminToken();
            for (int i = 0; i < 5; i++) {
                idp.createAgent("chain-" + i, "weather:read");
            }
            JsonObject page = audit(idp, admin, "?action=agent.registered&limit=100");
            String victim = page.getJsonArray("items").getJsonObject(2).getString("eventId");
            try (Connection db = jdbc(url);
                    Statement statement = db.createStatement()) {
                assertThatThrownBy(() -> statement.execute("UPDATE audit_events SET actor = 'mallory'"))
                        .hasMessageContaining("append-only");
                assertThatThrownBy(() -> statement.execute("DELETE FROM audit_events"))
                        .hasMessageContaining("append-only");
                assertThatThrownBy(() -> statement.execute("TRUNCATE audit_events"))
                        .hasMessageContaining("append-only");
                // As the table owner, with the trigger disabled: the kind of edit the chain exists to expose.
                statement.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_or_delete");
                statement.execute("UPDATE audit_events SET details = '{\"name\":\"innocent\"}' WHERE event_id = '"
                        + victim + "'");
                statement.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_or_delete");
            }
            JsonObject verification = new JsonObject(
                    idp.call("GET", "/api/v1/audit/verify", admin, null).body());
            assertThat(verification.getBoolean("valid")).isFalse();
            assertThat(verification.getJsonObject("brokenAt").getString("eventId"))
                    .isEqualTo(victim);
            assertThat(verification.getJsonObject("brokenAt").getString("reason"))
                    .contains("changed");
            assertThat(idp.get("/metrics").body()).contains("agentidp_audit_chain_integrity 0.0");
        }
    }

    @Test
    void concurrentWritersKeepOneChainAndRetentionContinuesItFromACheckpoint() throws Exception {
        String url = TestServers.get().createDatabase("audit3");
        try (RunningIdp idp = RunningIdp.start(Map.of("DATABASE_URL", url))) {
            String admin = idp.adminToken();
            List<CompletableFuture<Integer>> writers = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                int n = i;
                writers.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return idp.call(
                                        "POST",
                                        "/api/v1/agents",
                                        admin,
                                        new JsonObject()
                                                .put("name", "w" + n)
                                                .put("owner", "o")
                                                .put("scopes", new JsonArray()))
                                .statusCode();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            assertThat(writers.stream().map(CompletableFuture::join).toList()).containsOnly(201);
            JsonObject before = new JsonObject(
                    idp.call("GET", "/api/v1/audit/verify", admin, null).body());
            assertThat(before.getBoolean("valid")).isTrue();
            assertThat(before.getLong("checked")).isGreaterThanOrEqualTo(20);

            // Retention with a zero period archives and prunes everything so far; the chain goes on from there.
            try (Connection db = jdbc(url);
                    Statement statement = db.createStatement()) {
                assertThat(count(statement, "SELECT count(*) FROM audit_events"))
                        .isEqualTo(before.getLong("checked"));
            }
            long pruned = idp.pruneAudit(java.time.Duration.ZERO);
            assertThat(pruned).isEqualTo(before.getLong("checked"));
            idp.createAgent("after-retention", "weather:read");
            JsonObject after = new JsonObject(
                    idp.call("GET", "/api/v1/audit/verify", admin, null).body());
            assertThat(after.getBoolean("valid")).isTrue();
            assertThat(after.getLong("checked")).isGreaterThanOrEqualTo(1).isLessThan(before.getLong("checked"));
            try (Connection db = jdbc(url);
                    Statement statement = db.createStatement()) {
                assertThat(count(statement, "SELECT count(*) FROM audit_archive"))
                        .isEqualTo(pruned);
                assertThat(count(statement, "SELECT count(*) FROM audit_checkpoints"))
                        .isEqualTo(1);
            }
        }
    }

    @Test
    void batchedEventsAreWrittenOnACleanShutdown() throws Exception {
        String url = TestServers.get().createDatabase("audit4");
        String id;
        try (RunningIdp idp = RunningIdp.start(Map.of("DATABASE_URL", url))) {
            id = idp.createAgent("flushed", "weather:read").getString("agentId");
            String secret = idp.createCredential(id).getString("clientSecret");
            for (int i = 0; i < 5; i++) {
                idp.token(id, secret, null);
            }
        } // closed at once: the batch has not been written by the timer
        try (Connection db = jdbc(url);
                Statement statement = db.createStatement()) {
            assertThat(count(
                            statement,
                            "SELECT count(*) FROM audit_events WHERE action = 'token.issued' AND agent_id = '" + id
                                    + "'"))
                    .isEqualTo(5);
        }
    }

    private static long count(Statement statement, String sql) throws Exception {
        try (ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }
}
