package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.error.ApiError;
import io.netty.handler.codec.http.HttpObjectDecoder;
import io.netty.handler.codec.http.multipart.HttpPostRequestDecoder;
import io.vertx.core.http.HttpClosedException;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.UnsupportedCharsetException;
import java.util.Optional;

/**
 * Failures the client caused, told apart before anything could call them an outage or a bug (F-15: a form field
 * over 8 KiB answered 503, a client hanging up mid-body was logged and counted as a 500, both paging the 5xx
 * alarm).
 */
final class ClientFaults {
    /**
     * The status recorded (metrics, access log) for a request whose client closed the connection before the answer:
     * nobody receives it, and it is nobody's fault here. The nginx convention.
     */
    static final int CLIENT_CLOSED = 499;

    private static final String HTTP_DECODER = HttpObjectDecoder.class.getName();

    private ClientFaults() {}

    /** The client closed the connection: there is nobody to answer. */
    static boolean clientClosed(RoutingContext rc) {
        return rc.response().closed() || rc.failure() instanceof HttpClosedException;
    }

    /** Records the request as {@link #CLIENT_CLOSED}; nothing reaches the client, nothing is logged as an error. */
    static void endClientClosed(RoutingContext rc) {
        if (!rc.response().headWritten()) {
            rc.response().setStatusCode(CLIENT_CLOSED);
        }
        if (!rc.response().ended()) {
            rc.response().end();
        }
    }

    /**
     * A body the server cannot read as sent: the form decoder's limits (a field over 8 KiB, too many fields) or
     * parse errors, 413 or 400; a {@code charset} parameter the JVM does not know (the body is decoded with it),
     * 415; a chunked body Netty's decoder could not read (a chunk size that is not hex or overflows, a chunk line or
     * trailer too long), 400.
     */
    static Optional<ApiError> bodyProblem(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof UnsupportedCharsetException || t instanceof IllegalCharsetNameException) {
                return Optional.of(new ApiError.UnsupportedMediaType(
                        "the Content-Type names a charset this service does not know"));
            }
            // Netty's memory attribute refuses a value over HttpServerOptions.maxFormAttributeSize with this message.
            if (t instanceof HttpPostRequestDecoder.TooLongFormFieldException
                    || t instanceof IOException && "Size exceed allowed maximum capacity".equals(t.getMessage())) {
                return Optional.of(new ApiError.PayloadTooLarge("a form field exceeds 8 KiB"));
            }
            if (t instanceof HttpPostRequestDecoder.TooManyFormFieldsException) {
                return Optional.of(new ApiError.PayloadTooLarge("the form has too many fields"));
            }
            if (t instanceof HttpPostRequestDecoder.ErrorDataDecoderException) {
                return Optional.of(new ApiError.BadRequest("the form body is malformed"));
            }
            if (raisedByHttpDecoder(t)) {
                return Optional.of(new ApiError.BadRequest("the chunked body is malformed (RFC 9112 section 7.1)"));
            }
        }
        return Optional.empty();
    }

    /**
     * Vert.x hands the request the decoder's own exception (then closes the connection), and for a bad chunk size
     * that is a bare {@link NumberFormatException} (F-15: "Chunk size overflow" was a 500 with a stack trace): only
     * where it was thrown tells it from a bug of ours.
     */
    private static boolean raisedByHttpDecoder(Throwable t) {
        StackTraceElement[] frames = t.getStackTrace();
        for (int i = 0; i < Math.min(3, frames.length); i++) {
            if (frames[i].getClassName().startsWith(HTTP_DECODER)) {
                return true;
            }
        }
        return false;
    }
}
