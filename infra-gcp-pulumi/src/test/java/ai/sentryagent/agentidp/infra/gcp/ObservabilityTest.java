package ai.sentryagent.agentidp.infra.gcp;

import static ai.sentryagent.agentidp.infra.gcp.ProgramRun.list;
import static ai.sentryagent.agentidp.infra.gcp.ProgramRun.map;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.infra.gcp.GcpMocks.Registration;
import com.pulumi.test.PulumiTest;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Alerting that reaches a person, the uptime check, and log retention, against Cloud Monitoring's rules. */
class ObservabilityTest {
    private static ProgramRun run;
    private static List<Registration> policies;

    @BeforeAll
    static void run() {
        run = ProgramRun.of(GcpProgramTest.config("production", Map.of()));
        policies = run.mocks().ofType("gcp:monitoring/alertPolicy:AlertPolicy");
    }

    @AfterAll
    static void cleanup() {
        PulumiTest.cleanup();
    }

    private static Map<String, Object> condition(Registration policy) {
        return map(list(policy.inputs().get("conditions")).get(0));
    }

    @Test
    void everyPolicyNotifiesTheOnCallByEmail() {
        // Cloud Monitoring e-mail channels: type "email", the address in the email_address label.
        assertThat(run.inputs("gcp:monitoring/notificationChannel:NotificationChannel"))
                .containsEntry("type", "email")
                .containsEntry("labels", Map.of("email_address", "oncall@example.com"));
        assertThat(policies).hasSizeGreaterThanOrEqualTo(12);
        assertThat(policies)
                .allSatisfy(policy -> assertThat(policy.inputs())
                        .as(policy.name())
                        .containsEntry("notificationChannels", List.of(GcpMocks.NOTIFICATION_CHANNEL))
                        .containsEntry("combiner", "OR"));
    }

    /**
     * Monitoring API AlertPolicy.Condition: exactly one condition type per condition; a threshold condition
     * compares with COMPARISON_GT or COMPARISON_LT (ComparisonType: "only COMPARISON_LT and COMPARISON_GT are
     * supported currently"); alignment periods are at least 60 s.
     */
    @Test
    void everyConditionHasOneTypeAndAComparisonTheApiSupports() {
        for (Registration policy : policies) {
            Map<String, Object> condition = condition(policy);
            List<String> kinds = condition.keySet().stream()
                    .filter(k -> k.startsWith("condition"))
                    .toList();
            assertThat(kinds).as(policy.name()).hasSize(1);
            if (condition.containsKey("conditionThreshold")) {
                Map<String, Object> threshold = map(condition.get("conditionThreshold"));
                assertThat(threshold.get("comparison")).isIn("COMPARISON_GT", "COMPARISON_LT");
                for (Object aggregation : list(threshold.get("aggregations"))) {
                    assertThat(map(aggregation)).containsEntry("alignmentPeriod", "60s");
                }
            }
        }
    }

    private static List<String> filters() {
        return policies.stream()
                .map(ObservabilityTest::condition)
                .filter(c -> c.containsKey("conditionThreshold"))
                .map(c -> String.valueOf(map(c.get("conditionThreshold")).get("filter")))
                .toList();
    }

    /**
     * The list: Cloud Run 5xx ratio, p99 latency, instance count at max, Cloud SQL CPU / disk / connections,
     * Memorystore memory — each on this stack's resource, by the label the monitored resource type defines
     * (cloud_run_revision.service_name, cloudsql_database.database_id = "project:instance", redis_instance.instance_id).
     */
    @Test
    void thePlatformSignalsAreWatchedOnThisStacksResources() {
        String run = "resource.labels.service_name=\"sentryagent-agentidp-production\"";
        String sql = "resource.labels.database_id=\"my-gcp-project-id:sentryagent-agentidp-production-pg14\"";
        String redis = "resource.labels.instance_id=\"projects/my-gcp-project-id/locations/us-central1/instances/"
                + "sentryagent-agentidp-production\"";
        assertThat(filters())
                .anySatisfy(f -> assertThat(f).contains(run, "run.googleapis.com/request_count", "5xx"))
                .anySatisfy(f -> assertThat(f).contains(run, "run.googleapis.com/request_latencies"))
                .anySatisfy(f -> assertThat(f).contains(run, "run.googleapis.com/container/instance_count"))
                .anySatisfy(f -> assertThat(f).contains(sql, "cloudsql.googleapis.com/database/cpu/utilization"))
                .anySatisfy(f -> assertThat(f).contains(sql, "cloudsql.googleapis.com/database/disk/utilization"))
                .anySatisfy(f -> assertThat(f).contains(sql, "postgresql/num_backends"))
                .anySatisfy(f -> assertThat(f).contains(redis, "redis.googleapis.com/stats/memory/usage_ratio"));
        Map<String, Object> ratio = policies.stream()
                .map(ObservabilityTest::condition)
                .map(c -> map(c.get("conditionThreshold")))
                .filter(t -> t != null && t.containsKey("denominatorFilter"))
                .findFirst()
                .orElseThrow();
        assertThat((Double) ratio.get("thresholdValue")).isEqualTo(0.01);
        assertThat(String.valueOf(ratio.get("denominatorFilter"))).doesNotContain("5xx");
    }

    /** The instance count is whole: "> max − 0.5" fires exactly at agentidp:maxInstances. */
    @Test
    void theInstanceAlertFiresAtTheConfiguredMaximum() {
        Map<String, Object> threshold = policies.stream()
                .map(ObservabilityTest::condition)
                .map(c -> map(c.get("conditionThreshold")))
                .filter(t -> t != null && String.valueOf(t.get("filter")).contains("instance_count"))
                .findFirst()
                .orElseThrow();
        double value = (Double) threshold.get("thresholdValue");
        assertThat(10 > value).as("at 10 of 10").isTrue();
        assertThat(9 > value).as("not at 9").isFalse();
    }

    /** The service's own signals, scraped by Managed Prometheus (docs/operations.md, "What to alert on"). */
    @Test
    void theServicesOwnSignalsAlertThroughPromql() {
        List<String> queries = policies.stream()
                .map(ObservabilityTest::condition)
                .filter(c -> c.containsKey("conditionPrometheusQueryLanguage"))
                .map(c -> String.valueOf(
                        map(c.get("conditionPrometheusQueryLanguage")).get("query")))
                .toList();
        assertThat(queries)
                .anySatisfy(q ->
                        assertThat(q).contains("agentidp_audit_chain_integrity").contains("< 1"))
                .anySatisfy(q -> assertThat(q).contains("agentidp_redis_degraded"))
                .anySatisfy(q -> assertThat(q).contains("agentidp_audit_dropped_total"))
                .anySatisfy(q -> assertThat(q).contains("agentidp_tokens_issued_total{outcome!=\"issued\"}"));
    }

    /**
     * Uptime checks (Cloud Monitoring, "Create public uptime checks"): an uptime_url resource needs project_id and
     * host; timeout at most 60 s; period 60 s, 300 s, 600 s or 900 s. It checks readiness through the domain, so it
     * also proves the certificate, the load balancer and Cloud Armor let a genuine request through.
     */
    @Test
    void theUptimeCheckProbesReadinessThroughTheDomain() {
        Map<String, Object> check = run.inputs("gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig");
        assertThat(map(check.get("monitoredResource")))
                .containsEntry("type", "uptime_url")
                .containsEntry("labels", Map.of("project_id", "my-gcp-project-id", "host", "idp-gcp.example.com"));
        assertThat(map(check.get("httpCheck")))
                .containsEntry("path", "/health/ready")
                .containsEntry("port", 443.0)
                .containsEntry("useSsl", true)
                .containsEntry("validateSsl", true);
        assertThat(check.get("period")).isIn("60s", "300s", "600s", "900s");
        assertThat(Integer.parseInt(String.valueOf(check.get("timeout")).replace("s", "")))
                .isBetween(1, 60);
        assertThat(filters())
                .anySatisfy(f -> assertThat(f)
                        .contains("uptime_check/check_passed")
                        .contains("check_id=\"" + GcpMocks.UPTIME_CHECK_ID + "\""));
    }

    /** Cloud Logging: the _Default bucket lives in "global"; custom retention is 1 to 3650 days. */
    @Test
    void logRetentionIsCode() {
        Map<String, Object> bucket = run.inputs("gcp:logging/projectBucketConfig:ProjectBucketConfig");
        assertThat(bucket).containsEntry("bucketId", "_Default").containsEntry("location", "global");
        assertThat((Double) bucket.get("retentionDays")).isEqualTo(365.0).isBetween(1.0, 3650.0);
    }

    @Test
    void everyPolicySaysWhatToDo() {
        Map<String, Object> docs = policies.stream()
                .collect(Collectors.toMap(Registration::name, p -> p.inputs().get("documentation")));
        assertThat(docs.values())
                .allSatisfy(doc ->
                        assertThat(String.valueOf(map(doc).get("content"))).isNotBlank());
    }
}
