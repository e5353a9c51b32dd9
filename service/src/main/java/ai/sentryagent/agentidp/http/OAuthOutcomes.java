package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.audit.Audit;
import ai.sentryagent.agentidp.audit.AuditEvent;
import ai.sentryagent.agentidp.observability.Metrics;
import ai.sentryagent.agentidp.token.ClientAuthentication;
import ai.sentryagent.agentidp.token.ClientAuthenticator;
import ai.sentryagent.agentidp.token.ClientIds;
import ai.sentryagent.agentidp.token.GrantOutcome;
import ai.sentryagent.agentidp.token.OAuthException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Where the OAuth endpoints' refusals meet the audit trail and the metrics: a refused client authentication is
 * audited, counted and answered here for all three endpoints, a rejected grant for the token endpoint. A refusal only
 * queues its event; an answer that delivers something waits for its own ({@link TokenEndpoint}).
 */
public final class OAuthOutcomes {
    private final Consumer<AuditEvent> queue;
    private final Metrics metrics;

    /**
     * {@code queue}: best-effort batching for refusals, which deliver nothing — a flood of bad requests must not turn
     * PostgreSQL latency into an amplifier.
     */
    OAuthOutcomes(Consumer<AuditEvent> queue, Metrics metrics) {
        this.queue = queue;
        this.metrics = metrics;
    }

    /** The production wiring: {@link Audit#enqueue} for refusals. */
    public static OAuthOutcomes of(Audit audit, Metrics metrics) {
        return new OAuthOutcomes(audit::enqueue, metrics);
    }

    Metrics metrics() {
        return metrics;
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
        refuseGrant(
                rc, presented, grantType, OAuthException.invalidGrant(rejected.description()), rejected.auditDetails());
    }

    /**
     * Answers a request the grant refused on what it asked for — {@code invalid_scope}, {@code invalid_target},
     * {@code unauthorized_client} — with the same {@code token.grant_rejected} event, its {@code error} naming which:
     * a client asking for more than it was granted is a failed access-control decision, and those are logged (OWASP
     * ASVS 4.0.3 §7.2.2), not only answered.
     */
    void refuseGrant(
            RoutingContext rc,
            Optional<ClientAuthenticator.Presented> presented,
            String grantType,
            OAuthException refusal,
            Map<String, Object> claimed) {
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
                Audit.details(
                                "grantType",
                                grantType,
                                "error",
                                refusal.errorCode(),
                                "reason",
                                refusal.error().message())
                        .mergeIn(new JsonObject(claimed))));
        rc.fail(refusal);
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
