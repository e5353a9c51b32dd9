package ai.sentryagent.agentidp.infra.aws;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.App;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

/** The service's own /metrics on AWS: the collector sidecar, its rights, and the alarms on what it writes. */
class ServiceSignalsTest {
    private static Template template;
    private static Template registry;
    private static Map<?, ?> service;
    private static Map<?, ?> collector;
    private static String config;

    @BeforeAll
    static void synthesize() {
        App app = CdkContext.app(Map.of("env", "production"));
        template = Template.fromStack(AgentIdpApp.build(app, CdkContext.repositoryRoot()));
        registry = Template.fromStack((Stack) app.getNode().findChild(Registry.STACK));
        Map<?, ?> properties = (Map<?, ?>) template.findResources(
                        "AWS::ECS::TaskDefinition",
                        Map.of("Properties", Map.of("Family", "sentryagent-agentidp-production")))
                .values()
                .iterator()
                .next()
                .get("Properties");
        for (Object container : (List<?>) properties.get("ContainerDefinitions")) {
            Map<?, ?> c = (Map<?, ?>) container;
            if (c.get("Name").equals("agentidp")) {
                service = c;
            } else if (c.get("Name").equals(MetricsCollector.CONTAINER)) {
                collector = c;
            }
        }
        config = ((List<?>) collector.get("Environment"))
                .stream()
                        .map(Map.class::cast)
                        .filter(e -> e.get("Name").equals("AOT_CONFIG_CONTENT"))
                        .map(e -> e.get("Value").toString())
                        .findFirst()
                        .orElseThrow();
    }

    /**
     * Containers of an awsvpc task share one network namespace, so the collector reaches the service on localhost
     * at the service's container port (ECS developer guide, "awsvpc network mode"). Its scrape path is the one the
     * service serves its metrics on (docs/operations.md).
     */
    @Test
    void theCollectorScrapesTheServiceOnLocalhost() throws Exception {
        Object port = ((Map<?, ?>) ((List<?>) service.get("PortMappings")).get(0)).get("ContainerPort");
        assertThat(config).contains("targets: ['localhost:" + port + "']").contains("metrics_path: /metrics");
        assertThat(Files.readString(CdkContext.repositoryRoot().resolve("docs/operations.md")))
                .contains("| `GET /metrics` | Prometheus |");
    }

    /**
     * A bounded metric set: the scrape keeps only named metrics, each one the service documents (docs/operations.md's
     * metrics table), so CloudWatch's per-metric bill cannot grow with new series.
     */
    @Test
    void onlyDocumentedMetricsAreKept() throws Exception {
        String operations = Files.readString(CdkContext.repositoryRoot().resolve("docs/operations.md"));
        assertThat(config).contains("action: keep").contains("regex: '" + String.join("|", MetricsCollector.METRICS));
        for (String metric : MetricsCollector.METRICS) {
            assertThat(operations).as(metric).contains("`" + metric + "`");
        }
    }

    /**
     * Fargate: the containers' hard memory limits must fit in the task's memory (ECS developer guide, "Task size":
     * "the sum of the memory of all containers ... cannot exceed the task memory"); every container has one
     * (Control Tower CT.ECS.PR.7). The collector is not essential: its exit does not stop the task.
     */
    @Test
    void bothContainersFitTheTasksMemory() {
        assertThat(((Number) service.get("Memory")).intValue() + ((Number) collector.get("Memory")).intValue())
                .isLessThanOrEqualTo(2048);
        assertThat(collector.get("Essential")).isEqualTo(false);
        assertThat(collector.get("ReadonlyRootFilesystem")).isEqualTo(true);
        assertThat(collector.get("User")).isEqualTo("10001");
    }

    /**
     * The tasks reach ECR only through its VPC endpoints: the collector's image is an ECR Public image pulled
     * through the registry's cache rule (ECR user guide, "Sync an upstream registry": {@code <prefix>/<upstream
     * path>}), pinned to a release, never latest; the execution role may import exactly that repository (ECR user
     * guide, "Required IAM permissions": ecr:BatchImportUpstreamImage, ecr:CreateRepository).
     */
    @Test
    void theCollectorImageComesThroughThePullThroughCachePinned() {
        registry.hasResourceProperties(
                "AWS::ECR::PullThroughCacheRule",
                Map.of("EcrRepositoryPrefix", "ecr-public", "UpstreamRegistryUrl", "public.ecr.aws"));
        assertThat(collector.get("Image").toString())
                .contains("/ecr-public/aws-observability/aws-otel-collector:v0.45.1")
                .doesNotContain(":latest");
        template.hasResourceProperties(
                "AWS::IAM::Policy",
                Map.of(
                        "PolicyDocument",
                        Map.of(
                                "Statement",
                                Match.arrayWith(List.of(Match.objectLike(Map.of(
                                        "Action",
                                        List.of("ecr:BatchImportUpstreamImage", "ecr:CreateRepository"),
                                        "Resource",
                                        "arn:aws:ecr:us-east-1:123456789012:repository/ecr-public/"
                                                + "aws-observability/aws-otel-collector")))))));
    }

    /**
     * Least privilege: EMF needs only PutLogEvents on the target group (CloudWatch user guide, "Embedded metric
     * format": metrics are extracted from the log events; no cloudwatch:PutMetricData), so the task role may write
     * to the metrics log group and nothing else in CloudWatch.
     */
    @Test
    void theTaskRoleMayOnlyWriteTheMetricsLogGroup() {
        String policies = template.findResources("AWS::IAM::Policy").toString();
        assertThat(policies).doesNotContain("cloudwatch:PutMetricData");
        template.hasResourceProperties(
                "AWS::Logs::LogGroup",
                Map.of("LogGroupName", "/ecs/sentryagent-agentidp-production/metrics", "RetentionInDays", 365));
        assertThat(config).contains("log_group_name: '/ecs/sentryagent-agentidp-production/metrics'");
        template.hasResourceProperties(
                "AWS::IAM::Policy",
                Map.of(
                        "PolicyDocument",
                        Map.of(
                                "Statement",
                                Match.arrayWith(List.of(Match.objectLike(Map.of(
                                        "Action",
                                        List.of("logs:CreateLogStream", "logs:PutLogEvents"),
                                        "Resource",
                                        Match.objectLike(Map.of("Fn::GetAtt", Match.anyValue())))))))));
    }

    /**
     * docs/operations.md, "What to alert on": the audit chain integrity gauge at 0 pages, Redis degraded mode for
     * 10 minutes, dropped audit events; plus the token error ratio. Each watches the namespace the collector writes
     * to and notifies the alarm topic, like every other alarm.
     */
    @Test
    void theServiceSignalsAlarmAndReachThePerson() {
        String namespace = "AgentIdP/production";
        assertThat(config).contains("namespace: " + namespace);
        template.hasResourceProperties(
                "AWS::CloudWatch::Alarm",
                Match.objectLike(Map.of(
                        "Namespace",
                        namespace,
                        "MetricName",
                        "agentidp_audit_chain_integrity",
                        "Statistic",
                        "Minimum",
                        "ComparisonOperator",
                        "LessThanThreshold",
                        "Threshold",
                        1,
                        "AlarmActions",
                        Match.anyValue())));
        template.hasResourceProperties(
                "AWS::CloudWatch::Alarm",
                Match.objectLike(Map.of(
                        "Namespace",
                        namespace,
                        "MetricName",
                        "agentidp_redis_degraded",
                        "EvaluationPeriods",
                        2,
                        "Period",
                        300,
                        "AlarmActions",
                        Match.anyValue())));
        template.hasResourceProperties(
                "AWS::CloudWatch::Alarm",
                Match.objectLike(Map.of(
                        "Threshold",
                        10,
                        "Metrics",
                        Match.arrayWith(List.of(Match.objectLike(
                                Map.of("Expression", "IF(total >= 20, 100 * (total - issued) / total, 0)")))),
                        "AlarmActions",
                        Match.anyValue())));
    }
}
