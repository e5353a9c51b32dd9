package ai.sentryagent.agentidp.infra.gcp;

import com.pulumi.core.Output;
import com.pulumi.gcp.compute.GlobalAddress;
import com.pulumi.gcp.compute.GlobalAddressArgs;
import com.pulumi.gcp.compute.NetworkArgs;
import com.pulumi.gcp.compute.Subnetwork;
import com.pulumi.gcp.compute.SubnetworkArgs;
import com.pulumi.gcp.compute.inputs.SubnetworkLogConfigArgs;
import com.pulumi.gcp.servicenetworking.Connection;
import com.pulumi.gcp.servicenetworking.ConnectionArgs;
import com.pulumi.gcp.vpcaccess.Connector;
import com.pulumi.gcp.vpcaccess.ConnectorArgs;
import com.pulumi.gcp.vpcaccess.inputs.ConnectorSubnetArgs;
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
    /**
     * The connector's own subnet. Not the 10.8.0.0/28 an earlier version gave the connector as its ipCidrRange: on
     * a stack that has it, Google's hidden subnet holds that range until the old connector is gone, and a new subnet
     * on it would be refused as overlapping.
     */
    static final String CONNECTOR_RANGE = "10.8.0.16/28";
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
                        .logConfig(flowLogs())
                        .build(),
                child);
        // The connector on a subnet of its own instead of an ipCidrRange: Google then creates the subnet itself and
        // it cannot carry flow logs; here every path from Cloud Run into the VPC is logged.
        Subnetwork connectorSubnet = new Subnetwork(
                name + "-connector-subnet",
                SubnetworkArgs.builder()
                        .name(names.connectorSubnet())
                        .project(config.project())
                        .region(config.region())
                        .network(network.id())
                        .ipCidrRange(CONNECTOR_RANGE)
                        .privateIpGoogleAccess(true)
                        .logConfig(flowLogs())
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
                        // A connector subnet must be a /28 in the connector's region (Serverless VPC Access,
                        // "Create a connector": subnet), and then neither network nor ipCidrRange is set.
                        .subnet(ConnectorSubnetArgs.builder()
                                .name(connectorSubnet.name())
                                .build())
                        .machineType(config.connectorMachineType())
                        .minInstances(config.connectorMinInstances())
                        .maxInstances(config.connectorMaxInstances())
                        .build(),
                // A connector's settings cannot change in place and its name is fixed: the old one must go first.
                CustomResourceOptions.builder()
                        .parent(this)
                        .dependsOn(apis)
                        .deleteBeforeReplace(true)
                        .build());
        registerOutputs(Map.of("network", network.name(), "subnet", subnet.name(), "connector", connector.id()));
    }

    /**
     * VPC flow logs: 5-second aggregation, half the flows sampled, all metadata (VPC, "Use VPC Flow Logs": sampling is
     * a fraction in [0, 1]; the interval one of INTERVAL_5_SEC … INTERVAL_15_MIN). Retained by the _Default bucket
     * ({@link Observability}).
     */
    static SubnetworkLogConfigArgs flowLogs() {
        return SubnetworkLogConfigArgs.builder()
                .aggregationInterval("INTERVAL_5_SEC")
                .flowSampling(0.5)
                .metadata("INCLUDE_ALL_METADATA")
                .build();
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
