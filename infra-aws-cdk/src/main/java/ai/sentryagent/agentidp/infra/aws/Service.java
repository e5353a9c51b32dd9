package ai.sentryagent.agentidp.infra.aws;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.services.applicationautoscaling.EnableScalingProps;
import software.amazon.awscdk.services.ec2.IVpc;
import software.amazon.awscdk.services.ec2.SecurityGroup;
import software.amazon.awscdk.services.ecs.AwsLogDriverProps;
import software.amazon.awscdk.services.ecs.Cluster;
import software.amazon.awscdk.services.ecs.ContainerDefinitionOptions;
import software.amazon.awscdk.services.ecs.ContainerImage;
import software.amazon.awscdk.services.ecs.ContainerInsights;
import software.amazon.awscdk.services.ecs.CpuArchitecture;
import software.amazon.awscdk.services.ecs.CpuUtilizationScalingProps;
import software.amazon.awscdk.services.ecs.DeploymentCircuitBreaker;
import software.amazon.awscdk.services.ecs.FargateService;
import software.amazon.awscdk.services.ecs.FargateTaskDefinition;
import software.amazon.awscdk.services.ecs.LogDriver;
import software.amazon.awscdk.services.ecs.MountPoint;
import software.amazon.awscdk.services.ecs.OperatingSystemFamily;
import software.amazon.awscdk.services.ecs.PortMapping;
import software.amazon.awscdk.services.ecs.RequestCountScalingProps;
import software.amazon.awscdk.services.ecs.RuntimePlatform;
import software.amazon.awscdk.services.ecs.ScalableTaskCount;
import software.amazon.awscdk.services.ecs.Volume;
import software.amazon.awscdk.services.elasticloadbalancingv2.ApplicationTargetGroup;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.constructs.Construct;

/**
 * The ECS side: a cluster with Container Insights, the Fargate service (two or more tasks in private subnets,
 * secrets injected by ECS, read-only root filesystem, non-root, egress only to its data stores and AWS endpoints,
 * circuit breaker with rollback, autoscaling) and a one-off {@code migrate} task definition. ECS Exec only behind
 * the {@code ecsExec} switch.
 */
public final class Service extends Construct {
    static final String CONTAINER = "agentidp";
    static final int CONTAINER_PORT = 3000;
    static final String LOG_GROUP_LOGICAL_ID = "AgentIdpLogGroup";

    /** What the service needs to know. */
    public record Props(
            IVpc vpc,
            Names names,
            ContainerImage image,
            int cpu,
            int memoryMiB,
            int desiredCount,
            int maxCount,
            Map<String, String> environment,
            Map<String, software.amazon.awscdk.services.ecs.Secret> secrets,
            Map<String, String> migrateEnvironment,
            Map<String, software.amazon.awscdk.services.ecs.Secret> migrateSecrets,
            RetentionDays logRetention,
            boolean ecsExec,
            Protection protection) {}

    private final Cluster cluster;
    private final FargateService service;
    private final FargateTaskDefinition taskDefinition;
    private final FargateTaskDefinition migrateTaskDefinition;
    private final SecurityGroup securityGroup;
    private final LogGroup logGroup;

    public Service(Construct scope, String id, Props props) {
        super(scope, id);
        this.cluster = Cluster.Builder.create(this, "Cluster")
                .clusterName(props.names().cluster())
                .vpc(props.vpc())
                .containerInsightsV2(ContainerInsights.ENABLED)
                .build();
        this.logGroup = LogGroup.Builder.create(this, "Logs")
                .logGroupName(props.names().logGroup())
                .retention(props.logRetention())
                .removalPolicy(props.protection().retainOrDestroy())
                .build();
        ((software.amazon.awscdk.CfnResource) logGroup.getNode().getDefaultChild())
                .overrideLogicalId(LOG_GROUP_LOGICAL_ID);
        this.securityGroup = SecurityGroup.Builder.create(this, "SecurityGroup")
                .vpc(props.vpc())
                .description("AgentIdP tasks: HTTP from the load balancer only")
                // Egress is opened rule by rule in the stack: PostgreSQL, Redis, HTTPS to the VPC endpoints and S3.
                .allowAllOutbound(false)
                .build();

        this.taskDefinition = taskDefinition("Task", props.names().taskFamily(), props);
        taskDefinition.addContainer(
                CONTAINER,
                container(props, props.secrets(), List.of("serve"), "serve")
                        .portMappings(List.of(PortMapping.builder()
                                .containerPort(CONTAINER_PORT)
                                .build()))
                        .build());
        mountTmp(taskDefinition);

        this.migrateTaskDefinition = taskDefinition("MigrateTask", props.names().migrateTaskFamily(), props);
        // The migrator's credentials and the runtime role to create: this task definition only, never the service's.
        Map<String, String> migrateEnvironment = props.migrateEnvironment();
        migrateTaskDefinition.addContainer(
                CONTAINER,
                container(
                                new Props(
                                        props.vpc(),
                                        props.names(),
                                        props.image(),
                                        props.cpu(),
                                        props.memoryMiB(),
                                        props.desiredCount(),
                                        props.maxCount(),
                                        migrateEnvironment,
                                        props.migrateSecrets(),
                                        migrateEnvironment,
                                        props.migrateSecrets(),
                                        props.logRetention(),
                                        props.ecsExec(),
                                        props.protection()),
                                props.migrateSecrets(),
                                List.of("migrate"),
                                "migrate")
                        .build());
        mountTmp(migrateTaskDefinition);

        for (FargateTaskDefinition definition : List.of(taskDefinition, migrateTaskDefinition)) {
            Nag.acknowledge(
                    definition,
                    "AwsSolutions-ECS2",
                    "Only non-secret settings are environment variables; every secret is an ECS secret read from"
                            + " Secrets Manager at task start.");
            Nag.acknowledge(
                    definition.obtainExecutionRole(),
                    "AwsSolutions-IAM5",
                    "ecr:GetAuthorizationToken has no resource-level permissions; every other statement names its"
                            + " resources.",
                    List.of("Resource::*"));
        }

        this.service = FargateService.Builder.create(this, "Service")
                .serviceName(props.names().service())
                .cluster(cluster)
                .taskDefinition(taskDefinition)
                .desiredCount(props.desiredCount())
                .minHealthyPercent(100)
                .maxHealthyPercent(200)
                .vpcSubnets(Network.privateSubnets())
                .securityGroups(List.of(securityGroup))
                .assignPublicIp(false)
                // ECS Exec's agent needs a writable root filesystem and grants the task role ssmmessages:* on *;
                // off unless agentidp.<env>.ecsExec, which also turns the read-only root off (docs/deployment.md).
                .enableExecuteCommand(props.ecsExec())
                .circuitBreaker(DeploymentCircuitBreaker.builder()
                        .enable(true)
                        .rollback(true)
                        .build())
                .healthCheckGracePeriod(Duration.seconds(90))
                .build();
        if (props.ecsExec()) {
            Nag.acknowledge(
                    taskDefinition.getTaskRole(),
                    "AwsSolutions-IAM5",
                    "ECS Exec (agentidp.<env>.ecsExec, a debugging switch): the ssmmessages channel actions have no"
                            + " resource-level permissions.",
                    List.of("Resource::*"));
        }
    }

    private FargateTaskDefinition taskDefinition(String id, String family, Props props) {
        return FargateTaskDefinition.Builder.create(this, id)
                .family(family)
                .cpu(props.cpu())
                .memoryLimitMiB(props.memoryMiB())
                .runtimePlatform(RuntimePlatform.builder()
                        .cpuArchitecture(CpuArchitecture.X86_64)
                        .operatingSystemFamily(OperatingSystemFamily.LINUX)
                        .build())
                .build();
    }

    private ContainerDefinitionOptions.Builder container(
            Props props,
            Map<String, software.amazon.awscdk.services.ecs.Secret> secrets,
            List<String> command,
            String streamPrefix) {
        Map<String, software.amazon.awscdk.services.ecs.Secret> ecsSecrets = new LinkedHashMap<>(secrets);
        return ContainerDefinitionOptions.builder()
                .image(props.image())
                .command(command)
                .environment(props.environment())
                .secrets(ecsSecrets)
                .user("10001")
                // A hard limit per container (Control Tower CT.ECS.PR.7): the task's memory but the metrics
                // collector's slice (the containers' hard limits must fit the task's memory).
                .memoryLimitMiB(props.memoryMiB() - MetricsCollector.MEMORY_MIB)
                .readonlyRootFilesystem(!props.ecsExec())
                .essential(true)
                .stopTimeout(Duration.seconds(30))
                .logging(LogDriver.awsLogs(AwsLogDriverProps.builder()
                        .logGroup(logGroup)
                        .streamPrefix(streamPrefix)
                        .build()));
    }

    /** The JVM and Netty need a writable /tmp; everything else stays read-only. */
    private static void mountTmp(FargateTaskDefinition definition) {
        definition.addVolume(Volume.builder().name("tmp").build());
        definition
                .getDefaultContainer()
                .addMountPoints(MountPoint.builder()
                        .sourceVolume("tmp")
                        .containerPath("/tmp")
                        .readOnly(false)
                        .build());
    }

    /** Registers the tasks with the load balancer and scales on CPU and on requests per task. */
    public void attach(ApplicationTargetGroup targetGroup, int desiredCount, int maxCount) {
        service.attachToApplicationTargetGroup(targetGroup);
        ScalableTaskCount scaling = service.autoScaleTaskCount(EnableScalingProps.builder()
                .minCapacity(desiredCount)
                .maxCapacity(maxCount)
                .build());
        scaling.scaleOnCpuUtilization(
                "Cpu",
                CpuUtilizationScalingProps.builder()
                        .targetUtilizationPercent(60)
                        .scaleInCooldown(Duration.minutes(5))
                        .scaleOutCooldown(Duration.minutes(1))
                        .build());
        scaling.scaleOnRequestCount(
                "Requests",
                RequestCountScalingProps.builder()
                        .requestsPerTarget(3000)
                        .targetGroup(targetGroup)
                        .scaleInCooldown(Duration.minutes(5))
                        .scaleOutCooldown(Duration.minutes(1))
                        .build());
    }

    public Cluster cluster() {
        return cluster;
    }

    public FargateService service() {
        return service;
    }

    public FargateTaskDefinition taskDefinition() {
        return taskDefinition;
    }

    public FargateTaskDefinition migrateTaskDefinition() {
        return migrateTaskDefinition;
    }

    public SecurityGroup securityGroup() {
        return securityGroup;
    }

    public LogGroup logGroup() {
        return logGroup;
    }
}
