package ai.sentryagent.agentidp.http;

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
     * 415.
     */
    static Optional<ApiException> bodyProblem(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof UnsupportedCharsetException || t instanceof IllegalCharsetNameException) {
                return Optional.of(new ApiException(
                        415, "unsupported_media_type", "the Content-Type names a charset this service does not know"));
            }
            // Netty's memory attribute refuses a value over HttpServerOptions.maxFormAttributeSize with this message.
            if (t instanceof HttpPostRequestDecoder.TooLongFormFieldException
                    || t instanceof IOException && "Size exceed allowed maximum capacity".equals(t.getMessage())) {
                return Optional.of(new ApiException(413, "payload_too_large", "a form field exceeds 8 KiB"));
            }
            if (t instanceof HttpPostRequestDecoder.TooManyFormFieldsException) {
                return Optional.of(new ApiException(413, "payload_too_large", "the form has too many fields"));
            }
            if (t instanceof HttpPostRequestDecoder.ErrorDataDecoderException) {
                return Optional.of(ApiException.badRequest("the form body is malformed"));
            }
        }
        return Optional.empty();
    }
}
