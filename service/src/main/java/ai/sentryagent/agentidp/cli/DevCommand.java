package ai.sentryagent.agentidp.cli;

import ai.sentryagent.agentidp.AgentIdp;
import ai.sentryagent.agentidp.config.AppConfig;
import ai.sentryagent.agentidp.dev.DevEnvironment;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
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

    @Override
    public Integer call() throws Exception {
        DevEnvironment environment = DevEnvironment.start(dataDir.toAbsolutePath());
        Map<String, String> variables = new HashMap<>(System.getenv());
        variables.putAll(environment.variables());
        AppConfig config;
        try {
            config = AppConfig.fromEnvironment(variables);
        } catch (RuntimeException e) {
            environment.close();
            throw e;
        }
        AgentIdp idp = ServerRunner.start(config, environment::close);
        System.out.println();
        System.out.println("AgentIdP dev server listening on http://localhost:" + idp.port());
        System.out.println("  data:     " + environment.home());
        System.out.println("  postgres: " + config.database());
        System.out.println("  redis:    " + config.redis());
        System.out.println("  try:      curl -s http://localhost:" + idp.port() + "/health/ready");
        System.out.println("Press Ctrl-C to stop.");
        System.out.flush();
        return Main.KEEP_RUNNING;
    }
}
