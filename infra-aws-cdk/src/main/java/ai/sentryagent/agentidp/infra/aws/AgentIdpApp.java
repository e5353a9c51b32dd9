package ai.sentryagent.agentidp.infra.aws;

import software.amazon.awscdk.App;
import software.amazon.awscdk.StackProps;

/**
 * The CDK app: the only place that reads context. It builds the typed settings and hands them to the stack.
 * {@code npx aws-cdk synth} (from the repository root, via {@code cdk.json}) runs this and writes {@code cdk.out/}.
 */
public final class AgentIdpApp {
    private AgentIdpApp() {}

    public static void main(String[] args) {
        App app = new App();
        build(app);
        app.synth();
    }

    /** Declares the stacks of the selected environment ({@code -c env=production} by default). */
    static AgentIdpStack build(App app) {
        String environment = String.valueOf(
                app.getNode().tryGetContext("env") == null
                        ? "production"
                        : app.getNode().tryGetContext("env"));
        return new AgentIdpStack(
                app,
                "AgentIdp-" + environment,
                StackProps.builder()
                        .description("AgentIdP " + environment + " environment")
                        .build(),
                environment);
    }
}
