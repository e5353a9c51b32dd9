package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.token.OAuthException;
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
            rc.fail(OAuthException.invalidRequest(
                    "parameters must be sent in the form-encoded body, not in the query string"));
            return;
        }
        String contentType = rc.request().getHeader(HttpHeaders.CONTENT_TYPE);
        String mediaType =
                contentType == null ? "" : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        if (!mediaType.equals("application/x-www-form-urlencoded")) {
            rc.fail(OAuthException.invalidRequest("Content-Type must be application/x-www-form-urlencoded"));
            return;
        }
        String charset = BodyCharset.problem(contentType);
        if (charset != null) {
            rc.fail(new OAuthException(415, "invalid_request", charset, false));
            return;
        }
        rc.next();
    }

    static void noStore(RoutingContext rc) {
        rc.response().putHeader(HttpHeaders.CACHE_CONTROL, "no-store").putHeader("Pragma", "no-cache");
    }
}
