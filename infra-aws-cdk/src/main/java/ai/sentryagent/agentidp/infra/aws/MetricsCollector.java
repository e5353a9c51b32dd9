package ai.sentryagent.agentidp.infra.aws;

import java.util.List;
import java.util.Map;
import software.amazon.awscdk.services.ecr.Repository;
import software.amazon.awscdk.services.ecs.AwsLogDriverProps;
import software.amazon.awscdk.services.ecs.ContainerDefinitionOptions;
import software.amazon.awscdk.services.ecs.ContainerImage;
import software.amazon.awscdk.services.ecs.FargateTaskDefinition;
import software.amazon.awscdk.services.ecs.LogDriver;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.logs.ILogGroup;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.constructs.Construct;

/**
 * The service's own {@code /metrics} in CloudWatch: an AWS Distro for OpenTelemetry collector beside the service in
 * each task scrapes {@code localhost:3000/metrics} (tasks share one network namespace in awsvpc mode) and writes a
 * bounded set of metrics as CloudWatch embedded metric format (EMF) log events to its own log group, from which
 * CloudWatch extracts them into the namespace {@code AgentIdP/<env>}. EMF needs only {@code logs:PutLogEvents} on
 * that group (CloudWatch user guide, "Embedded metric format": "you don't need PutMetricData") and goes out through
 * the Logs VPC endpoint the tasks already use. The collector's image comes from ECR Public through the pull-through
 * cache rule of stack AgentIdp-registry, pinned by version: the tasks have no route to the internet.
 */
public final class MetricsCollector extends Construct {
    static final String CONTAINER = "metrics-collector";
    /** A fixed slice of the task's memory; the service's container gets the rest (Service). */
    static final int MEMORY_MIB = 128;
    /** ADOT collector release (github.com/aws-observability/aws-otel-collector, VERSION). */
    static final String COLLECTOR_VERSION = "v0.45.1";
    /** The pull-through cache prefix (Registry) and the upstream path on public.ecr.aws. */
    static final String COLLECTOR_REPOSITORY = Registry.ECR_PUBLIC_PREFIX + "/aws-observability/aws-otel-collector";

    /**
     * What reaches CloudWatch: the signals docs/operations.md alerts on and nothing else, so the metric count (and
     * the bill) cannot grow with the service's other series. The scrape keeps only these names.
     */
    static final List<String> METRICS = List.of(
            "agentidp_audit_chain_integrity",
            "agentidp_redis_degraded",
            "agentidp_tokens_issued_total",
            "agentidp_audit_dropped_total",
            "agentidp_audit_oldest_pending_seconds");

    /** What the collector needs to know. */
    public record Props(
            Names names,
            String account,
            String region,
            FargateTaskDefinition taskDefinition,
            ILogGroup containerLogs,
            RetentionDays retention,
            Protection protection) {}

    private final LogGroup logGroup;
    private final String namespace;

    public MetricsCollector(Construct scope, String id, Props props) {
        super(scope, id);
        this.namespace = namespace(props.names());
        this.logGroup = LogGroup.Builder.create(this, "Logs")
                .logGroupName(logGroupName(props.names()))
                .retention(props.retention())
                .removalPolicy(props.protection().retainOrDestroy())
                .build();
        // logs:CreateLogStream and logs:PutLogEvents on this group only.
        logGroup.grantWrite(props.taskDefinition().getTaskRole());

        String repositoryArn =
                "arn:aws:ecr:" + props.region() + ":" + props.account() + ":repository/" + COLLECTOR_REPOSITORY;
        props.taskDefinition()
                .addContainer(
                        CONTAINER,
                        ContainerDefinitionOptions.builder()
                                // Pull rights on exactly the cached repository (ecr:BatchGetImage, …).
                                .image(ContainerImage.fromEcrRepository(
                                        Repository.fromRepositoryArn(this, "CollectorRepository", repositoryArn),
                                        COLLECTOR_VERSION))
                                // ADOT reads its whole configuration from this variable (ADOT docs, "Setting up
                                // the collector on ECS": AOT_CONFIG_CONTENT); it holds no secret.
                                .environment(Map.of(
                                        "AOT_CONFIG_CONTENT",
                                        config(props.region(), namespace, logGroupName(props.names()))))
                                .user("10001")
                                .readonlyRootFilesystem(true)
                                // A hard limit per container (Control Tower CT.ECS.PR.7).
                                .memoryLimitMiB(MEMORY_MIB)
                                // Metrics are not worth a task: if the collector stops, the service keeps serving.
                                .essential(false)
                                .logging(LogDriver.awsLogs(AwsLogDriverProps.builder()
                                        .logGroup(props.containerLogs())
                                        .streamPrefix(CONTAINER)
                                        .build()))
                                .build());
        // The first pull through the cache imports the upstream image into a repository ECR creates (ECR user
        // guide, "Required IAM permissions for syncing an upstream registry": ecr:BatchImportUpstreamImage,
        // ecr:CreateRepository), on exactly that repository.
        props.taskDefinition()
                .obtainExecutionRole()
                .addToPrincipalPolicy(PolicyStatement.Builder.create()
                        .actions(List.of("ecr:BatchImportUpstreamImage", "ecr:CreateRepository"))
                        .resources(List.of(repositoryArn))
                        .build());
    }

    static String logGroupName(Names names) {
        return names.logGroup() + "/metrics";
    }

    static String namespace(Names names) {
        return "AgentIdP/" + names.environment();
    }

    /**
     * The collector's pipeline: the Prometheus receiver scrapes the service every 60 s and keeps only {@link
     * #METRICS}; awsemf turns counters into deltas and declares each kept metric with its only label
     * ({@code outcome}) and, rolled up, with none — so a ratio over all outcomes is one metric.
     */
    static String config(String region, String namespace, String logGroupName) {
        String keep = String.join("|", METRICS);
        return String.join(
                "\n",
                "receivers:",
                "  prometheus:",
                "    config:",
                "      scrape_configs:",
                "        - job_name: agentidp",
                "          scrape_interval: 60s",
                "          scrape_timeout: 10s",
                "          metrics_path: /metrics",
                "          static_configs:",
                "            - targets: ['localhost:" + Service.CONTAINER_PORT + "']",
                "          metric_relabel_configs:",
                "            - source_labels: [__name__]",
                "              regex: '" + keep + "'",
                "              action: keep",
                "processors:",
                // The task id (from the ECS task metadata endpoint) names each task's log stream.
                "  resourcedetection:",
                "    detectors: [env, ecs]",
                // awsemf adds the instrumentation scope's name as an OTelLib dimension to every metric; without a
                // scope name the alarms' dimension sets are exactly {outcome} and {}.
                "  transform/scope:",
                "    metric_statements:",
                "      - context: scope",
                "        statements:",
                "          - set(name, \"\")",
                "  batch/metrics:",
                "    timeout: 60s",
                "exporters:",
                "  awsemf:",
                "    region: " + region,
                "    namespace: " + namespace,
                "    log_group_name: '" + logGroupName + "'",
                "    log_stream_name: '{TaskId}'",
                "    dimension_rollup_option: ZeroDimensionRollup",
                "    metric_declarations:",
                "      - dimensions: [[outcome]]",
                "        metric_name_selectors: ['^(" + keep + ")$']",
                "service:",
                "  pipelines:",
                "    metrics:",
                "      receivers: [prometheus]",
                "      processors: [resourcedetection, transform/scope, batch/metrics]",
                "      exporters: [awsemf]",
                "");
    }

    public LogGroup logGroup() {
        return logGroup;
    }

    public String namespace() {
        return namespace;
    }
}
