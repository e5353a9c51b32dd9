package ai.sentryagent.agentidp.credential;

import ai.sentryagent.agentidp.agent.AgentStatus;
import ai.sentryagent.agentidp.store.ChangeNotifications;
import ai.sentryagent.agentidp.store.NotifiedCache;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/**
 * The token side's view of clients: who a client id is, its usable secrets and public keys, its agent's state. One
 * PostgreSQL query,
 * answered from memory so that a token costs no database round trip.
 *
 * <p>An entry is trusted only while PostgreSQL's change notifications arrive (migration V3's trigger on agents and
 * credentials): the task's {@link ChangeNotifications} connection {@code LISTEN}s on {@link #CHANNEL}; a notification
 * drops its client; losing the connection drops everything and stops caching until it is back (reconnecting every
 * second); a write made by this task drops its client before the write's caller goes on. An entry also ends at the
 * earliest expiry of its secrets, and after {@code maxAge} at most — the bound on staleness should the connection die
 * unnoticed.
 *
 * <p>Unknown ids are remembered too, so a guess at an unknown id costs what a guess at a known one does (F-08), in a
 * cache of their own: however many ids a guesser sprays, no known client is evicted for them. The rules are {@link
 * NotifiedCache}'s, shared with the trust-policy directory.
 */
public final class ClientDirectory {
    /** The PostgreSQL notification channel; the payload is a client id, or {@code *} for every client. */
    public static final String CHANNEL = "agentidp_client_changed";

    private static final String FIND_CLIENT = "SELECT a.agent_id, a.client_id, a.status, a.scopes,"
            + " a.resources, a.tokens_revoked_before, c.credential_id, c.secret_hash, c.expires_at, (SELECT json_agg(json_build_array("
            + "k.kid, k.jwk) ORDER BY k.created_at) FROM agent_keys k WHERE k.agent_id = a.agent_id AND k.deleted_at IS"
            + " NULL)::text AS keys FROM agents a LEFT JOIN"
            + " credentials c ON c.agent_id = a.agent_id AND c.status = 'active' AND (c.expires_at IS NULL OR"
            + " c.expires_at > now()) WHERE a.client_id = $1";

    private final Function<String, Future<Optional<ClientRecord>>> lookup;
    private final Clock clock;
    private final NotifiedCache<ClientRecord> cache;

    /** {@code maxAge} zero disables caching. {@code lookup} is the database side (the query, or a test's stand-in). */
    ClientDirectory(
            Function<String, Future<Optional<ClientRecord>>> lookup, Clock clock, Duration maxAge, int maxEntries) {
        this.lookup = lookup;
        this.clock = clock;
        this.cache = new NotifiedCache<>(clock, maxAge, maxEntries, this::untilFirstSecretExpires);
    }

    /**
     * The directory on PostgreSQL; unless {@code maxAge} is zero it subscribes to {@code notifications} (started by
     * the caller once every cache has subscribed), and caches once the {@code LISTEN} is in place.
     */
    public static ClientDirectory start(
            Pool pool, ChangeNotifications notifications, Clock clock, Duration maxAge, int maxEntries) {
        ClientDirectory directory = new ClientDirectory(
                clientId -> pool.preparedQuery(FIND_CLIENT)
                        .execute(Tuple.of(clientId))
                        .map(ClientDirectory::record),
                clock,
                maxAge,
                maxEntries);
        if (!maxAge.isZero()) {
            notifications.subscribe(CHANNEL, directory::changed, directory.cache::live);
        }
        return directory;
    }

    /** The agent behind a client id with its usable secrets; empty for an unknown client. */
    public Future<Optional<ClientRecord>> findClient(String clientId) {
        return cache.get(clientId, lookup);
    }

    /** A change notification: one client id, or {@code *} for all. */
    public void changed(String clientId) {
        cache.changed(clientId);
    }

    /**
     * A write by this task to one agent's credentials: its caller must not see the state from before it, whatever
     * the notification's delay. A client id is the agent id or, for the bootstrap client, its configured id: both go.
     */
    public void changedAgent(UUID agentId) {
        cache.changed(agentId.toString(), client -> client.agentId().equals(agentId));
    }

    /** A write by this task that may touch any client (an agent's status or scopes). */
    public void changedAll() {
        changed("*");
    }

    /** Whether change notifications are arriving; only then are answers kept. */
    void live(boolean live) {
        cache.live(live);
    }

    boolean live() {
        return cache.live();
    }

    /** Nanoseconds until the first of its secrets expires (the cache caps it at {@code maxAge}). */
    private long untilFirstSecretExpires(ClientRecord client) {
        long lifetime = Long.MAX_VALUE;
        Instant now = clock.instant();
        for (ClientRecord.StoredSecret secret : client.secrets()) {
            if (secret.expiresAt() != null) {
                lifetime = Math.min(
                        lifetime,
                        Math.max(0, Duration.between(now, secret.expiresAt()).toNanos()));
            }
        }
        return lifetime;
    }

    private static Optional<ClientRecord> record(io.vertx.sqlclient.RowSet<Row> rows) {
        if (rows.size() == 0) {
            return Optional.empty();
        }
        List<ClientRecord.StoredSecret> secrets = new ArrayList<>();
        Row first = null;
        for (Row row : rows) {
            first = first == null ? row : first;
            UUID credentialId = row.getUUID("credential_id");
            if (credentialId != null) {
                OffsetDateTime expiresAt = row.getOffsetDateTime("expires_at");
                secrets.add(new ClientRecord.StoredSecret(
                        credentialId,
                        row.getBuffer("secret_hash").getBytes(),
                        expiresAt == null ? null : expiresAt.toInstant()));
            }
        }
        List<ClientRecord.StoredKey> keys = new ArrayList<>();
        String keyRows = first.getString("keys");
        if (keyRows != null) {
            for (Object item : new io.vertx.core.json.JsonArray(keyRows)) {
                io.vertx.core.json.JsonArray pair = (io.vertx.core.json.JsonArray) item;
                keys.add(new ClientRecord.StoredKey(pair.getString(0), PublicJwk.stored(pair.getString(1))));
            }
        }
        String[] scopes = first.getArrayOfStrings("scopes");
        String[] resources = first.getArrayOfStrings("resources");
        OffsetDateTime cutOff = first.getOffsetDateTime("tokens_revoked_before");
        return Optional.of(new ClientRecord(
                first.getUUID("agent_id"),
                first.getString("client_id"),
                AgentStatus.fromWire(first.getString("status")).orElseThrow(),
                scopes == null ? List.of() : Arrays.asList(scopes),
                secrets,
                Optional.ofNullable(cutOff).map(OffsetDateTime::toInstant),
                resources == null ? List.of() : Arrays.asList(resources),
                keys));
    }
}
