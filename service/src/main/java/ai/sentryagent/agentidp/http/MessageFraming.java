package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.error.ApiError;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.regex.Pattern;

/**
 * RFC 9112 message framing, the part Netty leaves to the application (F-09, request smuggling). Netty already
 * refuses conflicting or malformed {@code Content-Length} values and answers a missing {@code Host} with 400; when a
 * request carries both {@code Transfer-Encoding: chunked} and {@code Content-Length} it drops the length and reads
 * the chunks (§6.1 allows that) but keeps the connection open, which §6.1 forbids. This handler:
 *
 * <ul>
 *   <li>refuses more than one {@code Host} (§3.2) or {@code Authorization} (RFC 9110 §5.3: not a list, so a proxy
 *       and this service could each see a different caller), a {@code Content-Type} that is not one well-formed media type
 *       (RFC 9110 §8.3.1; the body is decoded by it), a {@code Transfer-Encoding} whose final coding is not
 *       {@code chunked} (§6.1: the length cannot be determined), any {@code Transfer-Encoding} on HTTP/1.0 and any
 *       request where both framing headers are still visible: 400, then closes the connection;
 *   <li>answers a request framed as exactly {@code chunked} (it may have carried a {@code Content-Length} that Netty
 *       removed, there is no telling) and then closes the connection, as §6.1 requires for that case;
 *   <li>answers nothing more on a connection it is closing: a request pipelined behind a refused one (the smuggled
 *       half) is dropped unanswered, before any other handler sees it.
 * </ul>
 *
 * One instance per router, so per event loop: the set of closing connections is confined to that thread.
 */
public final class MessageFraming implements Handler<RoutingContext> {
    private static final String TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
    private static final String QUOTED = "\"(?:[\\t !#-\\[\\]-~\\x80-\\xff]|\\\\[\\t -~\\x80-\\xff])*\"";
    /** RFC 9110 §8.3.1 media-type: type "/" subtype *( OWS ";" OWS [ token "=" ( token / quoted-string ) ] ). */
    private static final Pattern MEDIA_TYPE = Pattern.compile("[ \\t]*" + TOKEN + "/" + TOKEN + "(?:[ \\t]*;[ \\t]*(?:"
            + TOKEN + "=(?:" + TOKEN + "|" + QUOTED + "))?)*[ \\t]*");

    private final Set<HttpConnection> closing = Collections.newSetFromMap(new WeakHashMap<>());

    @Override
    public void handle(RoutingContext rc) {
        HttpServerRequest request = rc.request();
        HttpConnection connection = request.connection();
        if (closing.contains(connection)) {
            connection.close();
            return;
        }
        String problem = problem(request);
        if (problem != null) {
            closeAfterResponse(rc, connection);
            rc.fail(new ApiError.BadRequest("invalid_request", problem, null).failure());
            return;
        }
        if (request.headers().contains(HttpHeaders.TRANSFER_ENCODING)) {
            closeAfterResponse(rc, connection);
        }
        rc.next();
    }

    private static String problem(HttpServerRequest request) {
        if (request.headers().getAll(HttpHeaders.HOST).size() > 1) {
            return "the request has more than one Host header (RFC 9112 section 3.2)";
        }
        if (request.headers().getAll(HttpHeaders.AUTHORIZATION).size() > 1) {
            // Not a list field (RFC 9110 §5.3, §11.6.2): we read the first, a gateway may authorise on the last.
            return "the request has more than one Authorization header (RFC 9110 section 5.3)";
        }
        List<String> contentTypes = request.headers().getAll(HttpHeaders.CONTENT_TYPE);
        if (contentTypes.size() > 1
                || contentTypes.size() == 1
                        && !MEDIA_TYPE.matcher(contentTypes.get(0)).matches()) {
            // The body is decoded by what this header says; Vert.x Web's parser throws on some malformed values.
            return "the Content-Type header is not one well-formed media type (RFC 9110 section 8.3.1)";
        }
        List<String> encodings = request.headers().getAll(HttpHeaders.TRANSFER_ENCODING);
        if (encodings.isEmpty()) {
            return null;
        }
        if (request.version() != HttpVersion.HTTP_1_1) {
            return "Transfer-Encoding is not allowed before HTTP/1.1 (RFC 9112 section 6.1)";
        }
        if (request.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
            return "the request has both Content-Length and Transfer-Encoding (RFC 9112 section 6.1)";
        }
        String codings = String.join(",", encodings).trim().toLowerCase(Locale.ROOT);
        if (!codings.equals("chunked")) {
            return "the only Transfer-Encoding accepted is chunked (RFC 9112 section 6.1)";
        }
        return null;
    }

    private void closeAfterResponse(RoutingContext rc, HttpConnection connection) {
        closing.add(connection);
        rc.response().putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
        rc.addEndHandler(ended -> connection.close());
    }
}
