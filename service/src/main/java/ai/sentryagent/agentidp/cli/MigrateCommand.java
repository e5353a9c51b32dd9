package ai.sentryagent.agentidp.cli;

import ai.sentryagent.agentidp.config.AppConfig;
import ai.sentryagent.agentidp.store.Migrations;
import java.util.concurrent.Callable;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;

/**
 * {@code migrate}: applies the database migrations as the migrator ({@code DATABASE_URL}, the schema owner), grants
 * the service's runtime role ({@code DATABASE_RUNTIME_ROLE}) DML on the schema when one is named, and exits 0. Safe
 * when several tasks run it at once (Flyway and the grant serialise on advisory locks).
 */
@Command(
        name = "migrate",
        description = "Apply database migrations (needs DATABASE_URL; grants DATABASE_RUNTIME_ROLE) and exit.")
public final class MigrateCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(MigrateCommand.class);

    @Override
    public Integer call() {
        AppConfig.MigrationConfig config = AppConfig.migrationFromEnvironment(System.getenv());
        config.notices().forEach(notice -> LOG.warn("configuration: {}", notice));
        MigrateResult result = Migrations.apply(config.database());
        LOG.info(
                "database schema at version {} ({} migrations applied)",
                result.targetSchemaVersion,
                result.migrationsExecuted);
        config.runtimeRole().ifPresent(role -> {
            Migrations.grantRuntimeRole(config.database(), role);
            LOG.info("runtime role {} may read and write the schema's tables and change nothing else", role.name());
        });
        return 0;
    }
}
