package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.audit.Audit;
import io.vertx.ext.web.RoutingContext;

/** Who is acting in a request, for the audit trail. */
final class AuditContexts {
    private AuditContexts() {}

    /** The authenticated caller of a management request. */
    static Audit.Context caller(RoutingContext rc) {
        return new Audit.Context(
                BearerAuth.principal(rc).clientId(), RequestContext.clientIp(rc), RequestContext.requestId(rc));
    }

    /** A client acting on an OAuth endpoint, by the id it presented (cut to a sane length). */
    static Audit.Context client(RoutingContext rc, String clientId) {
        String actor = clientId.length() > 128 ? clientId.substring(0, 128) : clientId;
        return new Audit.Context(actor, RequestContext.clientIp(rc), RequestContext.requestId(rc));
    }
}
