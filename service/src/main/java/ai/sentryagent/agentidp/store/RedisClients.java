package ai.sentryagent.agentidp.store;

import ai.sentryagent.agentidp.config.RedisUrl;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;

/** Builds the Redis client from the typed configuration. */
public final class RedisClients {
    private RedisClients() {}

    public static Redis create(Vertx vertx, RedisUrl url) {
        NetClientOptions net = new NetClientOptions()
                .setConnectTimeout(2_000)
                .setTcpKeepAlive(true)
                .setTcpNoDelay(true);
        if (url.tls()) {
            net.setSsl(true).setHostnameVerificationAlgorithm("HTTPS");
        }
        RedisOptions options = new RedisOptions()
                .setConnectionString(url.connectionString())
                .setNetClientOptions(net)
                .setMaxPoolSize(16)
                .setMaxPoolWaiting(256)
                .setMaxWaitingHandlers(4096)
                .setPoolRecycleTimeout(15_000);
        return Redis.createClient(vertx, options);
    }
}
