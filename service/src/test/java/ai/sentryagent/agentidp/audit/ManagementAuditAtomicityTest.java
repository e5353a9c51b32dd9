package ai.sentryagent.agentidp.audit;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.config.DatabaseUrl;
import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RunningIdp;
import ai.sentryagent.agentidp.testing.TestServers;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every management change writes its audit event in the transaction of the change: when the event cannot be written
 * (here the audit table's tablespace is full — SQLSTATE 53100, injected by a trigger on exactly one action), the
 * change must not happen either. A change that commits while its event is lost is a change no auditor can see.
 */
@IntegrationTest
class ManagementAuditAtomicityTest {
    private static String url;
    private static RunningIdp idp;
    private static String admin;

    @BeforeAll
    static void start() throws Exception {
        url = TestServers.get().createDatabase("auditatomic");
        idp = RunningIdp.start(Map.of("DATABASE_URL", url));
        admin = idp.adminToken();
        sql("CREATE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                + " IF NEW.action = TG_ARGV[0] THEN RAISE EXCEPTION 'no space left for %', NEW.action"
                + " USING ERRCODE = '53100'; END IF; RETURN NEW; END $$");
    }

    @AfterAll
    static void stop() throws Exception {
        idp.close();
    }

    @AfterEach
    void allowAgain() throws Exception {
        sql("DROP TRIGGER IF EXISTS refuse ON audit_events");
    }

    private static void refuse(String action) throws Exception {
        sql("CREATE TRIGGER refuse BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION test_refuse_audit('"
                + action + "')");
    }

    @Test
    void registeringAnAgent() throws Exception {
        refuse("agent.registered");
        HttpResponse<String> response = idp.call(
                "POST",
                "/api/v1/agents",
                admin,
                new JsonObject()
                        .put("name", "unaudited-agent")
                        .put("owner", "o")
                        .put("scopes", new io.vertx.core.json.JsonArray()));
        assertThat(response.statusCode()).as(response.body()).isGreaterThanOrEqualTo(500);
        assertThat(count("SELECT count(*) FROM agents WHERE name = 'unaudited-agent'"))
                .isZero();
    }

    @Test
    void updatingAnAgent() throws Exception {
        String id = idp.createAgent("to-update", "weather:read").getString("agentId");
        refuse("agent.updated");
        HttpResponse<String> response =
                idp.call("PATCH", "/api/v1/agents/" + id, admin, new JsonObject().put("owner", "team-unaudited"));
        assertThat(response.statusCode()).as(response.body()).isGreaterThanOrEqualTo(500);
        assertThat(count("SELECT count(*) FROM agents WHERE owner = 'team-unaudited'"))
                .isZero();
    }

    @Test
    void decommissioningAnAgent() throws Exception {
        String id = idp.createAgent("to-decommission", "weather:read").getString("agentId");
        refuse("agent.decommissioned");
        HttpResponse<String> response = idp.call("DELETE", "/api/v1/agents/" + id, admin, null);
        assertThat(response.statusCode()).as(response.body()).isGreaterThanOrEqualTo(500);
        assertThat(count("SELECT count(*) FROM agents WHERE agent_id = '" + id + "' AND status = 'active'"))
                .isEqualTo(1);
    }

    @Test
    void revokingAnAgentsTokens() throws Exception {
        String id = idp.createAgent("to-cut-off", "weather:read").getString("agentId");
        refuse("agent.tokens_revoked");
        HttpResponse<String> response = idp.call("POST", "/api/v1/agents/" + id + "/tokens/revoke", admin, null);
        assertThat(response.statusCode()).as(response.body()).isGreaterThanOrEqualTo(500);
        assertThat(count("SELECT count(*) FROM agents WHERE agent_id = '" + id
                        + "' AND tokens_revoked_before IS NOT NULL"))
                .isZero();
    }

    @Test
    void creatingACredential() throws Exception {
        String id = idp.createAgent("cred-create", "weather:read").getString("agentId");
        refuse("credential.created");
        HttpResponse<String> response = idp.call("POST", "/api/v1/agents/" + id + "/credentials", admin, null);
        assertThat(response.statusCode()).as(response.body()).isGreaterThanOrEqualTo(500);
        assertThat(response.body()).doesNotContain("clientSecret");
        assertThat(count("SELECT count(*) FROM credentials WHERE agent_id = '" + id + "'"))
                .isZero();
    }

    @Test
    void rotatingACredential() throws Exception {
        String id = idp.createAgent("cred-rotate", "weather:read").getString("agentId");
        String credential = idp.createCredential(id).getString("credentialId");
        refuse("credential.rotated");
        HttpResponse<String> response =
                idp.call("POST", "/api/v1/agents/" + id + "/credentials/" + credential + "/rotate", admin, null);
        assertThat(response.statusCode()).as(response.body()).isGreaterThanOrEqualTo(500);
        assertThat(response.body()).doesNotContain("clientSecret");
        assertThat(count("SELECT count(*) FROM credentials WHERE agent_id = '" + id + "'"))
                .isEqualTo(1);
        assertThat(count("SELECT count(*) FROM credentials WHERE credential_id = '" + credential
                        + "' AND status = 'active'"))
                .isEqualTo(1);
    }

    @Test
    void revokingACredential() throws Exception {
        String id = idp.createAgent("cred-revoke", "weather:read").getString("agentId");
        String credential = idp.createCredential(id).getString("credentialId");
        refuse("credential.revoked");
        HttpResponse<String> response =
                idp.call("DELETE", "/api/v1/agents/" + id + "/credentials/" + credential, admin, null);
        assertThat(response.statusCode()).as(response.body()).isGreaterThanOrEqualTo(500);
        assertThat(count("SELECT count(*) FROM credentials WHERE credential_id = '" + credential
                        + "' AND status = 'active'"))
                .isEqualTo(1);
    }

    @Test
    void revokingAToken() throws Exception {
        String id = idp.createAgent("token-revoke", "weather:read").getString("agentId");
        String secret = idp.createCredential(id).getString("clientSecret");
        String token = idp.token(id, secret, null);
        refuse("token.revoked");
        HttpResponse<String> response = idp.postForm("/api/v1/token/revoke", "token=" + token, id, secret);
        // RFC 7009 §2.2.1: 503 tells the client the revocation did not happen and to retry.
        assertThat(response.statusCode()).as(response.body()).isGreaterThanOrEqualTo(500);
        assertThat(count("SELECT count(*) FROM token_revocations")).isZero();
    }

    private static long count(String query) throws Exception {
        try (Connection connection = jdbc();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(query)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static void sql(String statement) throws Exception {
        try (Connection connection = jdbc();
                Statement s = connection.createStatement()) {
            s.execute(statement);
        }
    }

    private static Connection jdbc() throws Exception {
        DatabaseUrl parsed = DatabaseUrl.parse(url);
        return DriverManager.getConnection(parsed.jdbcUrl(), parsed.user(), parsed.password());
    }
}
