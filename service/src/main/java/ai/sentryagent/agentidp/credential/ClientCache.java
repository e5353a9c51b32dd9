package ai.sentryagent.agentidp.credential;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The token endpoint's client lookups, kept in memory so that a token costs no database round trip. An entry is
 * trusted only while PostgreSQL's change notifications arrive (migration V3's trigger on agents and credentials,
 * {@link PgClientChanges}): a notification drops its client; losing the notification connection drops everything
 * and stops caching until it is back; a write made by this task drops everything before the write's caller goes on.
 * An entry also ends at the earliest expiry of its secrets, and after {@code maxAge} at most — the bound on staleness
 * should the notification connection die without the task noticing.
 */
public final class ClientCache {
    /** The PostgreSQL notification channel; the payload is a client id, or {@code *} for every client. */
    public static final String CHANNEL = "agentidp_client_changed";

    private record Entry(ClientRecord client, Instant expiresAt) {}

    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Instant> unknown = new ConcurrentHashMap<>();
    private final AtomicLong generation = new AtomicLong();
    private final Clock clock;
    private final Duration maxAge;
    private final int maxEntries;
    private volatile boolean live;

    /** {@code maxAge} zero disables the cache. */
    public ClientCache(Clock clock, Duration maxAge, int maxEntries) {
        this.clock = clock;
        this.maxAge = maxAge;
        this.maxEntries = maxEntries;
    }

    public Optional<ClientRecord> get(String clientId) {
        Entry entry = live ? entries.get(clientId) : null;
        if (entry == null) {
            return Optional.empty();
        }
        if (!clock.instant().isBefore(entry.expiresAt())) {
            entries.remove(clientId, entry);
            return Optional.empty();
        }
        return Optional.of(entry.client());
    }

    /** Whether the id was looked up and found to belong to no client, with no change notified since. */
    public boolean knownUnknown(String clientId) {
        Instant expiresAt = live ? unknown.get(clientId) : null;
        if (expiresAt == null) {
            return false;
        }
        if (!clock.instant().isBefore(expiresAt)) {
            unknown.remove(clientId, expiresAt);
            return false;
        }
        return true;
    }

    /** Remembers that no client has this id, under the same rules as {@link #put}. */
    public void putUnknown(String clientId, long generationAtRead) {
        if (!live || maxAge.isZero() || generation.get() != generationAtRead) {
            return;
        }
        if (unknown.size() >= maxEntries) {
            unknown.clear();
        }
        unknown.put(clientId, clock.instant().plus(maxAge));
        if (generation.get() != generationAtRead) {
            unknown.remove(clientId);
        }
    }

    /** Read before looking a client up; {@link #put} drops the result if anything changed meanwhile. */
    public long generation() {
        return generation.get();
    }

    public void put(String clientId, ClientRecord client, long generationAtRead) {
        if (!live || maxAge.isZero() || generation.get() != generationAtRead) {
            return;
        }
        Instant expiresAt = clock.instant().plus(maxAge);
        for (ClientRecord.StoredSecret secret : client.secrets()) {
            if (secret.expiresAt() != null && secret.expiresAt().isBefore(expiresAt)) {
                expiresAt = secret.expiresAt();
            }
        }
        if (entries.size() >= maxEntries) {
            entries.clear(); // many more clients than slots: start over rather than track recency on the hot path
        }
        entries.put(clientId, new Entry(client, expiresAt));
        if (generation.get() != generationAtRead) {
            entries.remove(clientId); // a change arrived while storing
        }
    }

    /** A change notification: one client, or {@code *} for all. */
    public void changed(String clientId) {
        generation.incrementAndGet();
        if ("*".equals(clientId)) {
            entries.clear();
            unknown.clear();
        } else {
            entries.remove(clientId);
            unknown.remove(clientId);
        }
    }

    /** A write by this task: its caller must not see the state from before it. */
    public void changedAll() {
        changed("*");
    }

    /** Whether change notifications are arriving; only then are entries kept. */
    public void live(boolean live) {
        generation.incrementAndGet();
        this.live = live;
        entries.clear();
        unknown.clear();
    }

    public boolean live() {
        return live;
    }
}
