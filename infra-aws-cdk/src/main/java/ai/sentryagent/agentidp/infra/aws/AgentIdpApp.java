package ai.sentryagent.agentidp.infra.aws;

import java.nio.file.Files;
import java.nio.file.Path;
import software.amazon.awscdk.App;

/**
 * The CDK app: the only place that reads context. It builds the typed {@link Settings} of the selected environment
 * ({@code -c env=production} by default) and hands them to the stack. {@code npx aws-cdk synth}, run from the
 * repository root via {@code cdk.json}, runs this and writes {@code cdk.out/}.
 */
public final class AgentIdpApp {
    private AgentIdpApp() {}

    public static void main(String[] args) {
        App app = new App();
        build(app, repositoryRoot());
        app.synth();
    }

    /** Declares the stack of the selected environment. */
    static AgentIdpStack build(App app, Path repositoryRoot) {
        Object selected = app.getNode().tryGetContext("env");
        String environment = selected == null ? "production" : String.valueOf(selected);
        Settings settings = Settings.read(environment, key -> app.getNode().tryGetContext(key));
        AgentIdpStack stack = new AgentIdpStack(app, "AgentIdp-" + environment, settings, repositoryRoot);
        // An image in this account's ECR: its repository is code too, deployed before the environment.
        settings.image()
                .map(AgentIdpStack::ecrRepository)
                .filter(repository -> repository.account().equals(settings.account()))
                .ifPresent(repository -> stack.addStackDependency(
                        new Registry(app, settings.account(), settings.region(), repository.name())));
        return stack;
    }

    /** The directory holding cdk.json: the working directory under the CDK CLI, its parent under the module. */
    static Path repositoryRoot() {
        Path here = Path.of("").toAbsolutePath();
        for (Path dir = here; dir != null; dir = dir.getParent()) {
            if (Files.exists(dir.resolve("cdk.json"))) {
                return dir;
            }
        }
        return here;
    }
}
