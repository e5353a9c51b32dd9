package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.audit.Audit;
import ai.sentryagent.agentidp.audit.AuditEvent;
import ai.sentryagent.agentidp.policy.Policy;
import ai.sentryagent.agentidp.policy.PolicyEngine;
import ai.sentryagent.agentidp.token.AccessToken;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;

/**
 * Every management request is decided by the policy (default deny). A denial is a 403 with the policy's reason
 * and an audit event; an undecidable request (OPA unreachable) is a 503.
 */
public final class PolicyGuard implements Handler<RoutingContext> {
    /** The management endpoints as {method, template}, split once. */
    private static final java.util.List<String[]> ENDPOINTS = Routes.MANAGEMENT_ENDPOINTS.stream()
            .map(endpoint -> endpoint.split(" ", 2))
            .toList();

    private final PolicyEngine engine;
    private final Audit audit;

    public PolicyGuard(PolicyEngine engine, Audit audit) {
        this.engine = engine;
        this.audit = audit;
    }

    @Override
    public void handle(RoutingContext rc) {
        AccessToken caller = BearerAuth.principal(rc);
        String path = rc.normalizedPath();
        String method = rc.request().method().name();
        boolean endpoint = ENDPOINTS.stream().anyMatch(e -> e[0].equals(method) && Policy.fits(e[1], path));
        if (!endpoint) {
            // Not an endpoint the service serves: the router answers 404 or 405, nothing is exposed.
            rc.next();
            return;
        }
        Policy.Request request = new Policy.Request(
                rc.request().method().name(), path, Set.copyOf(caller.scopes()), caller.subject(), caller.clientId());
        engine.decide(request)
                .onSuccess(decision -> {
                    if (decision.allow()) {
                        rc.next();
                        return;
                    }
                    audit.enqueue(AuditEvent.of(
                            "policy.denied",
                            AuditEvent.DENIED,
                            null,
                            AuditContexts.caller(rc),
                            Audit.details("method", request.method(), "path", path, "reason", decision.reason())));
                    rc.fail(new ApiException(403, "forbidden", decision.reason()));
                })
                .onFailure(failure ->
                        rc.fail(ApiException.unavailable("authorization is unavailable right now; retry later")));
    }
}
