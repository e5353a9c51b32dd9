package ai.sentryagent.agentidp.infra.aws;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.services.cloudwatch.Alarm;
import software.amazon.awscdk.services.cloudwatch.ComparisonOperator;
import software.amazon.awscdk.services.cloudwatch.IMetric;
import software.amazon.awscdk.services.cloudwatch.MathExpression;
import software.amazon.awscdk.services.cloudwatch.Metric;
import software.amazon.awscdk.services.cloudwatch.MetricOptions;
import software.amazon.awscdk.services.cloudwatch.TreatMissingData;
import software.amazon.awscdk.services.cloudwatch.actions.SnsAction;
import software.amazon.awscdk.services.elasticloadbalancingv2.HttpCodeElb;
import software.amazon.awscdk.services.elasticloadbalancingv2.HttpCodeTarget;
import software.amazon.awscdk.services.iam.AnyPrincipal;
import software.amazon.awscdk.services.iam.Effect;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.amazon.awscdk.services.kms.Key;
import software.amazon.awscdk.services.sns.ITopic;
import software.amazon.awscdk.services.sns.Topic;
import software.amazon.awscdk.services.sns.subscriptions.EmailSubscription;
import software.constructs.Construct;

/**
 * What to be woken up for: load balancer 5xx and p99 latency, unhealthy targets, ECS CPU and memory, RDS CPU, free
 * storage and connections, Redis CPU, memory and evictions, and the service's own signals from {@code /metrics}
 * (audit chain integrity, Redis degraded mode, dropped audit events, token error ratio). All go to one encrypted SNS topic, with an e-mail
 * subscription when {@code alarmEmail} is set, and to the existing topic {@code alarmTopicArn} when set; production
 * refuses to synthesize with neither (Settings), so an alarm always reaches a person.
 */
public final class Alarms extends Construct {
    /** What the alarms watch. */
    public record Props(
            Names names,
            Edge edge,
            Service service,
            Database database,
            Cache cache,
            MetricsCollector metrics,
            Optional<String> email,
            Optional<String> externalTopicArn) {}

    private final Topic topic;
    private final Optional<ITopic> external;

    public Alarms(Construct scope, String id, Props props) {
        super(scope, id);
        Key key = Key.Builder.create(this, "TopicKey")
                .description("AgentIdP alarm topic")
                .enableKeyRotation(true)
                .build();
        // CloudWatch publishes to an encrypted topic only with a customer managed key it may use.
        key.grant(new ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*");
        // Grants only for AWS services acting on AWS resources (Control Tower CT.KMS.PR.3).
        key.addToResourcePolicy(PolicyStatement.Builder.create()
                .sid("DenyCreateGrantExceptForAwsResources")
                .effect(Effect.DENY)
                .principals(List.of(new AnyPrincipal()))
                .actions(List.of("kms:CreateGrant"))
                .resources(List.of("*"))
                .conditions(Map.of(
                        "BoolIfExists",
                        Map.of("kms:GrantIsForAWSResource", "false", "aws:PrincipalIsAWSService", "false")))
                .build());
        this.topic = Topic.Builder.create(this, "Topic")
                .topicName(props.names().prefix() + "-alarms")
                .masterKey(key)
                .enforceSsl(true)
                .build();
        props.email().ifPresent(address -> topic.addSubscription(new EmailSubscription(address)));
        // An existing, already subscribed topic (an on-call tool's): every alarm notifies it too.
        this.external = props.externalTopicArn().map(arn -> Topic.fromTopicArn(this, "ExternalTopic", arn));

        var alb = props.edge().loadBalancer().getMetrics();
        var targets = props.edge().targetGroup().getMetrics();
        alarm(
                "Alb5xx",
                "load balancer 5xx responses",
                alb.httpCodeElb(HttpCodeElb.ELB_5XX_COUNT, sum()),
                10,
                1,
                ComparisonOperator.GREATER_THAN_THRESHOLD);
        alarm(
                "Target5xx",
                "service 5xx responses",
                targets.httpCodeTarget(HttpCodeTarget.TARGET_5XX_COUNT, sum()),
                10,
                1,
                ComparisonOperator.GREATER_THAN_THRESHOLD);
        alarm(
                "LatencyP99",
                "p99 response time above 1 s",
                targets.targetResponseTime(MetricOptions.builder()
                        .statistic("p99")
                        .period(Duration.minutes(5))
                        .build()),
                1,
                3,
                ComparisonOperator.GREATER_THAN_THRESHOLD);
        alarm(
                "UnhealthyHosts",
                "unhealthy tasks behind the load balancer",
                targets.unhealthyHostCount(MetricOptions.builder()
                        .statistic("Maximum")
                        .period(Duration.minutes(1))
                        .build()),
                1,
                2,
                ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD);
        alarm(
                "EcsCpu",
                "ECS service CPU above 80%",
                props.service().service().metricCpuUtilization(),
                80,
                3,
                ComparisonOperator.GREATER_THAN_THRESHOLD);
        alarm(
                "EcsMemory",
                "ECS service memory above 80%",
                props.service().service().metricMemoryUtilization(),
                80,
                3,
                ComparisonOperator.GREATER_THAN_THRESHOLD);
        var db = props.database().instance();
        alarm(
                "RdsCpu",
                "PostgreSQL CPU above 80%",
                db.metricCPUUtilization(),
                80,
                3,
                ComparisonOperator.GREATER_THAN_THRESHOLD);
        alarm(
                "RdsFreeStorage",
                "PostgreSQL free storage below 10 GiB",
                db.metricFreeStorageSpace(),
                10L * 1024 * 1024 * 1024,
                1,
                ComparisonOperator.LESS_THAN_THRESHOLD);
        alarm(
                "RdsConnections",
                "PostgreSQL connections above 400",
                db.metricDatabaseConnections(),
                400,
                3,
                ComparisonOperator.GREATER_THAN_THRESHOLD);
        serviceSignals(props.metrics());
        // ElastiCache reports per node: the primary and the replica of the single shard.
        for (String node : List.of("001", "002")) {
            String cluster = props.names().replicationGroup() + "-" + node;
            alarm(
                    "RedisCpu" + node,
                    "Redis node " + node + " engine CPU above 75%",
                    redisMetric("EngineCPUUtilization", cluster, "Average"),
                    75,
                    3,
                    ComparisonOperator.GREATER_THAN_THRESHOLD);
            alarm(
                    "RedisMemory" + node,
                    "Redis node " + node + " memory above 80%",
                    redisMetric("DatabaseMemoryUsagePercentage", cluster, "Average"),
                    80,
                    3,
                    ComparisonOperator.GREATER_THAN_THRESHOLD);
            alarm(
                    "RedisEvictions" + node,
                    "Redis node " + node + " evicting keys",
                    redisMetric("Evictions", cluster, "Sum"),
                    0,
                    1,
                    ComparisonOperator.GREATER_THAN_THRESHOLD);
        }
    }

    /**
     * The service's own signals (docs/operations.md, "What to alert on"), scraped by the collector into
     * {@code AgentIdP/<env>}: the audit chain failed verification; Redis degraded mode for 10 minutes; more than
     * 10 % of at least 20 token requests refused in each of two 5-minute periods (guessed secrets, or an outage).
     */
    private void serviceSignals(MetricsCollector metrics) {
        String namespace = metrics.namespace();
        alarm(
                "AuditChainIntegrity",
                "audit chain failed verification (agentidp_audit_chain_integrity = 0): someone changed the trail",
                serviceMetric(namespace, "agentidp_audit_chain_integrity", Map.of(), "Minimum"),
                1,
                1,
                ComparisonOperator.LESS_THAN_THRESHOLD);
        alarm(
                "RedisDegraded",
                "Redis degraded mode for 10 minutes (agentidp_redis_degraded = 1): limits are per task",
                serviceMetric(namespace, "agentidp_redis_degraded", Map.of(), "Maximum"),
                1,
                2,
                ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD);
        alarm(
                "AuditDropped",
                "audit events dropped (agentidp_audit_dropped_total increased)",
                serviceMetric(namespace, "agentidp_audit_dropped_total", Map.of(), "Sum"),
                0,
                1,
                ComparisonOperator.GREATER_THAN_THRESHOLD);
        // awsemf rolls each counter up to no dimension (every outcome) besides its outcome series; the collector
        // sends deltas, so a period's Sum is the requests in it.
        alarm(
                "TokenErrorRatio",
                "more than 10 % of token requests refused for 10 minutes (agentidp_tokens_issued_total by outcome)",
                MathExpression.Builder.create()
                        .expression("IF(total >= 20, 100 * (total - issued) / total, 0)")
                        .usingMetrics(Map.of(
                                "total",
                                serviceMetric(namespace, "agentidp_tokens_issued_total", Map.of(), "Sum"),
                                "issued",
                                serviceMetric(
                                        namespace, "agentidp_tokens_issued_total", Map.of("outcome", "issued"), "Sum")))
                        .label("token error %")
                        .period(Duration.minutes(5))
                        .build(),
                10,
                2,
                ComparisonOperator.GREATER_THAN_THRESHOLD);
    }

    private static Metric serviceMetric(
            String namespace, String name, Map<String, String> dimensions, String statistic) {
        return Metric.Builder.create()
                .namespace(namespace)
                .metricName(name)
                .dimensionsMap(dimensions)
                .statistic(statistic)
                .period(Duration.minutes(5))
                .build();
    }

    private static MetricOptions sum() {
        return MetricOptions.builder()
                .statistic("Sum")
                .period(Duration.minutes(5))
                .build();
    }

    private static Metric redisMetric(String name, String cacheClusterId, String statistic) {
        return Metric.Builder.create()
                .namespace("AWS/ElastiCache")
                .metricName(name)
                .dimensionsMap(Map.of("CacheClusterId", cacheClusterId))
                .statistic(statistic)
                .period(Duration.minutes(5))
                .build();
    }

    private void alarm(
            String id,
            String description,
            IMetric metric,
            double threshold,
            int periods,
            ComparisonOperator comparison) {
        Alarm alarm = Alarm.Builder.create(this, id)
                .alarmDescription("AgentIdP: " + description)
                .metric(metric)
                .threshold(threshold)
                .evaluationPeriods(periods)
                .comparisonOperator(comparison)
                .treatMissingData(TreatMissingData.NOT_BREACHING)
                .build();
        alarm.addAlarmAction(new SnsAction(topic));
        alarm.addOkAction(new SnsAction(topic));
        external.ifPresent(other -> {
            alarm.addAlarmAction(new SnsAction(other));
            alarm.addOkAction(new SnsAction(other));
        });
    }

    public Topic topic() {
        return topic;
    }
}
