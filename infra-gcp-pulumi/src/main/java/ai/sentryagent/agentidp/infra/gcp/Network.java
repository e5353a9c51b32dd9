package ai.sentryagent.agentidp.infra.gcp;

import com.pulumi.core.Output;
import com.pulumi.gcp.compute.GlobalAddress;
import com.pulumi.gcp.compute.GlobalAddressArgs;
import com.pulumi.gcp.compute.NetworkArgs;
import com.pulumi.gcp.compute.Subnetwork;
import com.pulumi.gcp.compute.SubnetworkArgs;
import com.pulumi.gcp.servicenetworking.Connection;
import com.pulumi.gcp.servicenetworking.ConnectionArgs;
import com.pulumi.gcp.vpcaccess.Connector;
import com.pulumi.gcp.vpcaccess.ConnectorArgs;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;
import com.pulumi.resources.Resource;
import java.util.List;
import java.util.Map;

/**
 * The VPC (custom subnets), private services access for Cloud SQL and Memorystore (a reserved range peered with
 * Google's service network), and the Serverless VPC Access connector Cloud Run reaches them through.
 */
public final class Network extends ComponentResource {
    static final String SUBNET_RANGE = "10.10.0.0/24";
    static final String CONNECTOR_RANGE = "10.8.0.0/28";
    /**
     * Private services access range, pinned: left to Google it may be allocated anywhere in RFC 1918 space,
     * including over the connector's range (VPC docs, "Allocate an IP address range": the address is optional).
     */
    static final String PSA_ADDRESS = "10.20.0.0";

    static final int PSA_PREFIX = 16;

    private final com.pulumi.gcp.compute.Network network;
    private final Connection peering;
    private final Connector connector;

    public Network(String name, GcpConfig config, List<Resource> apis) {
        super("agentidp:gcp:Network", name, ComponentResourceOptions.builder().build());
        Names names = config.names();
        CustomResourceOptions child =
                CustomResourceOptions.builder().parent(this).dependsOn(apis).build();
        this.network = new com.pulumi.gcp.compute.Network(
                name + "-vpc",
                NetworkArgs.builder()
                        .name(names.network())
                        .project(config.project())
                        .autoCreateSubnetworks(false)
                        .routingMode("REGIONAL")
                        .build(),
                child);
        Subnetwork subnet = new Subnetwork(
                name + "-subnet",
                SubnetworkArgs.builder()
                        .name(names.subnet())
                        .project(config.project())
                        .region(config.region())
                        .network(network.id())
                        .ipCidrRange(SUBNET_RANGE)
                        .privateIpGoogleAccess(true)
                        .build(),
                child);
        GlobalAddress range = new GlobalAddress(
                name + "-psa-range",
                GlobalAddressArgs.builder()
                        .name(names.privateServicesRange())
                        .project(config.project())
                        .purpose("VPC_PEERING")
                        .addressType("INTERNAL")
                        .address(PSA_ADDRESS)
                        .prefixLength(PSA_PREFIX)
                        .network(network.id())
                        .build(),
                child);
        this.peering = new Connection(
                name + "-psa",
                ConnectionArgs.builder()
                        .network(network.id())
                        .service("servicenetworking.googleapis.com")
                        .reservedPeeringRanges(range.name().applyValue(List::of))
                        .build(),
                child);
        this.connector = new Connector(
                name + "-connector",
                ConnectorArgs.builder()
                        .name(names.connector())
                        .project(config.project())
                        .region(config.region())
                        .network(network.name())
                        .ipCidrRange(CONNECTOR_RANGE)
                        .machineType(config.connectorMachineType())
                        .minInstances(config.connectorMinInstances())
                        .maxInstances(config.connectorMaxInstances())
                        .build(),
                child);
        registerOutputs(Map.of("network", network.name(), "subnet", subnet.name(), "connector", connector.id()));
    }

    public Output<String> networkId() {
        return network.id();
    }

    /** Private services access: Cloud SQL and Memorystore wait for it. */
    public Connection peering() {
        return peering;
    }

    public Output<String> connectorId() {
        return connector.id();
    }
}
