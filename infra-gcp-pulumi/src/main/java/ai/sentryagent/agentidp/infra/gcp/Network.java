package ai.sentryagent.agentidp.infra.gcp;

import com.pulumi.core.Output;
import com.pulumi.gcp.compute.Subnetwork;
import com.pulumi.gcp.compute.SubnetworkArgs;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;
import java.util.Map;

/** The VPC with one custom-mode subnet in the stack's region. */
public final class Network extends ComponentResource {
    /** What the network needs to know. */
    public record Args(GcpConfig config) {}

    private final com.pulumi.gcp.compute.Network network;
    private final Subnetwork subnet;

    public Network(String name, Args args) {
        super("agentidp:gcp:Network", name, ComponentResourceOptions.builder().build());
        GcpConfig config = args.config();
        CustomResourceOptions child =
                CustomResourceOptions.builder().parent(this).build();
        this.network = new com.pulumi.gcp.compute.Network(
                name,
                com.pulumi.gcp.compute.NetworkArgs.builder()
                        .name(config.names().prefix())
                        .project(config.project())
                        .autoCreateSubnetworks(false)
                        .routingMode("REGIONAL")
                        .build(),
                child);
        this.subnet = new Subnetwork(
                name + "-subnet",
                SubnetworkArgs.builder()
                        .name(config.names().prefix() + "-subnet")
                        .project(config.project())
                        .region(config.region())
                        .network(network.id())
                        .ipCidrRange("10.10.0.0/24")
                        .privateIpGoogleAccess(true)
                        .build(),
                child);
        registerOutputs(Map.of("network", network.name(), "subnet", subnet.name()));
    }

    public Output<String> networkName() {
        return network.name();
    }

    public com.pulumi.gcp.compute.Network network() {
        return network;
    }

    public Subnetwork subnet() {
        return subnet;
    }
}
