package ai.sentryagent.agentidp.store;

import ai.sentryagent.agentidp.config.RedisUrl;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import java.util.Optional;

/** Builds the Redis client from the typed configuration. */
public final class RedisClients {
    private RedisClients() {}

    /**
     * @param caCertificate the CA to trust for {@code rediss://} (Memorystore's server CA); the JVM's trust store
     *     when empty (ElastiCache's certificates chain to public roots)
     */
    public static Redis create(Vertx vertx, RedisUrl url, Optional<String> caCertificate) {
        NetClientOptions net = new NetClientOptions()
                .setConnectTimeout(2_000)
                .setTcpKeepAlive(true)
                .setTcpNoDelay(true);
        if (url.tls()) {
            net.setSsl(true).setHostnameVerificationAlgorithm("HTTPS");
            caCertificate.ifPresent(pem -> net.setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(pem)))
                    // Memorystore's server certificate names no host; its CA is the instance's own, so trusting only
                    // that CA is what authenticates the server.
                    .setHostnameVerificationAlgorithm(""));
        }
        RedisOptions options = new RedisOptions()
                .setConnectionString(url.connectionString())
                .setNetClientOptions(net)
                .setMaxPoolSize(16)
                // A burst of 450 token requests overflowed 256 waiters (F-07): each pooled call holds a connection
                // for one round trip, so a burst queues here; waiting beats answering 503.
                .setMaxPoolWaiting(2048)
                .setMaxWaitingHandlers(4096)
                .setPoolRecycleTimeout(15_000);
        return Redis.createClient(vertx, options);
    }
}
