package ai.sentryagent.agentidp.cli;

import picocli.CommandLine;

/**
 * The entry point of {@code agentidp-dev.jar}: every command of the server build, with the real {@code dev} (embedded
 * PostgreSQL and Redis) in place of the server build's pointer to this jar.
 */
public final class DevMain {
    private DevMain() {}

    public static void main(String[] args) {
        CommandLine cli = Main.commandLine();
        cli.getCommandSpec().removeSubcommand("dev");
        cli.addSubcommand("dev", new DevCommand());
        Main.exit(cli.execute(args));
    }
}
