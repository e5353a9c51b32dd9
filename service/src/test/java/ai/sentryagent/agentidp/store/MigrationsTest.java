package ai.sentryagent.agentidp.store;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.config.DatabaseUrl;
import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.TestServers;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.flywaydb.core.api.output.MigrateResult;
import org.junit.jupiter.api.Test;

@IntegrationTest
class MigrationsTest {

    @Test
    void concurrentRunsOnAFreshDatabaseApplyEachMigrationOnce() throws Exception {
        DatabaseUrl base = DatabaseUrl.parse(TestServers.get().databaseUrl());
        String name = "agentidp_migrate_"
                + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        try (Connection admin = DriverManager.getConnection(base.jdbcUrl(), base.user(), base.password());
                Statement statement = admin.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        }
        DatabaseUrl fresh =
                new DatabaseUrl(base.host(), base.port(), name, base.user(), base.password(), base.sslMode());
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<MigrateResult>> runs = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                runs.add(pool.submit((Callable<MigrateResult>) () -> Migrations.apply(fresh)));
            }
            int applied = 0;
            for (Future<MigrateResult> run : runs) {
                MigrateResult result = run.get();
                assertThat(result.success).isTrue();
                applied += result.migrationsExecuted;
            }
            try (Connection connection = DriverManager.getConnection(fresh.jdbcUrl(), fresh.user(), fresh.password());
                    Statement statement = connection.createStatement();
                    ResultSet rows = statement.executeQuery(
                            "SELECT count(*), count(DISTINCT version) FROM flyway_schema_history WHERE success")) {
                rows.next();
                assertThat(rows.getInt(1))
                        .isEqualTo(rows.getInt(2))
                        .isEqualTo(applied)
                        .isPositive();
            }
            assertThat(Migrations.apply(fresh).migrationsExecuted).isZero();
        } finally {
            pool.shutdownNow();
            try (Connection admin = DriverManager.getConnection(base.jdbcUrl(), base.user(), base.password());
                    Statement statement = admin.createStatement()) {
                statement.execute("DROP DATABASE " + name + " WITH (FORCE)");
            }
        }
    }
}
