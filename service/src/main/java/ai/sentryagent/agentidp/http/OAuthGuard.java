package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.error.ApiError;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;

/**
 * The checks every OAuth endpoint shares before its body is read: never cached, POST only, form-encoded only,
 * in UTF-8 only, and nothing in the query string (credentials there would end up in access logs).
 */
public final class OAuthGuard implements Handler<RoutingContext> {

    @Override
    public void handle(RoutingContext rc) {
        noStore(rc);
        if (rc.request().method() != HttpMethod.POST) {
            rc.fail(405);
            return;
        }
        String query = rc.request().query();
        if (query != null && !query.isEmpty()) {
            rc.fail(new ApiError.OAuth(
                            400,
                            "invalid_request",
                            "parameters must be sent in the form-encoded body, not in the query string")
                    .failure());
            return;
        }
        String contentType = rc.request().getHeader(HttpHeaders.CONTENT_TYPE);
        String mediaType =
                contentType == null ? "" : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        if (!mediaType.equals("application/x-www-form-urlencoded")) {
            rc.fail(new ApiError.OAuth(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded")
                    .failure());
            return;
        }
        String charset = BodyCharset.problem(contentType);
        if (charset != null) {
            rc.fail(new ApiError.OAuth(415, "invalid_request", charset).failure());
            return;
        }
        rc.next();
    }

    static void noStore(RoutingContext rc) {
        rc.response().putHeader(HttpHeaders.CACHE_CONTROL, "no-store").putHeader("Pragma", "no-cache");
    }
}
