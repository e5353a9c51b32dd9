package ai.sentryagent.agentidp.http;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.util.concurrent.TimeUnit;

/** Serves the router on one event loop. Several instances share the port. */
public final class HttpVerticle extends VerticleBase {
    private final Routes.Dependencies deps;
    private final int port;
    private final long drainTimeoutMs;
    private HttpServer server;

    public HttpVerticle(Routes.Dependencies deps, int port, long drainTimeoutMs) {
        this.deps = deps;
        this.port = port;
        this.drainTimeoutMs = drainTimeoutMs;
    }

    @Override
    public Future<?> start() {
        HttpServerOptions options = new HttpServerOptions()
                .setPort(port)
                .setHost(deps.config().bindAddress())
                .setCompressionSupported(false)
                .setMaxInitialLineLength(8192)
                .setMaxHeaderSize(16384)
                .setIdleTimeout(75)
                .setIdleTimeoutUnit(TimeUnit.SECONDS);
        return vertx.createHttpServer(options)
                .requestHandler(Routes.create(vertx, deps))
                .listen()
                .onSuccess(s -> server = s);
    }

    @Override
    public Future<?> stop() {
        // Stop accepting, let in-flight requests finish, then close whatever is left.
        return server == null ? Future.succeededFuture() : server.shutdown(drainTimeoutMs, TimeUnit.MILLISECONDS);
    }
}
