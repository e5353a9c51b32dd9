package ai.sentryagent.agentidp.credential;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a {@link ClientCache} fresh: one dedicated PostgreSQL connection that {@code LISTEN}s on
 * {@link ClientCache#CHANNEL}. The cache is live only from a successful {@code LISTEN} until that connection closes;
 * then it reconnects every second.
 */
public final class PgClientChanges {
    private static final Logger LOG = LoggerFactory.getLogger(PgClientChanges.class);
    private static final long RECONNECT_MS = 1_000;

    private final Vertx vertx;
    private final PgConnectOptions options;
    private final ClientCache cache;
    private volatile boolean closed;
    private volatile PgConnection connection;

    private PgClientChanges(Vertx vertx, PgConnectOptions options, ClientCache cache) {
        this.vertx = vertx;
        this.options = options;
        this.cache = cache;
    }

    /** Starts listening; the cache turns live once the {@code LISTEN} is in place. */
    public static PgClientChanges start(Vertx vertx, PgConnectOptions options, ClientCache cache) {
        PgClientChanges changes = new PgClientChanges(vertx, options, cache);
        changes.connect();
        return changes;
    }

    private void connect() {
        if (closed) {
            return;
        }
        PgConnection.connect(vertx, options)
                .onFailure(e -> {
                    LOG.warn("cannot listen for client changes ({}); lookups go to PostgreSQL", e.toString());
                    retryLater();
                })
                .onSuccess(conn -> {
                    connection = conn;
                    conn.notificationHandler(notification -> cache.changed(notification.getPayload()));
                    conn.closeHandler(ignored -> lost());
                    conn.query("LISTEN " + ClientCache.CHANNEL)
                            .execute()
                            .onSuccess(listening -> {
                                if (closed) {
                                    conn.close();
                                    return;
                                }
                                cache.live(true);
                                LOG.info("listening for client changes: token-endpoint lookups are cached");
                            })
                            .onFailure(e -> conn.close()); // the close handler retries
                });
    }

    private void lost() {
        cache.live(false);
        connection = null;
        if (!closed) {
            LOG.warn("client change notifications lost: lookups go to PostgreSQL until they are back");
            retryLater();
        }
    }

    private void retryLater() {
        if (!closed) {
            vertx.setTimer(RECONNECT_MS, id -> connect());
        }
    }

    public Future<Void> close() {
        closed = true;
        cache.live(false);
        PgConnection current = connection;
        return current == null ? Future.succeededFuture() : current.close();
    }
}
