package ai.sentryagent.agentidp.cli;

import ai.sentryagent.agentidp.AgentIdp;
import ai.sentryagent.agentidp.config.AppConfig;
import io.vertx.core.Vertx;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the service until the JVM is asked to stop (SIGTERM, SIGINT), then drains HTTP, closes the clients and runs
 * the caller's own cleanup — all inside one shutdown hook so the order is fixed.
 */
final class ServerRunner {
    private static final Logger LOG = LoggerFactory.getLogger(ServerRunner.class);
    private static final long SHUTDOWN_TIMEOUT_MS = 30_000;

    private ServerRunner() {}

    /** Starts the service and blocks until it is up; returns the running instance. */
    static AgentIdp start(AppConfig config, Runnable afterClose) throws Exception {
        Vertx vertx = Vertx.vertx();
        AgentIdp idp;
        try {
            idp = AgentIdp.start(vertx, config)
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(120, TimeUnit.SECONDS);
        } catch (Exception e) {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            afterClose.run();
            throw e;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(idp, afterClose), "agentidp-shutdown"));
        return idp;
    }

    private static void stop(AgentIdp idp, Runnable afterClose) {
        LOG.info("shutting down: draining requests");
        try {
            CompletableFuture<Void> closed = idp.close()
                    .eventually(() -> idp.vertx().close())
                    .toCompletionStage()
                    .toCompletableFuture();
            closed.get(SHUTDOWN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.warn("shutdown did not finish cleanly: {}", e.toString());
        } finally {
            afterClose.run();
            LOG.info("stopped");
        }
    }
}
