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
}
