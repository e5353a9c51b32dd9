package ai.sentryagent.agentidp.config;

import java.util.Map;

/**
 * Everything the service reads from its environment, read once at startup and validated. Nothing below the
 * command line reads {@code System.getenv}; it is handed this record.
 *
 * @param environment the deployment environment name ({@code NODE_ENV}, kept for compatibility with the seed)
 * @param port the HTTP port ({@code PORT})
 * @param database where PostgreSQL is ({@code DATABASE_URL})
 * @param pool the PostgreSQL pool sizing ({@code DB_POOL_*})
 * @param redis where Redis is ({@code REDIS_URL})
 * @param redisKeyPrefix the prefix of every Redis key this service writes ({@code REDIS_KEY_PREFIX})
 */
public record AppConfig(
        String environment, int port, DatabaseUrl database, PoolConfig pool, RedisUrl redis, String redisKeyPrefix) {

    /** PostgreSQL pool sizing. */
    public record PoolConfig(int max, int min, int idleTimeoutMs, int connectionTimeoutMs) {}

    public static final int DEFAULT_PORT = 3000;

    /** Reads and validates the configuration; throws {@link ConfigException} naming every bad variable. */
    public static AppConfig fromEnvironment(Map<String, String> variables) {
        Env env = new Env(variables);
        String environment = env.string("NODE_ENV", "production");
        int port = env.integer("PORT", DEFAULT_PORT, 0, 65535);
        DatabaseUrl database = env.parsed(
                "DATABASE_URL",
                env.required("DATABASE_URL", "postgres://user:password@host:5432/database"),
                DatabaseUrl::parse);
        PoolConfig pool = new PoolConfig(
                env.integer("DB_POOL_MAX", 20, 1, 1000),
                env.integer("DB_POOL_MIN", 2, 0, 1000),
                env.integer("DB_POOL_IDLE_TIMEOUT_MS", 30_000, 0, 86_400_000),
                env.integer("DB_POOL_CONNECTION_TIMEOUT_MS", 5_000, 100, 600_000));
        if (pool.min() > pool.max()) {
            env.problem("DB_POOL_MIN (" + pool.min() + ") must not exceed DB_POOL_MAX (" + pool.max() + ")");
        }
        RedisUrl redis = env.parsed(
                "REDIS_URL", env.required("REDIS_URL", "redis://host:6379 or rediss://host:6379"), RedisUrl::parse);
        String redisKeyPrefix = env.string("REDIS_KEY_PREFIX", "agentidp:");
        if (!redisKeyPrefix.matches("[A-Za-z0-9:_.-]{1,64}")) {
            env.problem("REDIS_KEY_PREFIX must be 1-64 characters of letters, digits, ':', '_', '.', '-'");
        }
        env.throwIfInvalid();
        return new AppConfig(environment, port, database, pool, redis, redisKeyPrefix);
    }
}
