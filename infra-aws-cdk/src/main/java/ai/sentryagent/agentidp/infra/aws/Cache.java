package ai.sentryagent.agentidp.infra.aws;

import java.util.List;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.services.ec2.IVpc;
import software.amazon.awscdk.services.ec2.SecurityGroup;
import software.amazon.awscdk.services.elasticache.CfnReplicationGroup;
import software.amazon.awscdk.services.elasticache.CfnSubnetGroup;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.amazon.awscdk.services.secretsmanager.ISecret;
import software.constructs.Construct;

/**
 * ElastiCache Redis 7: primary and replica across zones with automatic failover, TLS in transit, encryption at
 * rest, an AUTH token from Secrets Manager, in the isolated subnets, reachable only from the service.
 */
public final class Cache extends Construct {
    static final String LOGICAL_ID = "AgentIdpCache";
    static final int PORT = 6379;

    /** What the cache needs to know. */
    public record Props(
            IVpc vpc,
            Names names,
            String nodeType,
            ISecret authToken,
            RetentionDays logRetention,
            Protection protection) {}

    private final CfnReplicationGroup replicationGroup;
    private final SecurityGroup securityGroup;

    public Cache(Construct scope, String id, Props props) {
        super(scope, id);
        this.securityGroup = SecurityGroup.Builder.create(this, "SecurityGroup")
                .vpc(props.vpc())
                .description("AgentIdP Redis: reachable only from the service")
                .allowAllOutbound(false)
                .build();
        CfnSubnetGroup subnets = CfnSubnetGroup.Builder.create(this, "Subnets")
                .description("AgentIdP Redis subnets (isolated)")
                .subnetIds(props.vpc().selectSubnets(Network.dataSubnets()).getSubnetIds())
                .build();
        LogGroup slowLog = LogGroup.Builder.create(this, "SlowLog")
                .retention(props.logRetention())
                .removalPolicy(RemovalPolicy.RETAIN)
                .build();
        this.replicationGroup = CfnReplicationGroup.Builder.create(this, "ReplicationGroup")
                .replicationGroupId(props.names().replicationGroup())
                .replicationGroupDescription("AgentIdP rate limits, revocation cache")
                .engine("redis")
                .engineVersion("7.1")
                .cacheNodeType(props.nodeType())
                .numNodeGroups(1)
                .replicasPerNodeGroup(1)
                .automaticFailoverEnabled(true)
                .multiAzEnabled(true)
                .transitEncryptionEnabled(true)
                .atRestEncryptionEnabled(true)
                .authToken(props.authToken().getSecretValue().unsafeUnwrap())
                .port(PORT)
                .cacheSubnetGroupName(subnets.getRef())
                .securityGroupIds(List.of(securityGroup.getSecurityGroupId()))
                .snapshotRetentionLimit(7)
                .snapshotWindow("03:00-04:00")
                .preferredMaintenanceWindow("sun:05:30-sun:06:30")
                .autoMinorVersionUpgrade(true)
                .logDeliveryConfigurations(List.of(CfnReplicationGroup.LogDeliveryConfigurationRequestProperty.builder()
                        .destinationType("cloudwatch-logs")
                        .logFormat("json")
                        .logType("slow-log")
                        .destinationDetails(CfnReplicationGroup.DestinationDetailsProperty.builder()
                                .cloudWatchLogsDetails(
                                        CfnReplicationGroup.CloudWatchLogsDestinationDetailsProperty.builder()
                                                .logGroup(slowLog.getLogGroupName())
                                                .build())
                                .build())
                        .build()))
                .build();
        replicationGroup.overrideLogicalId(LOGICAL_ID);
        replicationGroup.applyRemovalPolicy(props.protection().snapshotOrDestroy());
        Nag.acknowledge(
                replicationGroup,
                "AwsSolutions-AEC5",
                "Default port 6379: the group is in isolated subnets, TLS and AUTH are on, and its security group"
                        + " admits only the service's tasks; a non-standard port adds no protection.");
    }

    public SecurityGroup securityGroup() {
        return securityGroup;
    }

    /** The primary endpoint's address (TLS). */
    public String primaryEndpoint() {
        return replicationGroup.getAttrPrimaryEndPointAddress();
    }

    public CfnReplicationGroup replicationGroup() {
        return replicationGroup;
    }
}
