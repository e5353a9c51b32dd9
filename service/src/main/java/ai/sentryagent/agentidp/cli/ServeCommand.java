package ai.sentryagent.agentidp.cli;

import ai.sentryagent.agentidp.AgentIdp;
import ai.sentryagent.agentidp.config.AppConfig;
import ai.sentryagent.agentidp.observability.Metrics;
import io.vertx.core.Vertx;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import sun.misc.Signal;

/**
 * {@code serve}: the production server, configured only by environment variables. {@link #start} deploys the main
 * verticle and runs it until it is asked to stop (the {@code dev} command of {@code agentidp-dev.jar} starts the
 * same way). SIGTERM and SIGINT undeploy it — stop accepting connections, let in-flight requests finish (bounded by
 * the drain timeout), write queued audit events, close the clients — then run the caller's cleanup and exit 0: a
 * clean stop, as an orchestrator expects. Any other JVM exit runs the same sequence from a shutdown hook. SIGHUP
 * re-reads the authorization policy.
 */
@Command(name = "serve", description = "Run the production server (configuration from environment variables).")
public final class ServeCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);
    private static final long SHUTDOWN_TIMEOUT_MS = 30_000;

    @Override
    public Integer call() throws Exception {
        AppConfig config = AppConfig.fromEnvironment(System.getenv());
        AgentIdp idp = start(config, () -> {});
        LOG.info("AgentIdP listening on port {}", idp.port());
        return Main.KEEP_RUNNING;
    }

    /** Starts the service and blocks until it is up; returns the running instance. */
    static AgentIdp start(AppConfig config, Runnable afterClose) throws Exception {
        // The per-request HTTP metrics are Vert.x's own: they must be configured when Vert.x is created.
        Metrics metrics = new Metrics();
        Vertx vertx = metrics.createVertx();
        AgentIdp idp = new AgentIdp(config, metrics);
        String deployment;
        try {
            deployment = vertx.deployVerticle(idp)
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(120, TimeUnit.SECONDS);
        } catch (Exception e) {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            afterClose.run();
            throw e;
        }
        AtomicBoolean stopped = new AtomicBoolean();
        Runnable stop = () -> {
            if (stopped.compareAndSet(false, true)) {
                stop(vertx, deployment, afterClose);
            }
        };
        Runtime.getRuntime().addShutdownHook(new Thread(stop, "agentidp-shutdown"));
        Signal.handle(new Signal("HUP"), signal -> idp.reloadPolicy());
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(
                    new Signal(name),
                    signal -> new Thread(
                                    () -> {
                                        LOG.info("received SIG{}", name);
                                        stop.run();
                                        System.exit(0);
                                    },
                                    "agentidp-signal")
                            .start());
        }
        return idp;
    }

    private static void stop(Vertx vertx, String deployment, Runnable afterClose) {
        LOG.info("shutting down: draining requests");
        try {
            // Two steps from this thread: a callback of the undeployed verticle's context would never see Vert.x
            // close complete.
            try {
                vertx.undeploy(deployment)
                        .toCompletionStage()
                        .toCompletableFuture()
                        .get(SHUTDOWN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            } finally {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            LOG.warn("shutdown did not finish cleanly: {}", e.toString());
        } finally {
            afterClose.run();
            LOG.info("stopped");
        }
    }
}
