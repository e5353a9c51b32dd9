package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.audit.Audit;
import ai.sentryagent.agentidp.audit.AuditEvent;
import ai.sentryagent.agentidp.observability.Metrics;
import ai.sentryagent.agentidp.token.ClientAuthentication;
import ai.sentryagent.agentidp.token.ClientAuthenticator;
import ai.sentryagent.agentidp.token.ClientIds;
import ai.sentryagent.agentidp.token.GrantOutcome;
import ai.sentryagent.agentidp.token.OAuthException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the OAuth endpoints' outcomes meet the audit trail and the metrics: a refused client authentication is
 * audited, counted and answered here for all three endpoints; an answer that delivers something waits for its
 * event ({@link #afterAudit}), a refusal only queues its own.
 */
public final class OAuthOutcomes {
    private static final Logger LOG = LoggerFactory.getLogger(OAuthOutcomes.class);

    private final Function<AuditEvent, Future<Void>> recorder;
    private final Consumer<AuditEvent> queue;
    private final Metrics metrics;

    /**
     * {@code recorder}: records one event that accompanies something delivered; its future completes once the event
     * is committed (in {@code AUDIT_DURABILITY=sync}), or fails. {@code queue}: best-effort batching for refusals,
     * which deliver nothing — a flood of bad requests must not turn PostgreSQL latency into an amplifier.
     */
    OAuthOutcomes(Function<AuditEvent, Future<Void>> recorder, Consumer<AuditEvent> queue, Metrics metrics) {
        this.recorder = recorder;
        this.queue = queue;
        this.metrics = metrics;
    }

    /** The production wiring: {@link Audit#record} for delivered answers, {@link Audit#enqueue} for refusals. */
    public static OAuthOutcomes of(Audit audit, Metrics metrics) {
        return new OAuthOutcomes(audit::record, audit::enqueue, metrics);
    }

    Metrics metrics() {
        return metrics;
    }

    /**
     * Sends {@code answer} only once {@code event} is recorded. A failed audit is 503 {@code temporarily_unavailable}
     * with {@code Retry-After} and no answer: in synchronous audit mode a token nobody can account for is not
     * handed out.
     */
    void afterAudit(RoutingContext rc, AuditEvent event, Runnable answer) {
        recorder.apply(event).onSuccess(recorded -> answer.run()).onFailure(failure -> {
            LOG.warn(
                    "audit event {} not recorded on {} requestId={}: {}",
                    event.action(),
                    RequestContext.routeTemplate(rc),
                    RequestContext.requestId(rc),
                    failure.toString());
            rc.fail(new OAuthException(
                    503, "temporarily_unavailable", "the request could not be recorded; retry later", false));
        });
    }

    /** Answers a client authentication that produced no client (RFC 6749 §5.2 {@code invalid_client}, or 429/503). */
    void refuse(RoutingContext rc, ClientAuthenticator.Presented presented, ClientAuthentication.Refused refused) {
        refused.<Void>fold(
                invalid -> {
                    queue.accept(authenticationFailed(presented, invalid.reason()));
                    rc.fail(OAuthException.invalidClient(
                            "client authentication failed",
                            presented.credential().basicChallenge()));
                    return null;
                },
                limited -> {
                    metrics.rateLimitRejection(limited.limit().tag());
                    rc.fail(OAuthException.rateLimited(
                            limited.limit() == ai.sentryagent.agentidp.ratelimit.RateLimiter.Limit.REQUESTS
                                    ? "rate limit exceeded for this client"
                                    : "too many failed authentications; retry later",
                            limited.retryAfterSeconds()));
                    return null;
                },
                unavailable -> {
                    rc.fail(unavailable.cause()); // the error renderer tells an outage (503) from a bug (500)
                    return null;
                });
    }

    /**
     * Answers a grant refused as {@code invalid_grant} (RFC 6749 §5.2), queueing a {@code token.grant_rejected}
     * event with the check that failed: the client hears which check, the trail also who the grant claimed to be.
     */
    void rejectGrant(
            RoutingContext rc,
            Optional<ClientAuthenticator.Presented> presented,
            String grantType,
            GrantOutcome.InvalidGrant rejected) {
        queue.accept(AuditEvent.of(
                "token.grant_rejected",
                AuditEvent.FAILURE,
                null,
                new Audit.Context(
                        presented
                                .map(p -> ClientIds.forAudit(p.credential().clientId()))
                                .orElse("anonymous"),
                        RequestContext.clientIp(rc),
                        RequestContext.requestId(rc)),
                Audit.details("grantType", grantType, "reason", rejected.description())
                        .mergeIn(new JsonObject(rejected.auditDetails()))));
        rc.fail(OAuthException.invalidGrant(rejected.description()));
    }

    private static AuditEvent authenticationFailed(ClientAuthenticator.Presented presented, String reason) {
        return AuditEvent.of(
                "client.authentication_failed",
                AuditEvent.FAILURE,
                null,
                new Audit.Context(
                        ClientIds.forAudit(presented.credential().clientId()),
                        presented.clientIp(),
                        presented.requestId()),
                Audit.details(
                        "method", presented.credential().method(), "endpoint", presented.endpoint(), "reason", reason));
    }
}
