package ai.sentryagent.agentidp.audit;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.config.DatabaseUrl;
import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RunningIdp;
import ai.sentryagent.agentidp.testing.TestServers;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * F-12's upgrade path: a trail written before migration V4 (unkeyed SHA-256 rows, a checkpoint without a MAC) keeps
 * verifying after the upgrade, the first keyed event anchors it, and the old rows stay tamper-evident.
 */
@IntegrationTest
class AuditChainMigrationTest {

    private static Connection jdbc(DatabaseUrl url) throws Exception {
        return DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
    }

    /** The pre-V4 writer: hash = SHA-256(canonical event || prev_hash). */
    private static byte[] legacy(AuditEvent event, byte[] previous) throws Exception {
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        sha256.update(event.canonical().getBytes(StandardCharsets.UTF_8));
        sha256.update(previous);
        return sha256.digest();
    }

    private static JsonObject verify(RunningIdp idp, String query) throws Exception {
        return new JsonObject(idp.call("GET", "/api/v1/audit/verify" + query, idp.adminToken(), null)
                .body());
    }

    @Test
    void aPreV4TrailVerifiesAfterTheUpgradeAndTheFirstKeyedEventAnchorsIt() throws Exception {
        String url = TestServers.get().createDatabase("chainv3");
        DatabaseUrl parsed = DatabaseUrl.parse(url);
        Flyway.configure()
                .dataSource(parsed.jdbcUrl(), parsed.user(), parsed.password())
                .locations("classpath:db/migration")
                .target("3")
                .load()
                .migrate();
        long third = 3; // the one unkeyed event the old retention left
        try (Connection db = jdbc(parsed);
                Statement statement = db.createStatement();
                PreparedStatement insert = db.prepareStatement("INSERT INTO audit_events (event_id, occurred_at,"
                        + " action, outcome, actor, details, prev_hash, hash) VALUES (?, ?, ?, 'success', ?, ?::jsonb,"
                        + " ?, ?)")) {
            byte[] previous = PgAudit.GENESIS;
            for (int i = 0; i < 3; i++) {
                AuditEvent event = new AuditEvent(
                        UUID.randomUUID(),
                        Instant.now().truncatedTo(ChronoUnit.MICROS),
                        "agent.registered",
                        AuditEvent.SUCCESS,
                        null,
                        "agentidp-admin",
                        null,
                        null,
                        new JsonObject().put("name", "old-" + i));
                byte[] hash = legacy(event, previous);
                insert.setObject(1, event.eventId());
                insert.setObject(2, OffsetDateTime.ofInstant(event.timestamp(), ZoneOffset.UTC));
                insert.setString(3, event.action());
                insert.setString(4, event.actor());
                insert.setString(5, event.details().encode());
                insert.setBytes(6, previous);
                insert.setBytes(7, hash);
                insert.executeUpdate();
                previous = hash;
            }
            // The pre-V4 retention: archive, checkpoint without a MAC, delete, for the two oldest.
            db.setAutoCommit(false);
            statement.execute("SET LOCAL agentidp.audit_prune = 'on'");
            statement.execute("INSERT INTO audit_archive SELECT * FROM audit_events WHERE seq <= 2");
            statement.execute("INSERT INTO audit_checkpoints (last_seq, last_hash, archived_count, created_at)"
                    + " SELECT seq, hash, 2, now() FROM audit_events WHERE seq = 2");
            statement.execute("DELETE FROM audit_events WHERE seq <= 2");
            db.commit();
            db.setAutoCommit(true);
        }

        try (RunningIdp idp = RunningIdp.start(Map.of("DATABASE_URL", url))) {
            idp.createAgent("after-upgrade", "weather:read");
            JsonObject verification = verify(idp, "?full=true");
            assertThat(verification.getBoolean("valid"))
                    .as(verification.encode())
                    .isTrue();
            assertThat(verification.getLong("unkeyed")).isEqualTo(1);
            assertThat(verification.getLong("checked")).isGreaterThan(1);
        }
        try (Connection db = jdbc(parsed);
                Statement statement = db.createStatement()) {
            assertThat(count(statement, "SELECT count(*) FROM audit_checkpoints WHERE legacy"))
                    .isEqualTo(1);
            assertThat(count(statement, "SELECT count(*) FROM audit_events WHERE chain = 2"))
                    .isPositive();
            // The unkeyed row edited and re-hashed the old way: the keyed event after it no longer links to it. (The
            // keyed-rows constraint refuses any update of an unkeyed row, so the owner drops it first.)
            statement.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_or_delete");
            statement.execute("ALTER TABLE audit_events DROP CONSTRAINT audit_events_keyed");
            AuditEvent edited;
            byte[] previous;
            try (ResultSet row = statement.executeQuery("SELECT event_id, occurred_at, action, actor, prev_hash FROM"
                    + " audit_events WHERE seq = " + third)) {
                row.next();
                edited = new AuditEvent(
                        (UUID) row.getObject(1),
                        row.getObject(2, OffsetDateTime.class).toInstant(),
                        row.getString(3),
                        AuditEvent.SUCCESS,
                        null,
                        row.getString(4),
                        null,
                        null,
                        new JsonObject().put("name", "innocent"));
                previous = row.getBytes(5);
            }
            try (PreparedStatement update =
                    db.prepareStatement("UPDATE audit_events SET details = ?::jsonb, hash = ? WHERE seq = " + third)) {
                update.setString(1, edited.details().encode());
                update.setBytes(2, legacy(edited, previous));
                update.executeUpdate();
            }
            statement.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_or_delete");
        }
        try (RunningIdp idp = RunningIdp.start(Map.of("DATABASE_URL", url))) {
            JsonObject verification = verify(idp, "");
            assertThat(verification.getBoolean("valid"))
                    .as(verification.encode())
                    .isFalse();
            assertThat(verification.getJsonObject("brokenAt").getLong("sequence"))
                    .isGreaterThan(third);
            assertThat(verification.getJsonObject("brokenAt").getString("reason"))
                    .contains("prev_hash does not match");
        }
    }

    private static long count(Statement statement, String sql) throws Exception {
        try (ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }
}
