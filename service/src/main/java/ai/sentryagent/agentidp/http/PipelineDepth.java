package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.observability.Metrics;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;
import java.util.concurrent.TimeUnit;

/**
 * Bounds the pipelined requests a connection may have waiting for their answers (F-27). Vert.x answers pipelined
 * requests one at a time and waits while the client does not read, but it keeps every request already read from the
 * socket: 3,000 {@code GET /metrics} sent without ever reading the answers held a few MiB of parsed requests per
 * connection, and 90 connections exhausted a 96 MiB heap. Past {@link #MAX_UNANSWERED} unanswered requests this
 * stops reading the socket (TCP pushes back on the client) until half of them are answered; a client that pipelines
 * and reads its answers (RFC 9112 §9.3.2) only slows down. If no answer goes out for {@code stallMs} while reading is
 * stopped, the client is not reading at all: the connection is closed and what it held is freed.
 *
 * <p>A Netty handler, one per connection, between Netty's HTTP codec and Vert.x: it counts request heads in and
 * final response parts out, on the connection's event loop.
 */
final class PipelineDepth extends ChannelDuplexHandler {
    /** Above what HTTP client libraries pipeline (most pipeline nothing; a pipelining client that reads only slows down). */
    static final int MAX_UNANSWERED = 32;

    /** The most one read loop takes from the socket. */
    static final int MAX_READ_BYTES = 4096;

    private final Metrics metrics;
    private final long stallNanos;
    private int unanswered;
    private boolean stopped;
    private boolean readWanted;
    private long lastAnswer = System.nanoTime();

    private PipelineDepth(Metrics metrics, long stallMs) {
        this.metrics = metrics;
        this.stallNanos = TimeUnit.MILLISECONDS.toNanos(stallMs);
    }

    /** Installs the count on a new HTTP/1.x connection, just before Vert.x's own handler. */
    static void install(HttpConnection connection, Metrics metrics, long stallMs) {
        if (connection instanceof ConnectionBase base
                && base.channel().pipeline().get("handler") != null) {
            // Stopping reads takes effect after the current read loop, and everything that loop read is decoded:
            // with Netty's default (up to 16 reads of up to 64 KiB) one loop held ~3,000 parsed requests per
            // connection. One read of at most 4 KiB per loop bounds that to ~100 requests past the limit; a token
            // request is a few hundred bytes, so the token path still reads each request in one go.
            base.channel()
                    .config()
                    .setRecvByteBufAllocator(
                            new AdaptiveRecvByteBufAllocator(64, 1024, MAX_READ_BYTES).maxMessagesPerRead(1));
            base.channel()
                    .pipeline()
                    .addBefore("handler", "agentidp-pipeline-depth", new PipelineDepth(metrics, stallMs));
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof HttpRequest && ++unanswered > MAX_UNANSWERED && !stopped) {
            stopped = true;
            lastAnswer = System.nanoTime();
            scheduleStallCheck(ctx);
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void read(ChannelHandlerContext ctx) throws Exception {
        if (stopped) {
            readWanted = true;
            return;
        }
        super.read(ctx);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        // A 100 Continue is a whole message too, but not the answer: the final response still follows.
        boolean interim =
                msg instanceof HttpResponse response && response.status().codeClass() == HttpStatusClass.INFORMATIONAL;
        if (msg instanceof LastHttpContent && !interim && unanswered > 0) {
            unanswered--;
            lastAnswer = System.nanoTime();
            if (stopped && unanswered <= MAX_UNANSWERED / 2) {
                stopped = false;
                if (readWanted) {
                    readWanted = false;
                    ctx.read();
                }
            }
        }
        super.write(ctx, msg, promise);
    }

    private void scheduleStallCheck(ChannelHandlerContext ctx) {
        ctx.executor()
                .schedule(
                        () -> {
                            if (!stopped || !ctx.channel().isOpen()) {
                                return;
                            }
                            if (System.nanoTime() - lastAnswer >= stallNanos) {
                                metrics.edgeRefusal(Metrics.EdgeRefusal.UNREAD_RESPONSES);
                                ctx.close();
                            } else {
                                scheduleStallCheck(ctx);
                            }
                        },
                        Math.max(1, TimeUnit.NANOSECONDS.toMillis(stallNanos) / 4),
                        TimeUnit.MILLISECONDS);
    }
}
