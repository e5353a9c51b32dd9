package ai.sentryagent.agentidp.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sentryagent.agentidp.config.AppConfig;
import ai.sentryagent.agentidp.config.DatabaseUrl;
import ai.sentryagent.agentidp.config.Secret;
import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RunningIdp;
import ai.sentryagent.agentidp.testing.TestServers;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The service's runtime role against the real local PostgreSQL: after {@code migrate} it runs the service (tokens,
 * management writes, the audit trail) and cannot change the schema. PostgreSQL's rules
 * (https://www.postgresql.org/docs/current/ddl-priv.html): CREATE in a schema needs CREATE on it; ALTER and DROP need
 * ownership; TRUNCATE needs the TRUNCATE privilege — SQLSTATE 42501 (insufficient_privilege) or 42501-class
 * "must be owner" otherwise.
 */
@IntegrationTest
class RuntimeRoleTest {
    private static final String ROLE =
            "agentidp_rt_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    private static final String PASSWORD = "runtime-password-" + UUID.randomUUID();

    private static DatabaseUrl migrator;
    private static DatabaseUrl runtime;
    private static String runtimeUrl;

    @BeforeAll
    static void migrateAndGrant() throws Exception {
        String url = TestServers.get().createDatabase("runtime_role");
        migrator = DatabaseUrl.parse(url);
        Migrations.apply(migrator);
        Migrations.grantRuntimeRole(migrator, new AppConfig.RuntimeRole(ROLE, Optional.of(new Secret(PASSWORD))));
        // Twice, as two deployments do: the grant must be repeatable.
        Migrations.grantRuntimeRole(migrator, new AppConfig.RuntimeRole(ROLE, Optional.of(new Secret(PASSWORD))));
        runtimeUrl = "postgres://" + ROLE + ":" + PASSWORD + "@" + migrator.host() + ":" + migrator.port() + "/"
                + migrator.database() + "?sslmode=disable";
        runtime = DatabaseUrl.parse(runtimeUrl);
    }

    @AfterAll
    static void dropRole() throws SQLException {
        try (Connection connection = asMigrator();
                Statement statement = connection.createStatement()) {
            statement.execute("DROP OWNED BY " + ROLE);
            statement.execute("DROP ROLE " + ROLE);
        }
    }

    @Test
    void theServiceRunsAsTheRuntimeRoleWithMigrationsOff() throws Exception {
        try (RunningIdp idp = RunningIdp.start(Map.of("DATABASE_URL", runtimeUrl, "DB_MIGRATE_ON_START", "false"))) {
            String token = idp.adminToken();
            assertThat(token).isNotBlank();
            HttpResponse<String> agents = idp.call("GET", "/api/v1/agents", token, null);
            assertThat(agents.statusCode()).isEqualTo(200);
        }
        try (Connection connection = asMigrator();
                Statement statement = connection.createStatement();
                var rows = statement.executeQuery("SELECT count(*) FROM audit_events")) {
            rows.next();
            assertThat(rows.getLong(1))
                    .as("the token was audited by the runtime role")
                    .isPositive();
        }
    }

    @Test
    void theRuntimeRoleCannotChangeTheSchema() throws SQLException {
        try (Connection connection = asRuntime();
                Statement statement = connection.createStatement()) {
            assertThat(statement.executeQuery("SELECT count(*) FROM agents").next())
                    .isTrue();
            assertRefused(statement, "CREATE TABLE intruder (id int)");
            assertRefused(statement, "DROP TABLE agents");
            assertRefused(statement, "ALTER TABLE agents ADD COLUMN intruder text");
            // Disabling the append-only trigger is how a compromised service would rewrite the audit trail.
            assertRefused(statement, "ALTER TABLE audit_events DISABLE TRIGGER ALL");
            assertRefused(statement, "TRUNCATE audit_events");
            assertRefused(statement, "TRUNCATE agents");
            assertRefused(statement, "DELETE FROM flyway_schema_history");
            assertRefused(statement, "CREATE FUNCTION intruder() RETURNS int LANGUAGE sql AS 'SELECT 1'");
        }
    }

    @Test
    void tablesOfLaterMigrationsAreUsableWithoutAnotherGrant() throws SQLException {
        try (Connection connection = asMigrator();
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE later_migration (id bigserial PRIMARY KEY, note text)");
        }
        try (Connection connection = asRuntime();
                Statement statement = connection.createStatement()) {
            statement.execute("INSERT INTO later_migration (note) VALUES ('default privileges')");
            assertRefused(statement, "DROP TABLE later_migration");
        }
    }

    private static void assertRefused(Statement statement, String sql) {
        assertThatThrownBy(() -> statement.execute(sql))
                .as(sql)
                .isInstanceOfSatisfying(
                        SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"));
    }

    private static Connection asMigrator() throws SQLException {
        return DriverManager.getConnection(migrator.jdbcUrl(), migrator.user(), migrator.password());
    }

    private static Connection asRuntime() throws SQLException {
        Connection connection = DriverManager.getConnection(runtime.jdbcUrl(), runtime.user(), runtime.password());
        connection.setAutoCommit(true);
        return connection;
    }
}
