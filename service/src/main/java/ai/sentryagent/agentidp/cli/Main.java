package ai.sentryagent.agentidp.cli;

import ai.sentryagent.agentidp.AgentIdp;
import ai.sentryagent.agentidp.UserFacingException;
import ai.sentryagent.agentidp.config.AppConfig;
import ai.sentryagent.agentidp.config.ConfigException;
import ai.sentryagent.agentidp.observability.Metrics;
import ai.sentryagent.agentidp.policy.PolicyLoader;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import sun.misc.Signal;

/**
 * The entry point of {@code agentidp-server.jar}, and the server's start and stop. Without a command it runs
 * {@code serve}: the production server, configured only by environment variables. {@link #start} deploys the main
 * verticle and runs it until it is asked to stop ({@code dev}, in {@code agentidp-dev.jar} — module
 * {@code service-dev}, with the embedded servers, whose main class swaps the placeholder below for the real command —
 * starts the same way). SIGTERM and SIGINT undeploy it — stop accepting connections, let in-flight requests finish
 * (bounded by the drain timeout), write queued audit events, close the clients — then run the caller's cleanup and
 * exit 0: a clean stop, as an orchestrator expects. Any other JVM exit runs the same sequence from a shutdown hook.
 * SIGHUP re-reads the authorization policy.
 */
@Command(
        name = "agentidp",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "AgentIdP: an identity provider for software agents.",
        subcommands = {
            Main.Serve.class,
            Main.DevElsewhere.class,
            MigrateCommand.class,
            KeygenCommand.class,
            SmokeCommand.class,
            VerifyAuditCommand.class
        })
public final class Main implements java.util.concurrent.Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(Main.class);
    private static final long SHUTDOWN_TIMEOUT_MS = 30_000;

    /** Returned by commands that leave a server running: the JVM stays up until it is signalled. */
    static final int KEEP_RUNNING = -1;

    static final int EXIT_CONFIG = 2;

    public static void main(String[] args) {
        exit(run(args));
    }

    static void exit(int code) {
        if (code != KEEP_RUNNING) {
            System.exit(code);
        }
    }

    static int run(String... args) {
        return commandLine().execute(args);
    }

    /** Every command with the shared error handling; builds that add commands start from this. */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof ConfigException config) {
                commandLine.getErr().println("agentidp: invalid configuration: " + config.getMessage());
                return EXIT_CONFIG;
            }
            if (e instanceof PolicyLoader.PolicyException policy) {
                commandLine.getErr().println("agentidp: invalid authorization policy: " + policy.getMessage());
                return EXIT_CONFIG;
            }
            if (e instanceof UserFacingException user) {
                commandLine.getErr().println("agentidp: " + user.getMessage());
                return 1;
            }
            commandLine.getErr().println("agentidp: failed to start: " + describe(e));
            return 1;
        });
        return cli;
    }

    @Override
    public Integer call() throws Exception {
        return serve();
    }

    /** {@code serve}, the default command. */
    @Command(name = "serve", description = "Run the production server (configuration from environment variables).")
    static final class Serve implements java.util.concurrent.Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            return serve();
        }
    }

    private static int serve() throws Exception {
        AppConfig config = AppConfig.fromEnvironment(System.getenv());
        AgentIdp idp = start(config, () -> {});
        LOG.info("AgentIdP listening on port {}", idp.port());
        return KEEP_RUNNING;
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

    private static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return root.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    /** {@code dev} in the server build: says where it is instead of "unknown command". */
    @Command(name = "dev", description = "Run locally on embedded PostgreSQL and Redis (in agentidp-dev.jar).")
    static final class DevElsewhere implements java.util.concurrent.Callable<Integer> {
        @Override
        public Integer call() {
            throw new UserFacingException(
                    "'dev' needs the embedded PostgreSQL and Redis, which this server build"
                            + " (agentidp-server.jar, the container image) leaves out; use agentidp-dev.jar"
                            + " (./mvnw -pl service-dev -am -DskipTests package; java -jar service-dev/target/agentidp-dev.jar dev)");
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Main.class.getPackage().getImplementationVersion();
            return new String[] {"agentidp " + (version == null ? "development" : version)};
        }
    }
}
