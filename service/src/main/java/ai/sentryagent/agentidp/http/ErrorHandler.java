package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.agent.AgentStore;
import ai.sentryagent.agentidp.credential.CredentialStore;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renders every failure as {@code {"error","message","details"}}. Unknown failures become a generic 500 whose body
 * says nothing about the cause; the cause is logged with the request id only.
 */
public final class ErrorHandler implements Handler<RoutingContext> {
    private static final Logger LOG = LoggerFactory.getLogger(ErrorHandler.class);

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
        ApiException error = toApiError(rc);
        if (error.status() == 503) {
            LOG.warn(
                    "dependency unavailable on {} requestId={}: {}",
                    RequestContext.routeTemplate(rc),
                    RequestContext.requestId(rc),
                    String.valueOf(rc.failure()));
            rc.response().putHeader(HttpHeaders.RETRY_AFTER, Failures.RETRY_AFTER_SECONDS);
        } else if (error.status() >= 500 && error.status() != 501) {
            // 501 is an unknown request method: the client's doing, not a fault to log.
            LOG.error(
                    "request failed: {} {} requestId={}",
                    rc.request().method(),
                    RequestContext.routeTemplate(rc),
                    RequestContext.requestId(rc),
                    rc.failure());
        }
        rc.response()
                .setStatusCode(error.status())
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(error.toJson().encode());
    }

    private static ApiException toApiError(RoutingContext rc) {
        Throwable failure = rc.failure();
        if (failure instanceof ApiException api) {
            return api;
        }
        Optional<ApiException> form = ClientFaults.bodyProblem(failure);
        if (form.isPresent()) {
            return form.get();
        }
        if (failure instanceof AgentStore.AgentConflict || failure instanceof CredentialStore.CredentialConflict) {
            return new ApiException(409, "conflict", failure.getMessage());
        }
        if (failure != null && Failures.isUnavailable(failure)) {
            return ApiException.unavailable("a dependency is temporarily unavailable; retry later");
        }
        return switch (rc.statusCode()) {
            case 400 -> ApiException.badRequest("the request is malformed");
            case 403 -> new ApiException(403, "forbidden", "the request is not allowed (origin or policy)");
            case 404 -> ApiException.notFound("no resource at " + rc.normalizedPath());
            case 405 ->
                new ApiException(
                        405, "method_not_allowed", rc.request().method() + " is not allowed on " + rc.normalizedPath());
            case 413 -> new ApiException(413, "payload_too_large", "the request body exceeds the limit");
            case 415 -> new ApiException(415, "unsupported_media_type", "unsupported content type");
            default ->
                // Any other client error a Vert.x handler raised (406, 431, ...) stays a client error.
                rc.statusCode() >= 400 && rc.statusCode() < 500
                        ? new ApiException(rc.statusCode(), "invalid_request", "the request cannot be served")
                        : new ApiException(500, "internal_error", "the server could not complete the request");
        };
    }
}
