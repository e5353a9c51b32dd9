package ai.sentryagent.agentidp.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL change notifications for the token side's in-memory copies (the client directory, the trust policies):
 * one dedicated connection per task {@code LISTEN}s on every subscribed channel, so the caches cost one connection
 * together, not one each.
 *
 * <p>A subscriber is told it is live only once the {@code LISTEN} of every channel is in place, and not live the
 * moment the connection is lost: a cache must not answer from memory while it cannot hear invalidations. The
 * connection is retried every second until {@link #close()}.
 */
public final class ChangeNotifications {
    private static final Logger LOG = LoggerFactory.getLogger(ChangeNotifications.class);
    private static final long RECONNECT_MS = 1_000;

    private record Subscriber(Consumer<String> changed, Consumer<Boolean> live) {}

    private final Vertx vertx;
    private final PgConnectOptions options;
    /** Filled before {@link #start()}; read-only afterwards. */
    private final Map<String, Subscriber> subscribers = new LinkedHashMap<>();

    private volatile boolean started;
    private volatile boolean live;
    private volatile boolean closed;
    private volatile PgConnection connection;

    public ChangeNotifications(Vertx vertx, PgConnectOptions options) {
        this.vertx = vertx;
        this.options = options;
    }

    /**
     * Before {@link #start()}: {@code changed} receives each notification's payload on {@code channel} (a constant
     * identifier), {@code live} whether notifications are being heard.
     */
    public void subscribe(String channel, Consumer<String> changed, Consumer<Boolean> live) {
        if (started) {
            throw new IllegalStateException("subscribe before start: the LISTEN covers the channels known then");
        }
        if (!channel.matches("[a-z_][a-z0-9_]*")) {
            throw new IllegalArgumentException("channel must be a plain identifier: " + channel);
        }
        subscribers.put(channel, new Subscriber(changed, live));
    }

    /** Connects and listens, unless no cache subscribed (every cache turned off). */
    public void start() {
        started = true;
        if (!subscribers.isEmpty()) {
            connect();
        }
    }

    /** Whether notifications are being heard (every subscribed channel). */
    public boolean live() {
        return live;
    }

    public Future<Void> close() {
        closed = true;
        setLive(false);
        PgConnection current = connection;
        return current == null ? Future.succeededFuture() : current.close();
    }

    private void setLive(boolean live) {
        this.live = live;
        subscribers.values().forEach(subscriber -> subscriber.live().accept(live));
    }

    private void connect() {
        if (closed) {
            return;
        }
        PgConnection.connect(vertx, options)
                .onFailure(e -> {
                    LOG.warn("cannot listen for changes ({}); lookups go to PostgreSQL", e.toString());
                    retryLater();
                })
                .onSuccess(conn -> {
                    connection = conn;
                    conn.notificationHandler(notification -> {
                        Subscriber subscriber = subscribers.get(notification.getChannel());
                        if (subscriber != null) {
                            subscriber.changed().accept(notification.getPayload());
                        }
                    });
                    conn.closeHandler(ignored -> lost());
                    // One simple-protocol query for every channel: all are heard, or none is trusted.
                    StringBuilder listen = new StringBuilder();
                    subscribers
                            .keySet()
                            .forEach(channel ->
                                    listen.append("LISTEN ").append(channel).append(';'));
                    conn.query(listen.toString())
                            .execute()
                            .onSuccess(listening -> {
                                if (closed) {
                                    conn.close();
                                    return;
                                }
                                setLive(true);
                                LOG.info(
                                        "listening for changes on {}: token-endpoint lookups are cached",
                                        subscribers.keySet());
                            })
                            .onFailure(e -> conn.close()); // the close handler retries
                });
    }

    private void lost() {
        setLive(false);
        connection = null;
        if (!closed) {
            LOG.warn("change notifications lost: client and trust policy lookups go to PostgreSQL until they are back");
            retryLater();
        }
    }

    private void retryLater() {
        if (!closed) {
            vertx.setTimer(RECONNECT_MS, id -> connect());
        }
    }
}
