package ai.sentryagent.agentidp.cli;

import ai.sentryagent.agentidp.AgentIdp;
import ai.sentryagent.agentidp.config.AppConfig;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;

/** {@code serve}: the production server, configured only by environment variables. */
@Command(name = "serve", description = "Run the production server (configuration from environment variables).")
public final class ServeCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

    @Override
    public Integer call() throws Exception {
        AppConfig config = AppConfig.fromEnvironment(System.getenv());
        AgentIdp idp = ServerRunner.start(config, () -> {});
        LOG.info("AgentIdP listening on port {}", idp.port());
        return Main.KEEP_RUNNING;
    }
}
