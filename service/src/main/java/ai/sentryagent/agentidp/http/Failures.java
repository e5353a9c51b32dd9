package ai.sentryagent.agentidp.http;

import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeoutException;

/** Tells a dependency outage (answer 503, retry later) from a bug (answer 500). */
public final class Failures {
    private Failures() {}

    /** Seconds a client should wait before retrying after a dependency outage. */
    public static final String RETRY_AFTER_SECONDS = "5";

    public static boolean isUnavailable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ConnectException
                    || t instanceof TimeoutException
                    || t instanceof ClosedChannelException
                    || t instanceof java.io.IOException) {
                return true;
            }
            if (t instanceof io.vertx.pgclient.PgException pg && unavailable(pg.getSqlState())) {
                return true;
            }
            String type = t.getClass().getName();
            String message = t.getMessage() == null ? "" : t.getMessage();
            if (type.contains("Timeout")
                    || type.contains("ClosedConnection")
                    || type.contains("ConnectException")
                    || message.contains("wait queue")
                    || message.contains("Connection refused")
                    || message.contains("Pool closed")
                    || message.contains("Connection is closed")) {
                return true;
            }
        }
        return false;
    }

    /**
     * PostgreSQL's own "not now" (Appendix A of its manual): class 08 connection exceptions, 53 insufficient
     * resources, and 57P01–57P03 — shutting down, crashed, or starting up / in recovery ("the database system is not
     * yet accepting connections"), which is what every request meets while PostgreSQL restarts.
     */
    private static boolean unavailable(String state) {
        return state != null
                && (state.startsWith("08")
                        || state.startsWith("53")
                        || state.equals("57P01")
                        || state.equals("57P02")
                        || state.equals("57P03"));
    }
}
