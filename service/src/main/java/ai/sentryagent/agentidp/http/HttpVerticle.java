package ai.sentryagent.agentidp.http;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.util.concurrent.TimeUnit;

/** Serves the router on one event loop. Several instances share the port. */
public final class HttpVerticle extends VerticleBase {
    /** Longer than the load balancer's idle timeout (60 s on an ALB), so the balancer closes first. */
    private static final int IDLE_TIMEOUT_SECONDS = 75;

    private final Routes.Edge edge;
    private final Routes.Handlers handlers;
    private final String host;
    private final int port;
    private final long drainTimeoutMs;
    private HttpServer server;
    private RequestHeadTimeout heads;

    /** Serves {@link Routes#ENDPOINTS} with {@code handlers} on {@code host:port}. */
    public HttpVerticle(Routes.Edge edge, Routes.Handlers handlers, String host, int port, long drainTimeoutMs) {
        this.edge = edge;
        this.handlers = handlers;
        this.host = host;
        this.port = port;
        this.drainTimeoutMs = drainTimeoutMs;
    }

    @Override
    public Future<?> start() {
        HttpServerOptions options = new HttpServerOptions()
                .setPort(port)
                .setHost(host)
                .setCompressionSupported(false)
                // No h2c upgrade or prior-knowledge HTTP/2 on the plain port (F-09): one protocol, one parser.
                .setHttp2ClearTextEnabled(false)
                .setMaxInitialLineLength(8192)
                .setMaxHeaderSize(16384)
                .setIdleTimeout(IDLE_TIMEOUT_SECONDS)
                .setIdleTimeoutUnit(TimeUnit.SECONDS);
        Router router = Routes.create(vertx, edge, handlers);
        heads = new RequestHeadTimeout(
                vertx, edge.http().headerTimeoutMs(), TimeUnit.SECONDS.toMillis(IDLE_TIMEOUT_SECONDS));
        heads.start();
        return vertx.createHttpServer(options)
                .connectionHandler(connection -> {
                    heads.opened(connection);
                    PipelineDepth.install(
                            connection, edge.metrics(), edge.http().bodyTimeoutMs());
                })
                .requestHandler(request -> {
                    heads.arrived(request);
                    router.handle(request);
                })
                .listen()
                .onSuccess(s -> server = s);
    }

    @Override
    public Future<?> stop() {
        heads.stop();
        // Stop accepting, let in-flight requests finish, then close whatever is left.
        return server == null ? Future.succeededFuture() : server.shutdown(drainTimeoutMs, TimeUnit.MILLISECONDS);
    }
}
