package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.error.ApiError;
import ai.sentryagent.agentidp.observability.Metrics;
import ai.sentryagent.agentidp.observability.Metrics.EdgeRefusal;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.Shareable;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds the memory that unfinished request bodies hold, whatever the number of connections (F-17: 1,200 connections
 * each sending 65,000 of 65,536 announced bytes and stalling exhausted a 96 MiB heap in 13 s). Mounted once, before
 * any route's {@code BodyHandler}: a request with a body reserves its {@code Content-Length} (the body limit when
 * chunked) from one process-wide budget before a byte of it is buffered, and gives it back when the request ends,
 * fails or its connection closes. A request that does not fit is answered {@code 503} with {@code Retry-After} and
 * the connection closed, so its body is never read. A body not complete within the deadline (one byte every few
 * seconds kept a connection for ever) is answered {@code 408} if possible and its connection closed.
 */
public final class RequestBudget implements Handler<RoutingContext> {
    private static final String SHARED_MAP = "agentidp.http";
    private static final String SHARED_KEY = "requestBodyBudget";

    private final Vertx vertx;
    private final Metrics metrics;
    private final Pool pool;
    private final long bodyTimeoutMs;
    private final long maxBodyBytes;

    /** The bytes still free; one per Vert.x instance, shared by every HTTP verticle's router. */
    static final class Pool implements Shareable {
        private final AtomicLong free;

        Pool(long capacity) {
            this.free = new AtomicLong(capacity);
        }

        boolean reserve(long bytes) {
            long now;
            do {
                now = free.get();
                if (now < bytes) {
                    return false;
                }
            } while (!free.compareAndSet(now, now - bytes));
            return true;
        }

        void release(long bytes) {
            free.addAndGet(bytes);
        }

        long free() {
            return free.get();
        }
    }

    public RequestBudget(Vertx vertx, Metrics metrics, long budgetBytes, long bodyTimeoutMs, long maxBodyBytes) {
        this.vertx = vertx;
        this.metrics = metrics;
        this.pool = pool(vertx, budgetBytes);
        this.bodyTimeoutMs = bodyTimeoutMs;
        this.maxBodyBytes = maxBodyBytes;
    }

    /** Bytes not reserved by an unfinished request body in this Vert.x instance (tests check the accounting). */
    public static long free(Vertx vertx) {
        Pool pool = (Pool) vertx.sharedData().getLocalMap(SHARED_MAP).get(SHARED_KEY);
        return pool == null ? -1 : pool.free();
    }

    private static Pool pool(Vertx vertx, long budgetBytes) {
        var map = vertx.sharedData().<String, Pool>getLocalMap(SHARED_MAP);
        Pool fresh = new Pool(budgetBytes);
        Pool existing = map.putIfAbsent(SHARED_KEY, fresh);
        return existing == null ? fresh : existing;
    }

    @Override
    public void handle(RoutingContext rc) {
        HttpServerRequest request = rc.request();
        long bytes = reservation(request);
        if (bytes == 0 || request.isEnded()) {
            rc.next();
            return;
        }
        if (!pool.reserve(bytes)) {
            metrics.edgeRefusal(EdgeRefusal.BODY_BUDGET);
            refuse(rc, 503, "temporarily_unavailable", "too many request bodies in progress; retry later");
            return;
        }
        boolean[] released = {false};
        Runnable release = () -> {
            if (!released[0]) {
                released[0] = true;
                pool.release(bytes);
            }
        };
        long deadline = vertx.setTimer(bodyTimeoutMs, id -> {
            release.run();
            expire(rc);
        });
        rc.addEndHandler(ended -> {
            // Answered before its body was read (a route without a body, a 413): the rest of the body may still
            // arrive, so the reservation and the deadline stay until it has, or the deadline closes the connection.
            // Closing at once would reset the connection and lose the answer the client has not read yet.
            if (request.isEnded() || ended.failed()) {
                vertx.cancelTimer(deadline);
                release.run();
            }
        });
        rc.next();
    }

    /** What the body may grow to: its announced length, or the body limit when chunked; 0 without a body. */
    private long reservation(HttpServerRequest request) {
        if (request.headers().contains(HttpHeaders.TRANSFER_ENCODING)) {
            return maxBodyBytes;
        }
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length == null) {
            return 0;
        }
        try {
            // Longer than the limit is refused 413 by the BodyHandler without reading: reserve the limit at most.
            return Math.min(Math.max(0, Long.parseLong(length.trim())), maxBodyBytes);
        } catch (NumberFormatException e) {
            return maxBodyBytes;
        }
    }

    private void expire(RoutingContext rc) {
        if (rc.request().isEnded()) {
            return; // the body is complete; the handler is still working, which is not the client's doing
        }
        metrics.edgeRefusal(EdgeRefusal.BODY_TIMEOUT);
        if (rc.response().headWritten() || rc.response().ended()) {
            rc.request().connection().close();
            return;
        }
        refuse(rc, 408, "invalid_request", "the request body was not complete within " + bodyTimeoutMs + " ms");
    }

    /** Answers in the endpoint's error shape and closes the connection, so the rest of the body is never read. */
    private static void refuse(RoutingContext rc, int status, String oauthError, String message) {
        HttpServerResponse response = rc.response();
        boolean oauth = rc.request().path() != null && rc.request().path().startsWith("/api/v1/token");
        JsonObject body = oauth
                ? new JsonObject().put("error", oauthError).put("error_description", message)
                : new JsonObject()
                        .put("error", status == 503 ? "service_unavailable" : "request_timeout")
                        .put("message", message)
                        .put("details", new JsonObject());
        if (status == 503) {
            response.putHeader(HttpHeaders.RETRY_AFTER, ApiError.RETRY_AFTER_SECONDS);
        }
        response.setStatusCode(status)
                .putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .end(body.encode())
                .onComplete(done -> rc.request().connection().close());
    }
}
