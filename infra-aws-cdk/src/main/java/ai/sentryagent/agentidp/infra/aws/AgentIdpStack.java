package ai.sentryagent.agentidp.infra.aws;

import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.Tags;
import software.constructs.Construct;

/** One AgentIdP environment. Stacks only compose constructs; the constructs hold the resources. */
public final class AgentIdpStack extends Stack {
    private final Network network;

    public AgentIdpStack(Construct scope, String id, StackProps props, String environment) {
        super(scope, id, props);
        Tags.of(this).add("project", "sentryagent-agentidp");
        Tags.of(this).add("environment", environment);
        this.network = new Network(this, "Network", new Network.Props(2, 2));
    }

    public Network network() {
        return network;
    }
}
