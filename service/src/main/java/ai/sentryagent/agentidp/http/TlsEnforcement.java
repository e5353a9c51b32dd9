package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.error.ApiError;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;

/**
 * {@code ENFORCE_TLS}: behind a load balancer that terminates TLS, a request that did not arrive over HTTPS
 * ({@code X-Forwarded-Proto} other than {@code https}) is refused with 400. Not redirected: a redirected POST would
 * already have sent its credentials in the clear. Health and metrics stay reachable for the load balancer and the
 * scraper, which talk to the task directly.
 */
public final class TlsEnforcement implements Handler<RoutingContext> {
    private static final Set<String> EXEMPT = Set.of("/health", "/health/ready", "/metrics");

    @Override
    public void handle(RoutingContext rc) {
        String proto = rc.request().getHeader("X-Forwarded-Proto");
        if (EXEMPT.contains(rc.normalizedPath()) || "https".equalsIgnoreCase(proto == null ? null : proto.trim())) {
            rc.next();
            return;
        }
        rc.fail(new ApiError.BadRequest(
                        "https_required",
                        "this endpoint is served over HTTPS only; resend the request to the https:// URL",
                        null)
                .failure());
    }
}
