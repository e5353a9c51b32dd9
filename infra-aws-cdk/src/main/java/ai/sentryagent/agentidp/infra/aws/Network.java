package ai.sentryagent.agentidp.infra.aws;

import java.util.List;
import java.util.Map;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.services.ec2.FlowLogDestination;
import software.amazon.awscdk.services.ec2.FlowLogOptions;
import software.amazon.awscdk.services.ec2.FlowLogTrafficType;
import software.amazon.awscdk.services.ec2.GatewayVpcEndpointAwsService;
import software.amazon.awscdk.services.ec2.GatewayVpcEndpointOptions;
import software.amazon.awscdk.services.ec2.IVpc;
import software.amazon.awscdk.services.ec2.InterfaceVpcEndpointAwsService;
import software.amazon.awscdk.services.ec2.InterfaceVpcEndpointOptions;
import software.amazon.awscdk.services.ec2.IpAddresses;
import software.amazon.awscdk.services.ec2.Peer;
import software.amazon.awscdk.services.ec2.Port;
import software.amazon.awscdk.services.ec2.SecurityGroup;
import software.amazon.awscdk.services.ec2.SubnetConfiguration;
import software.amazon.awscdk.services.ec2.SubnetSelection;
import software.amazon.awscdk.services.ec2.SubnetType;
import software.amazon.awscdk.services.ec2.Vpc;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.constructs.Construct;

/**
 * The VPC: public subnets for the load balancer, private subnets with egress for the service, isolated subnets for
 * PostgreSQL and Redis; NAT gateways, VPC endpoints so image pulls, secrets and logs stay off the internet, and
 * flow logs.
 */
public final class Network extends Construct {
    /** What the network needs to know. */
    public record Props(int maxAzs, int natGateways, RetentionDays flowLogRetention, boolean ecsExec) {}

    static final String CIDR = "10.40.0.0/16";

    private final Vpc vpc;
    private final SecurityGroup endpointSecurityGroup;

    public Network(Construct scope, String id, Props props) {
        super(scope, id);
        LogGroup flowLogs = LogGroup.Builder.create(this, "FlowLogs")
                .retention(props.flowLogRetention())
                .removalPolicy(RemovalPolicy.RETAIN)
                .build();
        this.vpc = Vpc.Builder.create(this, "Vpc")
                .ipAddresses(IpAddresses.cidr(CIDR))
                .maxAzs(props.maxAzs())
                .natGateways(props.natGateways())
                .subnetConfiguration(List.of(
                        SubnetConfiguration.builder()
                                .name("public")
                                .subnetType(SubnetType.PUBLIC)
                                .cidrMask(24)
                                // Only the ALB and the NAT gateways live here, with their own addresses
                                // (Control Tower CT.EC2.PR.11: no auto-assigned public IPs).
                                .mapPublicIpOnLaunch(false)
                                .build(),
                        SubnetConfiguration.builder()
                                .name("private")
                                .subnetType(SubnetType.PRIVATE_WITH_EGRESS)
                                .cidrMask(22)
                                .build(),
                        SubnetConfiguration.builder()
                                .name("data")
                                .subnetType(SubnetType.PRIVATE_ISOLATED)
                                .cidrMask(24)
                                .build()))
                .gatewayEndpoints(Map.of(
                        "S3",
                        GatewayVpcEndpointOptions.builder()
                                .service(GatewayVpcEndpointAwsService.S3)
                                .build()))
                .flowLogs(Map.of(
                        "All",
                        FlowLogOptions.builder()
                                .destination(FlowLogDestination.toCloudWatchLogs(flowLogs))
                                .trafficType(FlowLogTrafficType.ALL)
                                .build()))
                .build();
        SubnetSelection privateSubnets = SubnetSelection.builder()
                .subnetType(SubnetType.PRIVATE_WITH_EGRESS)
                .build();
        this.endpointSecurityGroup = SecurityGroup.Builder.create(this, "EndpointSecurityGroup")
                .vpc(vpc)
                .description("AgentIdP VPC endpoints: HTTPS from inside the VPC")
                .allowAllOutbound(false)
                .build();
        SecurityGroup endpoints = endpointSecurityGroup;
        endpoints.addIngressRule(Peer.ipv4(CIDR), Port.tcp(443), "HTTPS to AWS APIs from the VPC");
        Map<String, InterfaceVpcEndpointAwsService> services = new java.util.TreeMap<>(Map.of(
                "EcrApi", InterfaceVpcEndpointAwsService.ECR,
                "EcrDocker", InterfaceVpcEndpointAwsService.ECR_DOCKER,
                "SecretsManager", InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
                "Logs", InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS));
        if (props.ecsExec()) {
            // The task's egress is closed except to these endpoints: ECS Exec's channel needs its own.
            services.put("SsmMessages", InterfaceVpcEndpointAwsService.SSM_MESSAGES);
        }
        services.forEach((name, service) -> vpc.addInterfaceEndpoint(
                name,
                InterfaceVpcEndpointOptions.builder()
                        .service(service)
                        .subnets(privateSubnets)
                        .privateDnsEnabled(true)
                        .securityGroups(List.of(endpoints))
                        .open(false)
                        .build()));
    }

    public SecurityGroup endpointSecurityGroup() {
        return endpointSecurityGroup;
    }

    public IVpc vpc() {
        return vpc;
    }

    public static SubnetSelection privateSubnets() {
        return SubnetSelection.builder()
                .subnetType(SubnetType.PRIVATE_WITH_EGRESS)
                .build();
    }

    public static SubnetSelection dataSubnets() {
        return SubnetSelection.builder().subnetType(SubnetType.PRIVATE_ISOLATED).build();
    }

    public static SubnetSelection publicSubnets() {
        return SubnetSelection.builder().subnetType(SubnetType.PUBLIC).build();
    }
}
