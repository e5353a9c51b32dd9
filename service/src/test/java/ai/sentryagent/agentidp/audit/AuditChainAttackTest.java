package ai.sentryagent.agentidp.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sentryagent.agentidp.config.DatabaseUrl;
import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RunningIdp;
import ai.sentryagent.agentidp.testing.TestServers;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * F-12: the attacks of the review, played as a database writer with plain JDBC. Before the fix, editing a row and
 * recomputing every later hash with SHA-256 made {@code /verify} say valid, and a forged checkpoint let the
 * application's own role delete the oldest events without disabling any trigger.
 */
@IntegrationTest
class AuditChainAttackTest {

    private static Connection jdbc(String url) throws Exception {
        DatabaseUrl parsed = DatabaseUrl.parse(url);
        return DriverManager.getConnection(parsed.jdbcUrl(), parsed.user(), parsed.password());
    }

    private static JsonObject get(RunningIdp idp, String path) throws Exception {
        HttpResponse<String> response = idp.call("GET", path, idp.adminToken(), null);
        return new JsonObject(response.body()).put("status", response.statusCode());
    }

    /** The seq of the n-th agent.registered event, oldest first. */
    private static long registered(Connection db, int n) throws Exception {
        try (Statement statement = db.createStatement();
                ResultSet rows = statement.executeQuery(
                        "SELECT seq FROM audit_events WHERE action = 'agent.registered' ORDER BY seq OFFSET " + n
                                + " LIMIT 1")) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static byte[] sha256(String canonical, byte[] previous) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        digest.update(canonical.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        digest.update(previous);
        return digest.digest();
    }

    /**
     * As the table owner with the append-only trigger off: changes the event at {@code seq}, then recomputes
     * prev_hash and hash of it and of every later row with {@code rehash} (canonical text, previous hash).
     */
    private static void rewrite(Connection db, long seq, String chainVersion, BiFunction<String, byte[], byte[]> rehash)
            throws Exception {
        try (Statement statement = db.createStatement()) {
            statement.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_or_delete");
            statement.execute("UPDATE audit_events SET details = '{\"name\":\"innocent\"}' WHERE seq = " + seq);
            byte[] previous;
            try (ResultSet before = statement.executeQuery("SELECT prev_hash FROM audit_events WHERE seq = " + seq)) {
                before.next();
                previous = before.getBytes(1);
            }
            try (ResultSet rows = db.createStatement()
                            .executeQuery("SELECT seq, event_id, occurred_at, action, outcome, agent_id, actor,"
                                    + " client_ip, request_id, details FROM audit_events WHERE seq >= " + seq
                                    + " ORDER BY seq");
                    PreparedStatement update =
                            db.prepareStatement("UPDATE audit_events SET prev_hash = ?, hash = ?, chain = "
                                    + chainVersion + " WHERE seq = ?")) {
                while (rows.next()) {
                    AuditEvent event = new AuditEvent(
                            (UUID) rows.getObject("event_id"),
                            rows.getObject("occurred_at", OffsetDateTime.class).toInstant(),
                            rows.getString("action"),
                            rows.getString("outcome"),
                            (UUID) rows.getObject("agent_id"),
                            rows.getString("actor"),
                            rows.getString("client_ip"),
                            rows.getString("request_id"),
                            new JsonObject(rows.getString("details")));
                    byte[] hash = rehash.apply(event.canonical(), previous);
                    update.setBytes(1, previous);
                    update.setBytes(2, hash);
                    update.setLong(3, rows.getLong("seq"));
                    update.executeUpdate();
                    previous = hash;
                }
            }
            statement.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_or_delete");
        }
    }

    private static byte[] unkeyed(String canonical, byte[] previous) {
        try {
            return sha256(canonical, previous);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void anEditedRowWithEveryLaterHashRecomputedWithoutTheKeyIsReportedAtItsSequence() throws Exception {
        String url = TestServers.get().createDatabase("chainedit");
        try (RunningIdp idp = RunningIdp.start(Map.of("DATABASE_URL", url))) {
            for (int i = 0; i < 6; i++) {
                idp.createAgent("edited-" + i, "weather:read");
            }
        }
        long victim;
        try (Connection db = jdbc(url)) {
            victim = registered(db, 2);
            // The review's rewrite: the old scheme, SHA-256(canonical || prev), recomputed over every later row.
            rewrite(db, victim, "2", AuditChainAttackTest::unkeyed);
        }
        // A fresh process: nothing in memory, only what the database and the key say.
        try (RunningIdp idp = RunningIdp.start(Map.of("DATABASE_URL", url))) {
            JsonObject verification = get(idp, "/api/v1/audit/verify");
            assertThat(verification.getBoolean("valid"))
                    .as(verification.encode())
                    .isFalse();
            assertThat(verification.getJsonObject("brokenAt").getLong("sequence"))
                    .isEqualTo(victim);
            assertThat(verification.getJsonObject("brokenAt").getString("reason"))
                    .contains("without the chain key");
            // No head is signed over a chain that does not verify.
            JsonObject head = get(idp, "/api/v1/audit/head");
            assertThat(head.getInteger("status")).isEqualTo(409);
            assertThat(head.getString("error")).isEqualTo("audit_chain_broken");
            assertThat(idp.get("/metrics").body()).contains("agentidp_audit_chain_integrity 0.0");
        }
        // Variant: the owner drops the keyed-rows constraint and marks the rewritten rows as pre-V4 (unkeyed) ones.
        try (Connection db = jdbc(url);
                Statement statement = db.createStatement()) {
            statement.execute("ALTER TABLE audit_events DROP CONSTRAINT audit_events_keyed");
            rewrite(db, victim, "1", AuditChainAttackTest::unkeyed);
        }
        try (RunningIdp idp = RunningIdp.start(Map.of("DATABASE_URL", url))) {
            JsonObject verification = get(idp, "/api/v1/audit/verify");
            assertThat(verification.getBoolean("valid"))
                    .as(verification.encode())
                    .isFalse();
            assertThat(verification.getJsonObject("brokenAt").getLong("sequence"))
                    .isEqualTo(victim);
            assertThat(verification.getJsonObject("brokenAt").getString("reason"))
                    .contains("unkeyed event after keyed ones");
        }
    }

    /**
     * F-11 meets F-12: an incremental check only hashes what is new, so an edit to an event this process verified
     * before is found by the full check (every five minutes, or {@code ?full=true}) — and from then on every check
     * reports it until the chain verifies again.
     */
    @Test
    void anEditBehindTheVerifiedMarkIsFoundByTheFullCheckAndStaysReported() throws Exception {
        String url = TestServers.get().createDatabase("chainmark");
        try (RunningIdp idp = RunningIdp.start(Map.of("DATABASE_URL", url));
                Connection db = jdbc(url);
                Statement statement = db.createStatement()) {
            for (int i = 0; i < 4; i++) {
                idp.createAgent("marked-" + i, "weather:read");
            }
            assertThat(get(idp, "/api/v1/audit/verify").getBoolean("valid")).isTrue();
            long victim = registered(db, 1);
            statement.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_or_delete");
            statement.execute("UPDATE audit_events SET actor = 'mallory' WHERE seq = " + victim);
            statement.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_or_delete");

            JsonObject full = get(idp, "/api/v1/audit/verify?full=true");
            assertThat(full.getBoolean("valid")).as(full.encode()).isFalse();
            assertThat(full.getJsonObject("brokenAt").getLong("sequence")).isEqualTo(victim);
            JsonObject after = get(idp, "/api/v1/audit/verify");
            assertThat(after.getBoolean("valid")).isFalse();
            assertThat(after.getJsonObject("brokenAt").getLong("sequence")).isEqualTo(victim);
            for (String bad : List.of("full=yes", "full=true&full=true", "fast=true", "full=TRUE")) {
                JsonObject refused = get(idp, "/api/v1/audit/verify?" + bad);
                assertThat(refused.getInteger("status")).as(bad).isEqualTo(400);
                assertThat(refused.getString("error")).isEqualTo("invalid_request");
            }
        }
    }

    @Test
    void aForgedCheckpointFailsVerificationAndNeitherTheAppRoleNorRetentionCanPruneWithIt() throws Exception {
        String url = TestServers.get().createDatabase("chaincp");
        try (RunningIdp idp = RunningIdp.start(Map.of("DATABASE_URL", url));
                Connection db = jdbc(url);
                Statement statement = db.createStatement()) {
            for (int i = 0; i < 4; i++) {
                idp.createAgent("kept-" + i, "weather:read");
            }
            assertThat(get(idp, "/api/v1/audit/verify").getBoolean("valid")).isTrue();
            long last = registered(db, 3);
            // Checkpoints without a MAC, or claiming to predate the keyed chain, are refused outright.
            assertThatThrownBy(() -> statement.execute("INSERT INTO audit_checkpoints (last_seq, last_hash,"
                            + " archived_count, created_at) SELECT seq, hash, 0, now() FROM audit_events WHERE seq = "
                            + last))
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("written by retention only");
            assertThatThrownBy(() -> statement.execute("INSERT INTO audit_checkpoints (last_seq, last_hash,"
                            + " archived_count, created_at, mac, legacy) SELECT seq, hash, 0, now(), hash, true FROM"
                            + " audit_events WHERE seq = " + last))
                    .hasMessageContaining("written by retention only");
            // One the database cannot tell from a genuine one: any 32 bytes as its MAC.
            statement.execute("INSERT INTO audit_checkpoints (last_seq, last_hash, archived_count, created_at, mac)"
                    + " SELECT seq, hash, 0, now(), sha256(hash) FROM audit_events WHERE seq = " + last);
            // The review's deletion: retention's switch, as the application role, no trigger disabled.
            db.setAutoCommit(false);
            statement.execute("SET LOCAL agentidp.audit_prune = 'on'");
            assertThatThrownBy(() -> statement.execute("DELETE FROM audit_events WHERE seq <= " + last))
                    .hasMessageContaining("append-only");
            db.rollback();
            db.setAutoCommit(true);
            assertThatThrownBy(() -> statement.execute("UPDATE audit_checkpoints SET archived_count = 1"))
                    .hasMessageContaining("written by retention only");
            assertThatThrownBy(() -> statement.execute("DELETE FROM audit_checkpoints"))
                    .hasMessageContaining("written by retention only");

            JsonObject verification = get(idp, "/api/v1/audit/verify");
            assertThat(verification.getBoolean("valid"))
                    .as(verification.encode())
                    .isFalse();
            assertThat(verification.getJsonObject("brokenAt").getLong("sequence"))
                    .isEqualTo(last);
            assertThat(verification.getJsonObject("brokenAt").getString("reason"))
                    .contains("checkpoint is not genuine");
            long upToLast = count(statement, "SELECT count(*) FROM audit_events WHERE seq <= " + last);
            assertThatThrownBy(() -> idp.pruneAudit(Duration.ZERO))
                    .hasCauseInstanceOf(Audit.ChainBroken.class)
                    .hasMessageContaining("retention refused");
            assertThat(count(statement, "SELECT count(*) FROM audit_events WHERE seq <= " + last))
                    .isEqualTo(upToLast);
            assertThat(count(statement, "SELECT count(*) FROM audit_archive")).isZero();

            // Variant: the attacker archives the rows first, as retention would. The database cannot check the
            // checkpoint's MAC, so the delete goes through — but nothing is lost, and the forgery stays reported.
            db.setAutoCommit(false);
            statement.execute("INSERT INTO audit_archive SELECT * FROM audit_events WHERE seq <= " + last);
            statement.execute("SET LOCAL agentidp.audit_prune = 'on'");
            statement.execute("DELETE FROM audit_events WHERE seq <= " + last);
            db.commit();
            db.setAutoCommit(true);
            assertThat(count(statement, "SELECT count(*) FROM audit_archive")).isEqualTo(upToLast);
            assertThatThrownBy(() -> statement.execute("DELETE FROM audit_archive"))
                    .hasMessageContaining("append-only");
            JsonObject still = get(idp, "/api/v1/audit/verify");
            assertThat(still.getBoolean("valid")).isFalse();
            assertThat(still.getJsonObject("brokenAt").getString("reason")).contains("checkpoint is not genuine");
        }
    }

    @Test
    void cuttingTheEndOfTheTrailAsSuperuserIsCaughtByTheSignedHead() throws Exception {
        String url = TestServers.get().createDatabase("chaintail");
        JsonObject signed;
        try (RunningIdp idp = RunningIdp.start(Map.of("DATABASE_URL", url))) {
            for (int i = 0; i < 5; i++) {
                idp.createAgent("tail-" + i, "weather:read");
            }
            signed = get(idp, "/api/v1/audit/head");
            assertThat(signed.getInteger("status")).as(signed.encode()).isEqualTo(200);
            // Anyone with the JWKS can check the head: RS256 with the token key, typ audit-head+jwt.
            JWSObject jws = JWSObject.parse(signed.getString("jws"));
            RSAKey key = (RSAKey) JWKSet.parse(idp.get("/.well-known/jwks.json").body())
                    .getKeyByKeyId(jws.getHeader().getKeyID());
            assertThat(jws.verify(new RSASSAVerifier(key))).isTrue();
            assertThat(jws.getHeader().getType().toString()).isEqualTo("audit-head+jwt");
            Map<String, Object> claims = jws.getPayload().toJSONObject();
            assertThat(((Number) claims.get("seq")).longValue()).isEqualTo(signed.getLong("sequence"));
            assertThat(claims.get("hash")).isEqualTo(signed.getString("hash"));
            assertThat(claims.get("iss")).isEqualTo(RunningIdp.ISSUER);
            // Signed with the token key, but typed: it is not accepted as an access token (RFC 8725 section 3.11).
            assertThat(idp.call("GET", "/api/v1/agents", signed.getString("jws"), null)
                            .statusCode())
                    .isEqualTo(401);

            // A superuser turns the trigger off and removes the signed event and all after it: what is left is whole.
            try (Connection db = jdbc(url);
                    Statement statement = db.createStatement()) {
                statement.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_or_delete");
                statement.execute("DELETE FROM audit_events WHERE seq >= " + signed.getLong("sequence"));
                statement.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_or_delete");
            }
            // The process that signed the head remembers it.
            JsonObject verification = get(idp, "/api/v1/audit/verify");
            assertThat(verification.getBoolean("valid"))
                    .as(verification.encode())
                    .isFalse();
            assertThat(verification.getJsonObject("brokenAt").getLong("sequence"))
                    .isGreaterThanOrEqualTo(signed.getLong("sequence"));
            assertThat(verification.getJsonObject("brokenAt").getString("reason"))
                    .contains("is gone");
        }
        try (RunningIdp idp = RunningIdp.start(Map.of("DATABASE_URL", url));
                Connection db = jdbc(url);
                Statement statement = db.createStatement()) {
            // A new process sees a whole chain that goes on from where it was cut: only the head kept outside the
            // database shows the cut, because the signed event is no longer in it.
            JsonObject head = get(idp, "/api/v1/audit/head");
            assertThat(head.getInteger("status")).isEqualTo(200);
            assertThat(get(idp, "/api/v1/audit/verify").getBoolean("valid")).isTrue();
            assertThat(count(
                            statement,
                            "SELECT count(*) FROM audit_events WHERE seq = " + signed.getLong("sequence")
                                    + " OR hash = decode('" + signed.getString("hash") + "', 'hex')"))
                    .isZero();
        }
    }

    private static long count(Statement statement, String sql) throws Exception {
        try (ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }
}
