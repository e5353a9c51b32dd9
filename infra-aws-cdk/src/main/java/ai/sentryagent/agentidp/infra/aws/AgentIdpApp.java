package ai.sentryagent.agentidp.infra.aws;

import java.nio.file.Files;
import java.nio.file.Path;
import software.amazon.awscdk.App;

/**
 * The CDK app: the only place that reads context and {@code deploy/image.json}. It builds the typed {@link Settings}
 * of the selected environment ({@code -c env=production} by default) and the {@link DeployedImage}, and hands them
 * to the stack. {@code npx aws-cdk synth}, run from the
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
        DeployedImage image = DeployedImage.read(repositoryRoot);
        AgentIdpStack stack = new AgentIdpStack(app, "AgentIdp-" + environment, settings, image, repositoryRoot);
        // The image's repository in this account is code too, deployed before the environment (and before the push).
        AgentIdpStack.EcrRepository repository = AgentIdpStack.ecrRepository(settings.imageRepository());
        if (repository.account().equals(settings.account())) {
            stack.addStackDependency(new Registry(app, settings.account(), settings.region(), repository.name()));
        }
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
