package ai.sentryagent.agentidp.cli;

import ai.sentryagent.agentidp.AgentIdp;
import ai.sentryagent.agentidp.config.AppConfig;
import ai.sentryagent.agentidp.crypto.CredentialHasher;
import ai.sentryagent.agentidp.dev.DevEnvironment;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dev}: the service on embedded PostgreSQL and Redis, with data kept under {@code ./.agentidp/} so a restart
 * keeps it. Ctrl-C stops the server and both embedded processes.
 */
@Command(name = "dev", description = "Run locally on embedded PostgreSQL and Redis (data under ./.agentidp/).")
public final class DevCommand implements Callable<Integer> {

    @Option(
            names = "--data-dir",
            description = "Where embedded data lives (default: ${DEFAULT-VALUE}).",
            defaultValue = ".agentidp")
    Path dataDir;

    @Option(
            names = "--host",
            description = "The address to listen on (default: BIND_ADDRESS if set, else 127.0.0.1 — this machine"
                    + " only; 0.0.0.0 for every interface).")
    String host;

    @Override
    public Integer call() throws Exception {
        humanReadableLogs();
        DevEnvironment environment = DevEnvironment.start(dataDir.toAbsolutePath());
        Map<String, String> variables = new HashMap<>(System.getenv());
        String adminSecret = CredentialHasher.newSecret();
        AppConfig config;
        try {
            variables.putAll(environment.variables());
            int port = AppConfig.portFromEnvironment(variables);
            variables.putIfAbsent("ISSUER_URL", "http://localhost:" + port);
            variables.put("BOOTSTRAP_ADMIN_SECRET", adminSecret);
            // A dev server holds a printed admin secret and a development configuration: this machine only,
            // unless asked otherwise.
            if (host != null) {
                variables.put("BIND_ADDRESS", host);
            } else {
                variables.putIfAbsent("BIND_ADDRESS", "127.0.0.1");
            }
            if (!variables.containsKey("POLICY_DIR") && !java.nio.file.Files.isDirectory(Path.of("policies"))) {
                variables.put("POLICY_DIR", environment.bundledPolicies().toString());
            }
            config = AppConfig.fromEnvironment(variables);
        } catch (IOException | RuntimeException e) {
            environment.close();
            throw e;
        }
        AgentIdp idp = Main.start(config, environment::close);
        System.out.println();
        System.out.println("AgentIdP dev server listening on http://localhost:" + idp.port());
        System.out.println("  bound to: " + config.bindAddress());
        System.out.println("  data:     " + environment.home());
        System.out.println("  postgres: " + config.database());
        System.out.println("  redis:    " + config.redis());
        String clientId = config.bootstrapAdmin().orElseThrow().clientId();
        System.out.println();
        System.out.println("Bootstrap administrator (a new secret every start; shown only here):");
        System.out.println("  client id:     " + clientId);
        System.out.println("  client secret: " + adminSecret);
        System.out.println();
        System.out.println("Get an admin token:");
        System.out.println("  curl -s -u '" + clientId + ":" + adminSecret + "' -d grant_type=client_credentials \\");
        System.out.println("    http://localhost:" + idp.port() + "/api/v1/token");
        System.out.println();
        System.out.println("Press Ctrl-C to stop.");
        System.out.flush();
        return Main.KEEP_RUNNING;
    }

    /** Swaps the server's JSON lines for logback-dev.xml's text, whatever logged first. */
    private static void humanReadableLogs() throws JoranException {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            context.reset();
            JoranConfigurator configurator = new JoranConfigurator();
            configurator.setContext(context);
            configurator.doConfigure(DevCommand.class.getResource("/logback-dev.xml"));
        }
    }
}
