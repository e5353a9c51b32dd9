package ai.sentryagent.agentidp.observability;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/**
 * The service's Prometheus metrics, all prefixed {@code agentidp_}, plus JVM and process metrics. One instance per
 * process, shared by every verticle.
 */
public final class Metrics {
    /**
     * The method label's values: the methods the API serves. Every label value comes from a fixed set, never from
     * the request verbatim: each new value is a counter plus a ~70-bucket histogram that lives until the process
     * dies (F-13: random method names exhausted the heap in seconds).
     */
    static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PATCH", "DELETE", "OPTIONS");

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

    /**
     * One answered request. {@code route} is a route template or {@code unmatched} (never a raw path); the method
     * is one of {@link #METHODS} or {@code other}.
     */
    public void http(String method, String route, int status, long nanos) {
        String methodLabel = METHODS.contains(method) ? method : OTHER;
        Counter.builder("agentidp_http_requests_total")
                .tag("method", methodLabel)
                .tag("route", route)
                .tag("status", Integer.toString(status))
                .register(registry)
                .increment();
        Timer.builder("agentidp_http_request_duration_seconds")
                .description("request duration by route template")
                .tag("method", methodLabel)
                .tag("route", route)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry)
                .record(Duration.ofNanos(nanos));
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
