package ai.sentryagent.agentidp.http;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * First on every request: assigns the request id ({@code X-Request-Id} honoured when well-formed, generated
 * otherwise, echoed in the response), works out the client IP, and when the response ends writes one access-log
 * line. The log line never holds headers, bodies or query strings (credentials live there). The request metrics are
 * Vert.x's own (see {@link ai.sentryagent.agentidp.observability.Metrics}).
 */
public final class RequestContext implements Handler<RoutingContext> {
    private static final Logger ACCESS = LoggerFactory.getLogger("ai.sentryagent.agentidp.access");
    private static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final String ID_KEY = "agentidp.requestId";
    private static final String IP_KEY = "agentidp.clientIp";
    private static final String ROUTE_KEY = "agentidp.route";

    private final int trustedProxies;

    public RequestContext(int trustedProxies) {
        this.trustedProxies = trustedProxies;
    }

    @Override
    public void handle(RoutingContext rc) {
        long start = System.nanoTime();
        String given = rc.request().getHeader("X-Request-Id");
        String id = given != null && REQUEST_ID.matcher(given).matches()
                ? given
                : UUID.randomUUID().toString();
        String ip = ClientIp.fromHeaderLines(
                rc.request().remoteAddress() == null
                        ? null
                        : rc.request().remoteAddress().hostAddress(),
                trustedProxies > 0 ? rc.request().headers().getAll("X-Forwarded-For") : List.of(),
                trustedProxies);
        rc.put(ID_KEY, id);
        rc.put(IP_KEY, ip);
        rc.response().putHeader("X-Request-Id", id);
        // Every answer, errors included: a browser must never guess a JSON error into HTML (F-20).
        rc.response().putHeader("X-Content-Type-Options", "nosniff");
        rc.addBodyEndHandler(ignored -> {
            long nanos = System.nanoTime() - start;
            String route = routeTemplate(rc);
            int status = rc.response().getStatusCode();
            if (!route.equals("/health") && !route.equals("/metrics")) {
                withRequestId(
                        rc,
                        () -> ACCESS.info(
                                "{} {} {} {}ms requestId={} clientIp={}",
                                rc.request().method(),
                                route,
                                status,
                                nanos / 1_000_000,
                                id,
                                ip));
            }
        });
        // Log lines written while the request is handled synchronously carry its id; asynchronous continuations
        // name it explicitly (the access log, the error handlers).
        MDC.put("requestId", id);
        try {
            rc.next();
        } finally {
            MDC.remove("requestId");
        }
    }

    /** The matched route's template (never the raw path, which would explode metric cardinality). */
    static String routeTemplate(RoutingContext rc) {
        String template = rc.get(ROUTE_KEY);
        return template == null ? "unmatched" : template;
    }

    static void route(RoutingContext rc, String template) {
        rc.put(ROUTE_KEY, template);
    }

    /** Runs a logging action with the request id in the MDC, so the JSON line carries it as a field. */
    static void withRequestId(RoutingContext rc, Runnable action) {
        MDC.put("requestId", requestId(rc));
        try {
            action.run();
        } finally {
            MDC.remove("requestId");
        }
    }

    public static String requestId(RoutingContext rc) {
        String id = rc.get(ID_KEY);
        return id == null ? "-" : id;
    }

    public static String clientIp(RoutingContext rc) {
        String ip = rc.get(IP_KEY);
        return ip == null ? "unknown" : ip;
    }
}
