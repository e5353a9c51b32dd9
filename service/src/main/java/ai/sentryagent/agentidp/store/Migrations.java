package ai.sentryagent.agentidp.store;

import ai.sentryagent.agentidp.config.DatabaseUrl;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Applies the versioned SQL migrations under {@code db/migration}. Flyway takes a PostgreSQL advisory lock, so
 * several tasks starting at once apply each migration exactly once. Blocking: run it off the event loop.
 */
public final class Migrations {
    private Migrations() {}

    public static MigrateResult apply(DatabaseUrl url) {
        return Flyway.configure()
                .dataSource(url.jdbcUrl(), url.user(), url.password())
                .locations("classpath:db/migration")
                .connectRetries(5)
                .connectRetriesInterval(2)
                .failOnMissingLocations(true)
                .load()
                .migrate();
    }
}
