package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.audit.Audit;
import ai.sentryagent.agentidp.audit.AuditEvent;
import ai.sentryagent.agentidp.error.ApiError;
import ai.sentryagent.agentidp.policy.Policy;
import ai.sentryagent.agentidp.policy.PolicyEngine;
import ai.sentryagent.agentidp.token.AccessToken;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The policy decision of one management endpoint, mounted on that endpoint's own route (default deny). The path the
 * policy sees is the endpoint's template filled with the path parameters the router extracted, so the decision is
 * about exactly the route that will run. A denial is a 403 with the policy's reason and an audit event; an
 * undecidable request (OPA unreachable) is a 503.
 */
public final class PolicyGuard implements Handler<RoutingContext> {
    private static final Pattern VARIABLE = Pattern.compile("\\{(\\w+)}");
    /** What a path parameter may hold: one path segment, nothing that could re-shape the path. */
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._~-]+");

    private final PolicyEngine engine;
    private final Audit audit;
    private final String template;

    public PolicyGuard(PolicyEngine engine, Audit audit, String template) {
        this.engine = engine;
        this.audit = audit;
        this.template = template;
    }

    @Override
    public void handle(RoutingContext rc) {
        AccessToken caller = BearerAuth.principal(rc);
        String path = concretePath(rc);
        if (path == null) {
            // Unreachable behind RequestTarget; refuse rather than decide on a path the template does not describe.
            rc.fail(new ApiError.BadRequest("a path parameter is malformed").failure());
            return;
        }
        String method = rc.request().method().name();
        // A token obtained by token exchange (RFC 8693) acts for its subject with the scopes it was given, not as
        // the subject: `self` lets it read the subject's own records, never change them — a delegate holding only
        // weather:read must not cut off the subject's tokens or revoke the subject's other delegations.
        String self = caller.delegation().isPresent() && !method.equals("GET") ? "" : caller.subject();
        Policy.Request request = new Policy.Request(method, path, Set.copyOf(caller.scopes()), self, caller.clientId());
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
                            Audit.details("method", method, "path", path, "reason", decision.reason())));
                    rc.fail(new ApiError.Forbidden(decision.reason()).failure());
                })
                .onFailure(failure -> rc.fail(
                        new ApiError.Unavailable("authorization is unavailable right now; retry later").failure()));
    }

    /** The template with each variable replaced by its path parameter; null when one is missing or malformed. */
    private String concretePath(RoutingContext rc) {
        Matcher variable = VARIABLE.matcher(template);
        StringBuilder path = new StringBuilder();
        while (variable.find()) {
            String value = rc.pathParam(variable.group(1));
            if (value == null || !SEGMENT.matcher(value).matches()) {
                return null;
            }
            variable.appendReplacement(path, Matcher.quoteReplacement(value));
        }
        variable.appendTail(path);
        return path.toString();
    }
}
