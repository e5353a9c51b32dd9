package ai.sentryagent.agentidp.http;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import java.util.HashMap;
import java.util.Map;

/**
 * Closes a connection that does not deliver a complete request head in time (slowloris, F-20). Vert.x has an idle
 * timeout only, which every byte resets, so a client dribbling a header a byte at a time held its connection for
 * ever. The rule: a new connection must deliver its first request head within {@code headTimeoutMs}; once a
 * response has ended, the next head must arrive within {@code keepAliveMs} (the load balancer reuses idle
 * connections up to its own idle timeout). A request being served is never cut off.
 *
 * <p>One instance per HTTP verticle, used on its event loop only; a sweep every quarter of the head timeout (at
 * most once a second) checks the connections it holds.
 */
public final class RequestHeadTimeout {
    private final Vertx vertx;
    private final long headTimeoutMs;
    private final long keepAliveMs;
    private final Map<HttpConnection, State> connections = new HashMap<>();
    private long sweeper = -1;

    private static final class State {
        final long openedAt;
        HttpServerRequest last;
        long idleSince;

        State(long openedAt) {
            this.openedAt = openedAt;
        }
    }

    public RequestHeadTimeout(Vertx vertx, long headTimeoutMs, long keepAliveMs) {
        this.vertx = vertx;
        this.headTimeoutMs = headTimeoutMs;
        this.keepAliveMs = keepAliveMs;
    }

    /** Starts the sweep; call on the verticle's event loop. */
    public void start() {
        sweeper = vertx.setPeriodic(Math.max(25, Math.min(1_000, headTimeoutMs / 4)), id -> sweep());
    }

    public void stop() {
        vertx.cancelTimer(sweeper);
    }

    public void opened(HttpConnection connection) {
        connections.put(connection, new State(System.nanoTime()));
        connection.closeHandler(closed -> connections.remove(connection));
    }

    /** A complete request head arrived. */
    public void arrived(HttpServerRequest request) {
        State state = connections.get(request.connection());
        if (state != null) {
            state.last = request;
            state.idleSince = 0;
        }
    }

    private void sweep() {
        long now = System.nanoTime();
        connections.entrySet().removeIf(entry -> {
            State state = entry.getValue();
            boolean late;
            if (state.last == null) {
                late = elapsedMs(state.openedAt, now) > headTimeoutMs;
            } else if (!state.last.response().ended()) {
                late = false;
            } else {
                if (state.idleSince == 0) {
                    state.idleSince = now;
                }
                late = elapsedMs(state.idleSince, now) > keepAliveMs;
            }
            if (late) {
                entry.getKey().close();
            }
            return late;
        });
    }

    private static long elapsedMs(long since, long now) {
        return (now - since) / 1_000_000;
    }
}
