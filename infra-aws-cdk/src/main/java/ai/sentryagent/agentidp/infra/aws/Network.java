package ai.sentryagent.agentidp.infra.aws;

import java.util.List;
import software.amazon.awscdk.services.ec2.IVpc;
import software.amazon.awscdk.services.ec2.IpAddresses;
import software.amazon.awscdk.services.ec2.SubnetConfiguration;
import software.amazon.awscdk.services.ec2.SubnetType;
import software.amazon.awscdk.services.ec2.Vpc;
import software.constructs.Construct;

/** The VPC: public subnets for the load balancer, private subnets with egress for everything else. */
public final class Network extends Construct {
    /** @param maxAzs availability zones to span (at least 2) @param natGateways NAT gateways (one per AZ by default) */
    public record Props(int maxAzs, int natGateways) {}

    private final Vpc vpc;

    public Network(Construct scope, String id, Props props) {
        super(scope, id);
        this.vpc = Vpc.Builder.create(this, "Vpc")
                .ipAddresses(IpAddresses.cidr("10.40.0.0/16"))
                .maxAzs(props.maxAzs())
                .natGateways(props.natGateways())
                .subnetConfiguration(List.of(
                        SubnetConfiguration.builder()
                                .name("public")
                                .subnetType(SubnetType.PUBLIC)
                                .cidrMask(24)
                                .build(),
                        SubnetConfiguration.builder()
                                .name("private")
                                .subnetType(SubnetType.PRIVATE_WITH_EGRESS)
                                .cidrMask(22)
                                .build()))
                .build();
    }

    public IVpc vpc() {
        return vpc;
    }
}
