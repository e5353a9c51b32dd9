package ai.sentryagent.agentidp.infra.gcp;

import com.pulumi.Context;
import com.pulumi.Pulumi;

/**
 * The Pulumi program. Reading stack configuration ({@link GcpConfig#from}) is kept apart from declaring
 * resources ({@link #define}), so tests hand the program a typed configuration directly.
 */
public final class AgentIdpGcp {
    private AgentIdpGcp() {}

    public static void main(String[] args) {
        Pulumi.run(AgentIdpGcp::stack);
    }

    static void stack(Context ctx) {
        define(ctx, GcpConfig.from(ctx));
    }

    /** Declares every resource of one environment. */
    public static void define(Context ctx, GcpConfig config) {
        Network network = new Network(config.names().prefix() + "-network", new Network.Args(config));
        ctx.export("network", network.networkName());
    }
}
