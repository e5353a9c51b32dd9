package ai.sentryagent.agentidp.cli;

import ai.sentryagent.agentidp.config.AppConfig;
import ai.sentryagent.agentidp.config.DatabaseUrl;
import ai.sentryagent.agentidp.store.Migrations;
import java.util.concurrent.Callable;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;

/**
 * {@code migrate}: applies the database migrations and exits 0. Only {@code DATABASE_URL} is needed. Safe when
 * several tasks run it at once (Flyway serialises them with an advisory lock).
 */
@Command(name = "migrate", description = "Apply database migrations (needs DATABASE_URL) and exit.")
public final class MigrateCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(MigrateCommand.class);

    @Override
    public Integer call() {
        DatabaseUrl database = AppConfig.databaseFromEnvironment(System.getenv());
        MigrateResult result = Migrations.apply(database);
        LOG.info(
                "database schema at version {} ({} migrations applied)",
                result.targetSchemaVersion,
                result.migrationsExecuted);
        return 0;
    }
}
