package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.error.ApiError;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Refuses, before anything authenticates or routes, a request line the service would have to interpret:
 *
 * <ul>
 *   <li>a method HTTP does not define: 501 (RFC 9110 §9.1: "unrecognized or not implemented ... SHOULD respond
 *       with 501", §15.6.2). A method HTTP defines (RFC 9110 §9.3, PATCH from RFC 5789) goes on to the router,
 *       which answers 405 with an accurate {@code Allow} where the path exists (§15.5.6 requires it, and only the
 *       router knows it). The method never becomes a metric label verbatim (F-13).
 *   <li>a path that is not in canonical form: 400 (F-01). Vert.x Web matches {@code /api/v1/agents/},
 *       {@code /api/v1//agents} and {@code /api/v1/agents/%2e} to the route of {@code /api/v1/agents} (it ignores a
 *       trailing slash and matches on the normalised path), and decodes {@code %2F} inside a path parameter; a
 *       canonical path is the only form whose meaning the router, the policy and a proxy in front all agree on.
 *       Every path the API serves is made of unreserved characters (RFC 3986 §2.3), so nothing percent-encoded,
 *       no empty segment (trailing or doubled {@code /}), no dot segment, no {@code ;} parameters, no control
 *       character.
 *   <li>a query string holding a control character (encoded or not) or a malformed percent-escape: 400 (F-15),
 *       rather than a failure further in.
 * </ul>
 */
public final class RequestTarget implements Handler<RoutingContext> {
    /** The methods HTTP defines. */
    private static final Set<HttpMethod> RECOGNIZED = Set.of(
            HttpMethod.GET,
            HttpMethod.HEAD,
            HttpMethod.POST,
            HttpMethod.PUT,
            HttpMethod.DELETE,
            HttpMethod.CONNECT,
            HttpMethod.OPTIONS,
            HttpMethod.TRACE,
            HttpMethod.PATCH);

    private static final Pattern CANONICAL_PATH = Pattern.compile("/|(/[A-Za-z0-9._~-]+)+");
    private static final Pattern DOT_SEGMENT = Pattern.compile("/\\.{1,2}(?=/|$)");
    private static final Pattern CONTROL_IN_QUERY =
            Pattern.compile("[\\x00-\\x1f\\x7f]|%[01][0-9A-Fa-f]|%7[Ff]|%(?![0-9A-Fa-f]{2})");

    @Override
    public void handle(RoutingContext rc) {
        HttpMethod method = rc.request().method();
        if (!RECOGNIZED.contains(method)) {
            rc.fail(new ApiError.NotImplemented(
                            "the request method is not an HTTP method this service implements; it serves GET, POST, PATCH "
                                    + "and DELETE")
                    .failure());
            return;
        }
        String path = rc.request().path();
        if (path == null
                || !CANONICAL_PATH.matcher(path).matches()
                || DOT_SEGMENT.matcher(path).find()
                || !path.equals(rc.normalizedPath())) {
            rc.fail(new ApiError.BadRequest(
                            "invalid_path",
                            "the request path is not in canonical form: no trailing or doubled '/', no '.' or '..' "
                                    + "segments, no percent-encoding, ';' or control characters",
                            null)
                    .failure());
            return;
        }
        String query = rc.request().query();
        if (query != null && CONTROL_IN_QUERY.matcher(query).find()) {
            rc.fail(new ApiError.BadRequest("the query string holds a control character or a malformed percent-escape")
                    .failure());
            return;
        }
        rc.next();
    }
}
