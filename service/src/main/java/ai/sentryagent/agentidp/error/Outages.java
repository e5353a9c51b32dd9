package ai.sentryagent.agentidp.error;

import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * Tells a dependency outage (answer 503, retry later) from a bug (answer 500) by the type the client library raised,
 * never by its message text: a message is worded for people and changes between releases, which once turned an
 * outage into a 500 and a bug into a 503. It lives with the error model rather than in {@code store} because one of
 * the types, Vert.x's pool-exhaustion exception, sits in {@code io.vertx.core.http}, which the stores must not use.
 */
public final class Outages {
    private Outages() {}

    /** The outage {@code failure} (or one of its causes) is, or empty when it is not one. */
    public static Optional<ApiError> classify(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof TimeoutException) {
                // Vert.x's connect and acquisition timeouts (NoStackTraceTimeoutException) and our own.
                return Optional.of(new ApiError.Timeout(ApiError.DEPENDENCY_UNAVAILABLE));
            }
            if (t instanceof IOException // connection refused (ConnectException, also Redis'), reset, closed channel
                    || t instanceof ClosedConnectionException // PostgreSQL closed the connection mid-query
                    || t instanceof ConnectionPoolTooBusyException // a pool's wait queue is full
                    || t instanceof DependencyDown
                    || t instanceof PgException pg && unavailable(pg.getSqlState())) {
                return Optional.of(new ApiError.Unavailable(ApiError.DEPENDENCY_UNAVAILABLE));
            }
        }
        return Optional.empty();
    }

    /**
     * PostgreSQL's own word that it cannot serve now (SQLSTATE classes, PostgreSQL manual appendix A): 08 connection
     * exception, 53 insufficient resources (too many connections, disk full), 57P01–57P03 shutting down or starting.
     */
    static boolean unavailable(String sqlState) {
        return sqlState != null
                && (sqlState.startsWith("08")
                        || sqlState.startsWith("53")
                        || sqlState.equals("57P01")
                        || sqlState.equals("57P02")
                        || sqlState.equals("57P03"));
    }

    /**
     * A dependency failure the client library raised without a type of its own (Redis' "Connection is closed" and
     * "waiting queue is full" are bare {@code NoStackTraceException}s), typed at the adapter that knows where it came
     * from.
     */
    public static final class DependencyDown extends RuntimeException {
        public DependencyDown(String dependency, Throwable cause) {
            super(dependency + " unavailable: " + cause, cause, false, false);
        }
    }
}
