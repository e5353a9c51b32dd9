package ai.sentryagent.agentidp.agent;

import java.util.List;

/** One page of a listing, with the total number of matches. */
public record Page<T>(List<T> items, int page, int limit, long total) {
    public Page {
        items = List.copyOf(items);
    }
}
