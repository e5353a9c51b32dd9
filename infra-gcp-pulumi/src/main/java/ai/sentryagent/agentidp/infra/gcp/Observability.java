package ai.sentryagent.agentidp.infra.gcp;

import com.pulumi.core.Output;
import com.pulumi.gcp.logging.ProjectBucketConfig;
import com.pulumi.gcp.logging.ProjectBucketConfigArgs;
import com.pulumi.gcp.monitoring.AlertPolicy;
import com.pulumi.gcp.monitoring.AlertPolicyArgs;
import com.pulumi.gcp.monitoring.NotificationChannel;
import com.pulumi.gcp.monitoring.NotificationChannelArgs;
import com.pulumi.gcp.monitoring.UptimeCheckConfig;
import com.pulumi.gcp.monitoring.UptimeCheckConfigArgs;
import com.pulumi.gcp.monitoring.inputs.AlertPolicyConditionArgs;
import com.pulumi.gcp.monitoring.inputs.AlertPolicyConditionConditionPrometheusQueryLanguageArgs;
import com.pulumi.gcp.monitoring.inputs.AlertPolicyConditionConditionThresholdAggregationArgs;
import com.pulumi.gcp.monitoring.inputs.AlertPolicyConditionConditionThresholdArgs;
import com.pulumi.gcp.monitoring.inputs.AlertPolicyConditionConditionThresholdDenominatorAggregationArgs;
import com.pulumi.gcp.monitoring.inputs.AlertPolicyDocumentationArgs;
import com.pulumi.gcp.monitoring.inputs.UptimeCheckConfigHttpCheckAcceptedResponseStatusCodeArgs;
import com.pulumi.gcp.monitoring.inputs.UptimeCheckConfigHttpCheckArgs;
import com.pulumi.gcp.monitoring.inputs.UptimeCheckConfigMonitoredResourceArgs;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;
import com.pulumi.resources.Resource;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What reaches a person, and what is kept: an e-mail notification channel ({@code agentidp:alertEmail}, required in
 * production), alert policies on Cloud Run, Cloud SQL and Memorystore, on an uptime check of {@code /health/ready}
 * through the domain, and on the service's own signals scraped by Google Managed Prometheus (docs/operations.md,
 * "What to alert on"); and the retention of the project's {@code _Default} log bucket, as code.
 */
public final class Observability extends ComponentResource {
    /** The service's own signals, in PromQL (Managed Service for Prometheus keeps the metric names). */
    static final String AUDIT_CHAIN_BROKEN = "max(agentidp_audit_chain_integrity) < 1";

    static final String REDIS_DEGRADED = "max(agentidp_redis_degraded) > 0";
    static final String AUDIT_EVENTS_LOST = "sum(increase(agentidp_audit_dropped_total[5m])) > 0";
    /** Token requests that were refused, as a share of all token requests (a client guessing, or an outage). */
    static final String TOKEN_ERROR_RATIO = "sum(rate(agentidp_tokens_issued_total{outcome!=\"issued\"}[5m]))"
            + " / sum(rate(agentidp_tokens_issued_total[5m])) > 0.2";

    private final Optional<NotificationChannel> channel;
    private final CustomResourceOptions child;
    private final String project;

    public Observability(
            String name,
            GcpConfig config,
            Output<String> cloudRunService,
            Output<String> sqlDatabaseId,
            Output<String> redisInstanceId,
            List<Resource> apis) {
        super(
                "agentidp:gcp:Observability",
                name,
                ComponentResourceOptions.builder().build());
        this.project = config.project();
        this.child =
                CustomResourceOptions.builder().parent(this).dependsOn(apis).build();

        // The project's _Default bucket exists already: the provider adopts and updates it (it never creates or
        // deletes _Default; a destroy only forgets it), so its retention is code like every other setting.
        new ProjectBucketConfig(
                name + "-log-retention",
                ProjectBucketConfigArgs.builder()
                        .project(config.project())
                        .location("global")
                        .bucketId("_Default")
                        .retentionDays(config.logRetentionDays())
                        .build(),
                child);

        this.channel = config.alertEmail()
                .map(email -> new NotificationChannel(
                        name + "-email",
                        NotificationChannelArgs.builder()
                                .project(config.project())
                                .type("email")
                                .displayName("AgentIdP " + config.stack() + " on-call")
                                .labels(Map.of("email_address", email))
                                .build(),
                        child));

        UptimeCheckConfig uptime = new UptimeCheckConfig(
                name + "-uptime",
                UptimeCheckConfigArgs.builder()
                        .project(config.project())
                        .displayName("AgentIdP " + config.stack() + " /health/ready")
                        // The minimum timeout and period that make sense for a page (Cloud Monitoring, "Create
                        // public uptime checks": timeout 1-60 s, period 1, 5, 10 or 15 minutes).
                        .timeout("10s")
                        .period("60s")
                        .monitoredResource(UptimeCheckConfigMonitoredResourceArgs.builder()
                                .type("uptime_url")
                                .labels(Map.of("project_id", config.project(), "host", config.domain()))
                                .build())
                        .httpCheck(UptimeCheckConfigHttpCheckArgs.builder()
                                .path("/health/ready")
                                .port(443)
                                .useSsl(true)
                                .validateSsl(true)
                                .requestMethod("GET")
                                .acceptedResponseStatusCodes(
                                        List.of(UptimeCheckConfigHttpCheckAcceptedResponseStatusCodeArgs.builder()
                                                .statusClass("STATUS_CLASS_2XX")
                                                .build()))
                                .build())
                        .build(),
                child);

        String run = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"%s\"";
        threshold(
                name + "-uptime-failing",
                "/health/ready failing from more than one region",
                Output.format(
                        "metric.type=\"monitoring.googleapis.com/uptime_check/check_passed\" AND"
                                + " metric.labels.check_id=\"%s\" AND resource.type=\"uptime_url\"",
                        uptime.uptimeCheckId()),
                null,
                1,
                "120s",
                "ALIGN_NEXT_OLDER",
                "REDUCE_COUNT_FALSE",
                List.of("resource.label.*"),
                "The uptime check of https://" + config.domain() + "/health/ready fails: PostgreSQL or Redis is"
                        + " unreachable, or the load balancer cannot reach Cloud Run.");
        threshold(
                name + "-5xx-ratio",
                "More than 1% of requests answered 5xx",
                Output.format(
                        run + " AND metric.type=\"run.googleapis.com/request_count\""
                                + " AND metric.labels.response_code_class=\"5xx\"",
                        cloudRunService),
                Output.format(run + " AND metric.type=\"run.googleapis.com/request_count\"", cloudRunService),
                0.01,
                "300s",
                "ALIGN_RATE",
                "REDUCE_SUM",
                List.of(),
                "Requests answered 5xx: the service or a dependency is failing (a client's mistake is always 4xx).");
        threshold(
                name + "-latency-p99",
                "p99 latency above 500 ms",
                Output.format(run + " AND metric.type=\"run.googleapis.com/request_latencies\"", cloudRunService),
                null,
                500,
                "600s",
                "ALIGN_PERCENTILE_99",
                "REDUCE_MAX",
                List.of(),
                "p99 request latency over 500 ms for 10 minutes.");
        threshold(
                name + "-instances-at-max",
                "Cloud Run at its maximum instance count",
                Output.format(
                        run + " AND metric.type=\"run.googleapis.com/container/instance_count\"", cloudRunService),
                null,
                // Only GT and LT are supported by threshold conditions (Cloud Monitoring API, ComparisonType); the
                // count is whole, so "> max - 0.5" is "at max".
                config.maxInstances() - 0.5,
                "600s",
                "ALIGN_MAX",
                "REDUCE_SUM",
                List.of(),
                "The service has run at agentidp:maxInstances (" + config.maxInstances() + ") for 10 minutes:"
                        + " requests queue; raise the maximum.");
        String sql = "resource.type=\"cloudsql_database\" AND resource.labels.database_id=\"%s\"";
        threshold(
                name + "-sql-cpu",
                "Cloud SQL CPU above 80%",
                Output.format(
                        sql + " AND metric.type=\"cloudsql.googleapis.com/database/cpu/utilization\"", sqlDatabaseId),
                null,
                0.8,
                "600s",
                "ALIGN_MEAN",
                "REDUCE_MAX",
                List.of(),
                "Cloud SQL CPU over 80% for 10 minutes: raise agentidp:sqlTier.");
        threshold(
                name + "-sql-disk",
                "Cloud SQL disk above 85%",
                Output.format(
                        sql + " AND metric.type=\"cloudsql.googleapis.com/database/disk/utilization\"", sqlDatabaseId),
                null,
                0.85,
                "600s",
                "ALIGN_MEAN",
                "REDUCE_MAX",
                List.of(),
                "Cloud SQL disk over 85% (it autoresizes; this means it grows fast or hit its limit).");
        // Each instance opens at most DB_POOL_MAX (20) + 1 connections (docs/environment-variables.md).
        double connections = 0.8 * config.maxInstances() * 21;
        threshold(
                name + "-sql-connections",
                "Cloud SQL connections near what the service may open",
                Output.format(
                        sql + " AND metric.type=\"cloudsql.googleapis.com/database/postgresql/num_backends\"",
                        sqlDatabaseId),
                null,
                connections,
                "600s",
                "ALIGN_MEAN",
                "REDUCE_SUM",
                List.of(),
                "PostgreSQL backends above 80% of maxInstances × (DB_POOL_MAX + 1): pools are saturated.");
        threshold(
                name + "-redis-memory",
                "Memorystore memory above 80%",
                Output.format(
                        "resource.type=\"redis_instance\" AND resource.labels.instance_id=\"%s\""
                                + " AND metric.type=\"redis.googleapis.com/stats/memory/usage_ratio\"",
                        redisInstanceId),
                null,
                0.8,
                "600s",
                "ALIGN_MEAN",
                "REDUCE_MAX",
                List.of(),
                "Memorystore memory over 80% of agentidp:redisMemorySizeGb: evictions would drop rate-limit windows.");
        promql(
                name + "-audit-chain",
                "Audit chain broken (page)",
                AUDIT_CHAIN_BROKEN,
                "0s",
                "agentidp_audit_chain_integrity is 0: someone changed the audit trail (docs/operations.md).");
        promql(
                name + "-audit-lost",
                "Audit events lost (page)",
                AUDIT_EVENTS_LOST,
                "0s",
                "agentidp_audit_dropped_total grew: audit events were lost (docs/operations.md).");
        promql(
                name + "-redis-degraded",
                "Redis degraded mode for 10 minutes",
                REDIS_DEGRADED,
                "600s",
                "agentidp_redis_degraded is 1: limits are per instance while it lasts (docs/operations.md).");
        promql(
                name + "-token-errors",
                "Token error ratio above 20%",
                TOKEN_ERROR_RATIO,
                "600s",
                "More than a fifth of token requests refused for 10 minutes: someone guessing secrets, or an outage.");
        registerOutputs(Map.of());
    }

    private List<Output<String>> channels() {
        return channel.map(c -> List.of(c.name())).orElse(List.of());
    }

    private void threshold(
            String name,
            String displayName,
            Output<String> filter,
            Output<String> denominator,
            double value,
            String duration,
            String aligner,
            String reducer,
            List<String> groupBy,
            String documentation) {
        AlertPolicyConditionConditionThresholdAggregationArgs aggregation =
                AlertPolicyConditionConditionThresholdAggregationArgs.builder()
                        .alignmentPeriod("60s")
                        .perSeriesAligner(aligner)
                        .crossSeriesReducer(reducer)
                        .groupByFields(groupBy)
                        .build();
        AlertPolicyConditionConditionThresholdArgs.Builder condition =
                AlertPolicyConditionConditionThresholdArgs.builder()
                        .filter(filter)
                        .comparison("COMPARISON_GT")
                        .thresholdValue(value)
                        .duration(duration)
                        .aggregations(List.of(aggregation));
        if (denominator != null) {
            condition
                    .denominatorFilter(denominator)
                    .denominatorAggregations(
                            List.of(AlertPolicyConditionConditionThresholdDenominatorAggregationArgs.builder()
                                    .alignmentPeriod("60s")
                                    .perSeriesAligner(aligner)
                                    .crossSeriesReducer(reducer)
                                    .groupByFields(groupBy)
                                    .build()));
        }
        policy(
                name,
                displayName,
                documentation,
                AlertPolicyConditionArgs.builder()
                        .displayName(displayName)
                        .conditionThreshold(condition.build())
                        .build());
    }

    private void promql(String name, String displayName, String query, String duration, String documentation) {
        policy(
                name,
                displayName,
                documentation,
                AlertPolicyConditionArgs.builder()
                        .displayName(displayName)
                        .conditionPrometheusQueryLanguage(
                                AlertPolicyConditionConditionPrometheusQueryLanguageArgs.builder()
                                        .query(query)
                                        .duration(duration)
                                        .evaluationInterval("60s")
                                        .build())
                        .build());
    }

    private void policy(String name, String displayName, String documentation, AlertPolicyConditionArgs condition) {
        new AlertPolicy(
                name,
                AlertPolicyArgs.builder()
                        .project(project)
                        .displayName("AgentIdP: " + displayName)
                        .combiner("OR")
                        .conditions(List.of(condition))
                        .notificationChannels(Output.all(channels()))
                        .documentation(AlertPolicyDocumentationArgs.builder()
                                .content(documentation)
                                .mimeType("text/markdown")
                                .build())
                        .build(),
                child);
    }
}
