package ai.sentryagent.agentidp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sentryagent.agentidp.config.DatabaseUrl;
import ai.sentryagent.agentidp.testing.JarProcess;
import ai.sentryagent.agentidp.testing.TestServers;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code migrate} as the deployment's migrate job runs it: the migrator's DATABASE_URL plus DATABASE_RUNTIME_ROLE and
 * DATABASE_RUNTIME_PASSWORD, and the role it leaves behind may write rows but not change the schema (PostgreSQL
 * answers SQLSTATE 42501, insufficient_privilege).
 */
class MigrateCommandIT {
    @TempDir
    Path workDir;

    @Test
    void migrateCreatesTheRuntimeRoleWithDmlOnly() throws Exception {
        String role =
                "agentidp_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        String password = "it-runtime-password-" + UUID.randomUUID();
        DatabaseUrl migrator = DatabaseUrl.parse(TestServers.get().createDatabase("migrate_role"));
        Map<String, String> env = Map.of(
                "DATABASE_URL",
                "postgres://" + migrator.user() + "@" + migrator.host() + ":" + migrator.port() + "/"
                        + migrator.database() + "?sslmode=disable",
                "DATABASE_RUNTIME_ROLE",
                role,
                "DATABASE_RUNTIME_PASSWORD",
                password);
        try {
            try (JarProcess migrate = JarProcess.start(workDir, env, "migrate")) {
                assertThat(migrate.waitForExit(Duration.ofSeconds(120)))
                        .as(String.join("\n", migrate.stdout()) + String.join("\n", migrate.stderr()))
                        .isZero();
                assertThat(migrate.stdout()).anyMatch(line -> line.contains("runtime role " + role));
                assertThat(String.join("\n", migrate.stdout())).doesNotContain(password);
            }
            try (Connection runtime = DriverManager.getConnection(migrator.jdbcUrl(), role, password);
                    Statement statement = runtime.createStatement()) {
                statement.execute("SELECT count(*) FROM agents");
                assertThatThrownBy(() -> statement.execute("CREATE TABLE intruder (id int)"))
                        .isInstanceOfSatisfying(
                                SQLException.class,
                                e -> assertThat(e.getSQLState()).isEqualTo("42501"));
            }
        } finally {
            try (Connection admin =
                            DriverManager.getConnection(migrator.jdbcUrl(), migrator.user(), migrator.password());
                    Statement statement = admin.createStatement()) {
                statement.execute("DROP OWNED BY " + role);
                statement.execute("DROP ROLE IF EXISTS " + role);
            }
        }
    }
}
