package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.agent.AgentStore;
import ai.sentryagent.agentidp.credential.CredentialStore;
import ai.sentryagent.agentidp.error.ApiError;
import ai.sentryagent.agentidp.error.ApiFailure;
import ai.sentryagent.agentidp.error.Outages;
import ai.sentryagent.agentidp.observability.Metrics;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one failure handler: turns whatever failed the request into an {@link ApiError} and renders it in the
 * endpoint's {@link Routes.Format}. Unknown failures become a generic 500 whose body says nothing about the cause;
 * the cause is logged with the request id only.
 */
public final class FailureHandler implements Handler<RoutingContext> {
    private static final Logger LOG = LoggerFactory.getLogger(FailureHandler.class);
    private static final String TOKEN_TEMPLATE = "/api/v1/token";

    private final Routes.Format format;
    private final Metrics metrics;

    public FailureHandler(Routes.Format format, Metrics metrics) {
        this.format = format;
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
        ApiError error = classify(rc);
        log(rc, error);
        HttpServerResponse response = rc.response();
        if (error.status() == 503) {
            response.putHeader(HttpHeaders.RETRY_AFTER, ApiError.RETRY_AFTER_SECONDS);
        }
        JsonObject body = format == Routes.Format.OAUTH
                ? oauth(rc, oauth(error))
                : new JsonObject()
                        .put("error", error.code())
                        .put("message", error.message())
                        .put("details", error.details());
        response.setStatusCode(error.status())
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(body.encode());
    }

    /** RFC 6749 §5.2: never cached, a Basic challenge on a 401 to a Basic client, how long to wait on a 429. */
    private JsonObject oauth(RoutingContext rc, ApiError.OAuth error) {
        HttpServerResponse response = rc.response();
        OAuthGuard.noStore(rc);
        if (error.basicChallenge()) {
            response.putHeader("WWW-Authenticate", "Basic realm=\"agentidp\", charset=\"UTF-8\"");
        }
        if (error.status() == 429) {
            response.putHeader(HttpHeaders.RETRY_AFTER, Long.toString(error.retryAfterSeconds()));
        }
        if (error.status() == 405) {
            response.putHeader(HttpHeaders.ALLOW, "POST");
        }
        // The route whose failure handler runs is the row's, even when its body handler failed before the label.
        if (rc.currentRoute() != null && TOKEN_TEMPLATE.equals(rc.currentRoute().getPath())) {
            metrics.tokenRequest(error.status() == 429 ? "rate_limited" : error.code());
        }
        return new JsonObject().put("error", error.code()).put("error_description", error.message());
    }

    /**
     * Any error in RFC 6749's words: §5.2 knows one code for a request it cannot read (path, method, framing,
     * limits), and an outage is {@code temporarily_unavailable}.
     */
    private static ApiError.OAuth oauth(ApiError error) {
        if (error instanceof ApiError.OAuth oauth) {
            return oauth;
        }
        if (error instanceof ApiError.Unavailable || error instanceof ApiError.Timeout) {
            return new ApiError.OAuth(503, "temporarily_unavailable", "the service is temporarily unavailable");
        }
        if (error instanceof ApiError.Internal internal) {
            return new ApiError.OAuth(500, "server_error", internal.message());
        }
        return new ApiError.OAuth(error.status(), "invalid_request", error.message());
    }

    private ApiError classify(RoutingContext rc) {
        Throwable failure = rc.failure();
        if (failure instanceof ApiFailure api) {
            return api.error();
        }
        var body = ClientFaults.bodyProblem(failure);
        if (body.isPresent()) {
            return body.get();
        }
        if (failure instanceof AgentStore.AgentConflict || failure instanceof CredentialStore.CredentialConflict) {
            return new ApiError.Conflict(failure.getMessage());
        }
        var outage = Outages.classify(failure);
        if (outage.isPresent()) {
            return outage.get();
        }
        return format.fromStatus(rc);
    }

    private static void log(RoutingContext rc, ApiError error) {
        if (error instanceof ApiError.Unavailable || error instanceof ApiError.Timeout) {
            LOG.warn(
                    "dependency {} on {} requestId={}: {}",
                    error instanceof ApiError.Timeout ? "timed out" : "unavailable",
                    RequestContext.routeTemplate(rc),
                    RequestContext.requestId(rc),
                    String.valueOf(rc.failure()));
        } else if (error instanceof ApiError.Internal) {
            LOG.error(
                    "request failed: {} {} requestId={}",
                    rc.request().method(),
                    RequestContext.routeTemplate(rc),
                    RequestContext.requestId(rc),
                    rc.failure());
        }
        // Anything else is the client's doing (a 501 for an unknown method too): not a fault to log.
    }
}
