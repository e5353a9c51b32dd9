package ai.sentryagent.agentidp.cli;

import ai.sentryagent.agentidp.UserFacingException;
import ai.sentryagent.agentidp.config.ConfigException;
import ai.sentryagent.agentidp.policy.PolicyLoader;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The entry point of {@code agentidp-server.jar}. Without a command it runs {@code serve}. {@code dev} lives in
 * {@code agentidp-dev.jar} (module {@code service-dev}, with the embedded servers), whose main class swaps the
 * placeholder below for the real command.
 */
@Command(
        name = "agentidp",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "AgentIdP: an identity provider for software agents.",
        subcommands = {
            ServeCommand.class,
            Main.DevElsewhere.class,
            MigrateCommand.class,
            KeygenCommand.class,
            SmokeCommand.class,
            VerifyAuditCommand.class
        })
public final class Main implements java.util.concurrent.Callable<Integer> {
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
        return new ServeCommand().call();
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
