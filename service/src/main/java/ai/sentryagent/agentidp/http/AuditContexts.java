package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.audit.Audit;
import ai.sentryagent.agentidp.token.ClientIds;
import io.vertx.ext.web.RoutingContext;

/** Who is acting in a request, for the audit trail. */
final class AuditContexts {
    private AuditContexts() {}

    /** The authenticated caller of a management request. */
    static Audit.Context caller(RoutingContext rc) {
        return new Audit.Context(
                BearerAuth.principal(rc).clientId(), RequestContext.clientIp(rc), RequestContext.requestId(rc));
    }

    /**
     * A client acting on an OAuth endpoint, by the id it presented: verbatim only when well formed and not shaped
     * like a secret ({@link ClientIds#forAudit}), since an unauthenticated id is whatever the sender typed.
     */
    static Audit.Context client(RoutingContext rc, String clientId) {
        return new Audit.Context(
                ClientIds.forAudit(clientId), RequestContext.clientIp(rc), RequestContext.requestId(rc));
    }
}
