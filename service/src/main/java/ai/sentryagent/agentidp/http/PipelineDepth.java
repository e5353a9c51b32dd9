package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.observability.Metrics;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * Closes a connection that has more than {@link #MAX_UNANSWERED} pipelined requests waiting for their answers (F-27).
 * Vert.x answers pipelined requests one at a time and waits while the client does not read, but it keeps every
 * request already read from the socket: 3,000 {@code GET /metrics} sent without ever reading the answers held a few
 * MiB of parsed requests per connection, and 90 connections exhausted a 96 MiB heap. A client that pipelines (RFC
 * 9112 §9.3.2) and reads its answers stays far below the limit; one that goes over it must resend the unanswered
 * requests on a new connection, as §9.3.2 requires of any pipelining client whose connection closes.
 *
 * <p>A Netty handler, one per connection, between Netty's HTTP codec and Vert.x: it counts request heads in and
 * final response parts out, on the connection's event loop.
 */
final class PipelineDepth extends ChannelDuplexHandler {
    /** Far above what any HTTP client library pipelines, far below what holds real memory (a request is ~1 KiB). */
    static final int MAX_UNANSWERED = 128;

    private final Metrics metrics;
    private int unanswered;

    private PipelineDepth(Metrics metrics) {
        this.metrics = metrics;
    }

    /** Installs the count on a new HTTP/1.x connection, just before Vert.x's own handler. */
    static void install(HttpConnection connection, Metrics metrics) {
        if (connection instanceof ConnectionBase base
                && base.channel().pipeline().get("handler") != null) {
            base.channel().pipeline().addBefore("handler", "agentidp-pipeline-depth", new PipelineDepth(metrics));
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof HttpRequest && ++unanswered > MAX_UNANSWERED) {
            if (ctx.channel().isOpen()) {
                metrics.edgeRefusal(Metrics.EdgeRefusal.UNREAD_RESPONSES);
                ctx.close();
            }
            ReferenceCountUtil.release(msg);
            return;
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        // A 100 Continue is a whole message too, but not the answer: the final response still follows.
        boolean interim =
                msg instanceof HttpResponse response && response.status().codeClass() == HttpStatusClass.INFORMATIONAL;
        if (msg instanceof LastHttpContent && !interim && unanswered > 0) {
            unanswered--;
        }
        super.write(ctx, msg, promise);
    }
}
