package ai.sentryagent.agentidp.observability;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.Match;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.stream.Collectors;

/**
 * The service's Prometheus metrics, prefixed {@code agentidp_}, plus JVM and process metrics. One instance per
 * process, shared by every verticle. The per-request HTTP metrics are measured by Vert.x itself
 * (vertx-micrometer-metrics, through the metrics SPI of the {@link Vertx} that {@link #createVertx()} builds) with the
 * route name Vert.x Web reports for the matched route; this class only names them and bounds their labels.
 */
public final class Metrics {
    /**
     * The method label's values: the methods the API serves. Every label value comes from a fixed set, never from
     * the request verbatim: each new value is a counter plus a ~70-bucket histogram that lives until the process
     * dies (F-13: random method names exhausted the heap in seconds).
     */
    static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PATCH", "DELETE", "OPTIONS");

    /** The request counter, labelled {@code method}, {@code route}, {@code status}. */
    static final String HTTP_REQUESTS = "agentidp_http_requests_total";

    /** The latency histogram, labelled {@code method}, {@code route}. */
    static final String HTTP_DURATION = "agentidp_http_request_duration_seconds";

    /** The route label of a request no route matched (404 scans, 405, a method the server does not parse). */
    static final String UNMATCHED = "unmatched";

    // The names vertx-micrometer-metrics gives the two meters operations and the tests rely on (MetricsNaming
    // always prefixes "vertx.http.server.").
    private static final String VERTX_REQUESTS = "vertx.http.server.requests";
    private static final String VERTX_RESPONSE_TIME = "vertx.http.server.response.time";

    // One tag list per served method, built once: the provider runs on every request.
    private static final Map<HttpMethod, List<Tag>> METHOD_TAGS = METHODS.stream()
            .collect(Collectors.toUnmodifiableMap(HttpMethod::valueOf, method -> List.of(Tag.of("method", method))));
    private static final List<Tag> OTHER_METHOD = List.of(Tag.of("method", "other"));

    /** The token endpoint's outcomes: issued, rate_limited, or an RFC 6749 §5.2 error code. */
    static final Set<String> TOKEN_OUTCOMES = Set.of(
            "issued",
            "rate_limited",
            "invalid_request",
            "invalid_client",
            "invalid_grant",
            "unauthorized_client",
            "unsupported_grant_type",
            "invalid_scope",
            "invalid_target",
            "server_error",
            "temporarily_unavailable");

    static final String OTHER = "other";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicInteger redisDegraded = new AtomicInteger();
    private final AtomicInteger auditChainIntegrity = new AtomicInteger(1);

    // Registered up front: a counter that exists only after its first event reads as "no data" in an alert, and
    // appears mid-scrape as a new series.
    private final Counter auditQuarantined;
    private final Counter auditVerifications;
    private final Counter auditVerifiedEvents;

    public Metrics() {
        // Before any meter exists: a filter applies only to meters registered after it.
        registry.config().meterFilter(HTTP_NAMES);
        auditQuarantined = Counter.builder("agentidp_audit_quarantined_total")
                .description("audit events refused permanently by PostgreSQL (class 22/23) and quarantined")
                .register(registry);
        auditVerifications = Counter.builder("agentidp_audit_verifications_total")
                .description("audit chain checks run (concurrent requests share one)")
                .register(registry);
        auditVerifiedEvents = Counter.builder("agentidp_audit_verified_events_total")
                .description("audit events hashed by chain checks (each check hashes only what is new)")
                .register(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        Gauge.builder("agentidp_redis_degraded", redisDegraded, AtomicInteger::get)
                .description("1 while Redis is unreachable and rate limits are enforced per process")
                .register(registry);
        Gauge.builder("agentidp_audit_chain_integrity", auditChainIntegrity, AtomicInteger::get)
                .description("1 when the audit hash chain verified at the last check, 0 when it is broken")
                .register(registry);
    }

    /** The PostgreSQL pool's size and limit. */
    public void bindPool(IntSupplier size, int max) {
        Gauge.builder("agentidp_db_pool_connections", size, s -> s.getAsInt())
                .description("connections currently open in the PostgreSQL pool")
                // The supplier is referenced only here: a weak reference would read NaN after the next GC.
                .strongReference(true)
                .register(registry);
        Gauge.builder("agentidp_db_pool_max_connections", () -> max)
                .description("the PostgreSQL pool's limit (DB_POOL_MAX)")
                .register(registry);
    }

    /** Which algorithm and JCA provider sign tokens: a provider fallback shows here, not only in one log line. */
    public void signer(String algorithm, String provider) {
        Gauge.builder("agentidp_token_signer", () -> 1)
                .strongReference(true)
                .description("1, labelled with the token signing algorithm and the JCA provider that signs")
                .tag("algorithm", algorithm)
                .tag("provider", provider)
                .register(registry);
    }

    public void tokenRequest(String outcome) {
        Counter.builder("agentidp_tokens_issued_total")
                .description("token endpoint requests by outcome (issued, or the OAuth error)")
                .tag("outcome", TOKEN_OUTCOMES.contains(outcome) ? outcome : OTHER)
                .register(registry)
                .increment();
    }

    /** Why the edge refused a request or closed a connection to bound memory (F-17, F-27). */
    public enum EdgeRefusal {
        BODY_BUDGET,
        BODY_TIMEOUT,
        UNREAD_RESPONSES
    }

    public void edgeRefusal(EdgeRefusal reason) {
        Counter.builder("agentidp_http_edge_refusals_total")
                .description("requests refused or connections closed to bound memory: body budget exhausted, body"
                        + " not complete in time, pipelined responses not read")
                .tag("reason", reason.name().toLowerCase(Locale.ROOT))
                .register(registry)
                .increment();
    }

    public void rateLimitRejection(String reason) {
        Counter.builder("agentidp_rate_limit_rejections_total")
                .description("requests refused by rate limiting")
                .tag("reason", reason)
                .register(registry)
                .increment();
    }

    public void policyDecision(String source, String decision) {
        Counter.builder("agentidp_policy_decisions_total")
                .description("authorization decisions by source (local, opa) and result")
                .tag("source", source)
                .tag("decision", decision)
                .register(registry)
                .increment();
    }

    /** Counts an audit event that could not be queued; returns the total so far. */
    public long auditDropped() {
        Counter counter = Counter.builder("agentidp_audit_dropped_total")
                .description("audit events dropped because the write queue was full (PostgreSQL refusing writes)")
                .register(registry);
        counter.increment();
        return (long) counter.count();
    }

    public void redisDegraded(boolean degraded) {
        redisDegraded.set(degraded ? 1 : 0);
    }

    public void auditChainIntegrity(boolean intact) {
        auditChainIntegrity.set(intact ? 1 : 0);
    }

    /**
     * A Vert.x instance whose HTTP servers report every request into this registry. Metrics options exist only at
     * creation: the service's {@code Vertx} must come from here.
     */
    public Vertx createVertx() {
        return Vertx.builder()
                .with(new VertxOptions().setMetricsOptions(vertxMetricsOptions()))
                .withMetrics(new MicrometerMetricsFactory(registry))
                .build();
    }

    /**
     * Only the HTTP server is measured: pool, event bus, client and SQL/Redis metrics would cost every token request
     * more meter updates (each PostgreSQL query and Redis command) for series nobody reads. Labels: the route name
     * Vert.x Web reports (the row's template, {@code Route#setName}), the status code, and the method mapped onto
     * {@link #METHODS} before any meter sees it. Never the path: one series per scanned path.
     */
    MicrometerMetricsOptions vertxMetricsOptions() {
        MicrometerMetricsOptions options = new MicrometerMetricsOptions()
                .setEnabled(true)
                // vertx-micrometer-metrics keeps one registry per name for the whole JVM: a shared name would hand
                // a second instance (tests, a restart in-process) the first one's registry.
                .setRegistryName("agentidp-" + UUID.randomUUID())
                .setLabels(EnumSet.of(Label.HTTP_ROUTE, Label.HTTP_CODE))
                .setServerRequestTagsProvider(METHOD_LABEL)
                // No route matched: Vert.x reports no route name, the library an empty label.
                .addLabelMatch(new Match()
                        .setLabel(Label.HTTP_ROUTE.toString())
                        .setValue("")
                        .setAlias(UNMATCHED));
        for (MetricsDomain domain : MetricsDomain.values()) {
            if (domain != MetricsDomain.HTTP_SERVER) {
                options.addDisabledMetricsCategory(domain);
            }
        }
        // Client metrics are disabled by client type: the PostgreSQL pool ("sql") and Redis.
        return options.addDisabledMetricsCategory("sql").addDisabledMetricsCategory("redis");
    }

    private static final Function<HttpRequest, Iterable<Tag>> METHOD_LABEL =
            request -> METHOD_TAGS.getOrDefault(request.method(), OTHER_METHOD);

    /**
     * The library's request counter and response timer under the names the docs and alerts use, its {@code code}
     * label as {@code status}; the timer keeps only method and route (a histogram per status would multiply its
     * ~70 buckets) and publishes the buckets the p99 alert needs.
     *
     * <p>The route label is the last route the request passed: the library joins every route name with {@code >},
     * and Vert.x Web routes a failed request through its row again for the row's failure handler, so a refused token
     * request would otherwise count under {@code /api/v1/token>/api/v1/token}.
     */
    private static final MeterFilter HTTP_NAMES = new MeterFilter() {
        @Override
        public Meter.Id map(Meter.Id named) {
            String route = named.getTag("route");
            Meter.Id id = route == null || route.indexOf('>') < 0
                    ? named
                    : named.replaceTags(named.getTags().stream()
                            .map(tag -> tag.getKey().equals("route")
                                    ? Tag.of("route", route.substring(route.lastIndexOf('>') + 1))
                                    : tag)
                            .toList());
            return switch (id.getName()) {
                case VERTX_REQUESTS ->
                    id.withName(HTTP_REQUESTS)
                            .replaceTags(id.getTags().stream()
                                    .map(tag -> tag.getKey().equals("code") ? Tag.of("status", tag.getValue()) : tag)
                                    .toList());
                case VERTX_RESPONSE_TIME ->
                    id.withName(HTTP_DURATION)
                            .replaceTags(id.getTags().stream()
                                    .filter(tag -> !tag.getKey().equals("code"))
                                    .toList());
                default -> id;
            };
        }

        @Override
        public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
            if (!id.getName().equals(HTTP_DURATION)) {
                return config;
            }
            return DistributionStatisticConfig.builder()
                    .percentilesHistogram(true)
                    .minimumExpectedValue((double) Duration.ofMillis(1).toNanos())
                    .maximumExpectedValue((double) Duration.ofSeconds(10).toNanos())
                    .build()
                    .merge(config);
        }
    };

    public String scrape() {
        return registry.scrape();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    // Audit trail health (F-02, F-11). No labels: nothing here is keyed by request data.

    /** The age of the oldest audit event not yet written; alert when it stays above a minute. */
    public void auditPending(java.util.function.DoubleSupplier oldestSeconds) {
        Gauge.builder("agentidp_audit_oldest_pending_seconds", oldestSeconds, s -> s.getAsDouble())
                .description("age of the oldest queued audit event not yet written (0 when none waits)")
                .strongReference(true)
                .register(registry);
    }

    /**
     * Counts audit events that had to commit before their answer and did not (write failure, timeout): each one is a
     * request answered 503. Alert on any increase.
     */
    public void auditWriteFailures(long events) {
        Counter.builder("agentidp_audit_write_failures_total")
                .description("audit events that had to commit before their answer and did not; each is a 503")
                .register(registry)
                .increment(events);
    }

    /** Counts an audit event PostgreSQL refused permanently, replaced by a placeholder event. */
    public void auditQuarantined() {
        auditQuarantined.increment();
    }

    public void auditVerificationStarted() {
        auditVerifications.increment();
    }

    public void auditEventsHashed(long events) {
        auditVerifiedEvents.increment(events);
    }
}
