package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.observability.Metrics;
import ai.sentryagent.agentidp.token.OAuthException;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Renders failures of the OAuth endpoints in the RFC 6749 §5.2 shape, never cached. */
public final class OAuthErrorHandler implements Handler<RoutingContext> {
    private static final Logger LOG = LoggerFactory.getLogger(OAuthErrorHandler.class);

    private final Metrics metrics;

    public OAuthErrorHandler(Metrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void handle(RoutingContext rc) {
        RequestContext.withRequestId(rc, () -> render(rc));
    }

    private void render(RoutingContext rc) {
        if (ClientFaults.clientClosed(rc)) {
            ClientFaults.endClientClosed(rc);
            return;
        }
        if (rc.response().headWritten()) {
            rc.response().reset();
            return;
        }
        OAuthException error = toOAuth(rc);
        OAuthGuard.noStore(rc);
        if (error.basicChallenge()) {
            rc.response().putHeader("WWW-Authenticate", "Basic realm=\"agentidp\", charset=\"UTF-8\"");
        }
        if (error.status() == 503) {
            rc.response().putHeader(HttpHeaders.RETRY_AFTER, Failures.RETRY_AFTER_SECONDS);
        } else if (error.status() == 429) {
            rc.response().putHeader(HttpHeaders.RETRY_AFTER, Long.toString(error.retryAfterSeconds()));
        }
        if (rc.normalizedPath().equals("/api/v1/token")) {
            metrics.tokenRequest(error.status() == 429 ? "rate_limited" : error.error());
        }
        if (error.status() == 405) {
            rc.response().putHeader(HttpHeaders.ALLOW, "POST");
        }
        rc.response()
                .setStatusCode(error.status())
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(new JsonObject()
                        .put("error", error.error())
                        .put("error_description", error.getMessage())
                        .encode());
    }

    private static OAuthException toOAuth(RoutingContext rc) {
        Throwable failure = rc.failure();
        if (failure instanceof OAuthException oauth) {
            return oauth;
        }
        Optional<ApiException> form = ClientFaults.bodyProblem(failure);
        if (form.isPresent()) {
            return new OAuthException(
                    form.get().status(), "invalid_request", form.get().getMessage(), false);
        }
        if (failure instanceof ApiException api) {
            // RFC 6749 §5.2 knows one code for a request it cannot read (path, method, framing).
            String code = api.status() < 500 || api.status() == 501 ? "invalid_request" : api.error();
            return new OAuthException(api.status(), code, api.getMessage(), false);
        }
        if (failure != null && Failures.isUnavailable(failure)) {
            LOG.warn(
                    "dependency unavailable on {} requestId={}: {}",
                    RequestContext.routeTemplate(rc),
                    RequestContext.requestId(rc),
                    failure.toString());
            return new OAuthException(503, "temporarily_unavailable", "the service is temporarily unavailable", false);
        }
        return switch (rc.statusCode()) {
            case 405 -> new OAuthException(405, "invalid_request", "use POST", false);
            case 413 -> new OAuthException(413, "invalid_request", "the request body is too large", false);
            case 400 -> OAuthException.invalidRequest("the request is malformed");
            case 403 -> new OAuthException(403, "invalid_request", "the request Origin is not allowed", false);
            default -> {
                if (rc.statusCode() >= 400 && rc.statusCode() < 500) {
                    // Any other client error a Vert.x handler raised stays a client error.
                    yield new OAuthException(rc.statusCode(), "invalid_request", "the request cannot be served", false);
                }
                LOG.error(
                        "request failed: {} {} requestId={}",
                        rc.request().method(),
                        RequestContext.routeTemplate(rc),
                        RequestContext.requestId(rc),
                        failure);
                yield new OAuthException(500, "server_error", "the server could not complete the request", false);
            }
        };
    }
}
