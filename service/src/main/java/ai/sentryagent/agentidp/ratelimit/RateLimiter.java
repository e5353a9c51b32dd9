package ai.sentryagent.agentidp.ratelimit;

import io.vertx.core.Future;
import java.util.List;

/** Fixed-window counters keyed by what is being limited (a client, an IP). */
public interface RateLimiter {
    /** The outcome for one key. {@code retryAfterSeconds} is when the window resets. */
    record Decision(boolean allowed, long count, long retryAfterSeconds) {}

    /** Counts one event against the key and says whether it is within {@code limit} for the window. */
    Future<Decision> hit(String key, int limit);

    /** Reads the keys' counts without counting; a decision per key against its limit, in order. */
    Future<List<Decision>> peek(List<String> keys, List<Integer> limits);
}
