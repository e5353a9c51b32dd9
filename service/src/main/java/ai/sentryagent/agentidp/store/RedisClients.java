package ai.sentryagent.agentidp.store;

import ai.sentryagent.agentidp.config.RedisUrl;
import ai.sentryagent.agentidp.error.Outages;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.impl.types.ErrorType;
import java.util.List;
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
        return new Typed(Redis.createClient(vertx, options));
    }

    /**
     * The client with its untyped failures typed: a Redis error reply ({@link ErrorType}) and the failures that have
     * a type already pass as they are; anything else the client raised (a closed connection, a full reply queue) is
     * a {@link Outages.DependencyDown}, so callers never read messages to tell an outage from a bug.
     */
    private record Typed(Redis delegate) implements Redis {
        @Override
        public Future<RedisConnection> connect() {
            return delegate.connect().recover(Typed::typed);
        }

        @Override
        public Future<Void> close() {
            return delegate.close();
        }

        @Override
        public Future<Response> send(Request command) {
            return delegate.send(command).recover(Typed::typed);
        }

        @Override
        public Future<List<Response>> batch(List<Request> commands) {
            return delegate.batch(commands).recover(Typed::typed);
        }

        private static <T> Future<T> typed(Throwable failure) {
            if (failure instanceof ErrorType || Outages.classify(failure).isPresent()) {
                return Future.failedFuture(failure);
            }
            return Future.failedFuture(new Outages.DependencyDown("redis", failure));
        }
    }
}
