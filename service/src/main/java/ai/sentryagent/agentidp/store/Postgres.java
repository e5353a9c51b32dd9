package ai.sentryagent.agentidp.store;

import ai.sentryagent.agentidp.config.AppConfig;
import ai.sentryagent.agentidp.config.DatabaseUrl;
import ai.sentryagent.agentidp.config.PostgresTls;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.util.concurrent.TimeUnit;

/** Builds the PostgreSQL pool from the typed configuration. */
public final class Postgres {
    private Postgres() {}

    public static PgConnectOptions connectOptions(DatabaseUrl url) {
        PgConnectOptions options = new PgConnectOptions()
                .setHost(url.host())
                .setPort(url.port())
                .setDatabase(url.database())
                .setUser(url.user())
                .setSslMode(sslMode(url.sslMode()))
                .setReconnectAttempts(0)
                .setPipeliningLimit(256)
                // Named statements, parsed and planned once per connection instead of on every query.
                .setCachePreparedStatements(true)
                .setPreparedStatementCacheMaxSize(256);
        if (url.password() != null) {
            options.setPassword(url.password());
        }
        options.setSslOptions(PostgresTls.sslOptions(url));
        return options;
    }

    public static Pool pool(Vertx vertx, AppConfig config) {
        AppConfig.PoolConfig sizing = config.pool();
        PoolOptions poolOptions = new PoolOptions()
                .setName("agentidp-postgres")
                .setShared(false)
                .setMaxSize(sizing.max())
                // A bounded wait queue: when the database is slow or gone, callers fail fast instead of piling
                // up.
                .setMaxWaitQueueSize(Math.max(16, sizing.max() * 8))
                .setConnectionTimeout(sizing.connectionTimeoutMs())
                .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS)
                .setIdleTimeout(sizing.idleTimeoutMs())
                .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
                .setPoolCleanerPeriod(1000);
        // Built inside the main verticle, so undeploying it closes the pool. With the default event-loop size (0)
        // every connection lives on that verticle's event loop, and replies hop to the caller's loop. (Spreading them
        // with setEventLoopSize was tried in the redesign and removed with the two-step
        // shutdown; it is not measured either way — see the closing note of 2026-12-02.)
        return PgBuilder.pool()
                .with(poolOptions)
                .connectingTo(connectOptions(config.database()))
                .using(vertx)
                .build();
    }

    private static SslMode sslMode(DatabaseUrl.SslMode mode) {
        return switch (mode) {
            case DISABLE -> SslMode.DISABLE;
            case PREFER -> SslMode.PREFER;
            case REQUIRE -> SslMode.REQUIRE;
            case VERIFY_CA -> SslMode.VERIFY_CA;
            case VERIFY_FULL -> SslMode.VERIFY_FULL;
        };
    }
}
