package ai.sentryagent.agentidp;

import ai.sentryagent.agentidp.config.AppConfig;
import ai.sentryagent.agentidp.http.HttpVerticle;
import ai.sentryagent.agentidp.http.Routes;
import ai.sentryagent.agentidp.store.Postgres;
import ai.sentryagent.agentidp.store.RedisClients;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.sqlclient.Pool;
import java.io.IOException;
import java.net.ServerSocket;

/**
 * One running AgentIdP: its clients and its HTTP verticles on a given {@link Vertx}. Startup composes the pieces;
 * {@link #close()} drains HTTP first, then closes the clients.
 */
public final class AgentIdp {
    static final long DRAIN_TIMEOUT_MS = 10_000;

    private final Vertx vertx;
    private final Pool pool;
    private final Redis redis;
    private final int port;

    private AgentIdp(Vertx vertx, Pool pool, Redis redis, int port) {
        this.vertx = vertx;
        this.pool = pool;
        this.redis = redis;
        this.port = port;
    }

    /** Starts the service; the future fails with the cause when any part cannot start. */
    public static Future<AgentIdp> start(Vertx vertx, AppConfig config) {
        Pool pool = Postgres.pool(vertx, config);
        Redis redis = RedisClients.create(vertx, config.redis());
        Routes.Dependencies deps = new Routes.Dependencies(pool, redis);
        int instances = Math.max(1, Runtime.getRuntime().availableProcessors());
        int port;
        try {
            port = config.port() == 0 ? freePort() : config.port();
        } catch (IOException e) {
            return Future.failedFuture(e);
        }
        // One verticle per core; they share the listening socket.
        return vertx.deployVerticle(
                        () -> new HttpVerticle(deps, port, DRAIN_TIMEOUT_MS),
                        new DeploymentOptions().setInstances(instances))
                .map(id -> new AgentIdp(vertx, pool, redis, port))
                .recover(failure -> Future.join(pool.close(), closeRedis(redis))
                        .transform(ignored -> Future.failedFuture(failure)));
    }

    /** The port the HTTP server listens on. */
    public int port() {
        return port;
    }

    public Vertx vertx() {
        return vertx;
    }

    /** Stops accepting requests, lets in-flight ones finish, then closes the clients. */
    public Future<Void> close() {
        Future<Void> undeployed = Future.join(
                        vertx.deploymentIDs().stream().map(vertx::undeploy).toList())
                .mapEmpty();
        return undeployed
                .transform(ignored -> Future.join(pool.close(), closeRedis(redis)))
                .mapEmpty();
    }

    /** Port 0 asks for any free port; resolved once so every verticle instance binds the same one. */
    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static Future<Void> closeRedis(Redis redis) {
        return redis.close();
    }
}
