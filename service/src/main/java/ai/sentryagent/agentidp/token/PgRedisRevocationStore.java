package ai.sentryagent.agentidp.token;

import ai.sentryagent.agentidp.audit.Audit;
import ai.sentryagent.agentidp.audit.AuditEvent;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL is the record of revocations; Redis holds a complete copy that every task reads, so checking a valid
 * token is one Redis round trip and a revocation on any task counts on every task at once.
 *
 * <p>The copy is one sorted set — member the {@code jti} (or {@code d:<delegationId>} for a revoked delegation,
 * recorded in the same table by {@link PgDelegationStore}), score when it stops mattering — and a member
 * {@value #COMPLETE}
 * that says the set holds every revocation PostgreSQL has. Without that member (Redis restarted, flushed, or evicted
 * the key: the whole key goes, never half of it) a check asks PostgreSQL, and one task at a time copies PostgreSQL's
 * revocations back. So a lost copy never revives a token, and "absent" is trusted only from a complete copy.
 *
 * <p>A revocation is written to PostgreSQL (with its audit event), then to Redis, and acknowledged only once both
 * hold it: if Redis cannot take it, the revocation answers 503 (RFC 7009 §2.2.1: the client keeps the token and
 * retries; retrying is idempotent) after trying to drop {@value #COMPLETE}, so that no task trusts a copy missing it.
 */
public final class PgRedisRevocationStore implements RevocationStore {
    private static final Logger LOG = LoggerFactory.getLogger(PgRedisRevocationStore.class);
    /** The completeness marker; a jti is a UUID, so no token can collide with it. */
    static final String COMPLETE = "[complete]";

    private static final long REDIS_TIMEOUT_MS = 250;

    private final Pool pool;
    private final Audit audit;
    private final Redis redis;
    private final String key;
    private final Clock clock;
    private final AtomicBoolean copying = new AtomicBoolean();

    public PgRedisRevocationStore(Pool pool, Audit audit, Redis redis, String keyPrefix, Clock clock) {
        this.pool = pool;
        this.audit = audit;
        this.redis = redis;
        this.key = keyPrefix + "revoked:jti";
        this.clock = clock;
    }

    @Override
    public Future<Void> revoke(AccessToken token, Audit.Context context) {
        return record(token, context).compose(done -> share(token));
    }

    private Future<Void> record(AccessToken token, Audit.Context context) {
        return pool.withTransaction(tx -> tx.preparedQuery("INSERT INTO token_revocations (jti, client_id,"
                        + " expires_at, revoked_at) VALUES ($1, $2, $3, now()) ON CONFLICT (jti) DO NOTHING")
                .execute(Tuple.of(
                        token.jti(), token.clientId(), OffsetDateTime.ofInstant(token.expiresAt(), ZoneOffset.UTC)))
                .compose(inserted -> inserted.rowCount() == 0
                        ? Future.<Void>succeededFuture()
                        : audit.append(
                                tx,
                                AuditEvent.of(
                                        "token.revoked",
                                        AuditEvent.SUCCESS,
                                        agentId(token.subject()),
                                        context,
                                        Audit.details("jti", token.jti(), "tokenClientId", token.clientId())))));
    }

    /** Rows per delete: each batch is a short transaction, so pruning a long backlog never holds locks for long. */
    static final int PRUNE_BATCH = 10_000;

    @Override
    public Future<Long> pruneExpired(java.time.Duration grace) {
        return pruneFrom(OffsetDateTime.ofInstant(clock.instant().minus(grace), ZoneOffset.UTC), 0);
    }

    private Future<Long> pruneFrom(OffsetDateTime before, long pruned) {
        return pool.preparedQuery("DELETE FROM token_revocations WHERE jti IN (SELECT jti FROM token_revocations"
                        + " WHERE expires_at < $1 LIMIT $2)")
                .execute(Tuple.of(before, PRUNE_BATCH))
                .compose(deleted -> deleted.rowCount() < PRUNE_BATCH
                        ? Future.succeededFuture(pruned + deleted.rowCount())
                        : pruneFrom(before, pruned + deleted.rowCount()));
    }

    private Future<Void> share(AccessToken token) {
        return share(token.jti(), token.expiresAt());
    }

    @Override
    public Future<Void> share(String member, Instant keepUntil) {
        long now = clock.millis();
        if (keepUntil.toEpochMilli() <= now) {
            return Future.succeededFuture(); // expired: no check will ever get past its exp
        }
        return redis.batch(List.of(
                        Request.cmd(Command.ZADD)
                                .arg(key)
                                .arg(keepUntil.toEpochMilli())
                                .arg(member),
                        // Expired revocations go with each new one; the marker's score is +inf.
                        Request.cmd(Command.ZREMRANGEBYSCORE)
                                .arg(key)
                                .arg("-inf")
                                .arg(now)))
                .timeout(REDIS_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                .<Void>mapEmpty()
                .recover(e -> {
                    LOG.warn("revocation of {} recorded in PostgreSQL but not in Redis: {}", member, e.toString());
                    return redis.send(Request.cmd(Command.ZREM).arg(key).arg(COMPLETE))
                            .timeout(REDIS_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                            .transform(ignored -> Future.failedFuture(new NotPropagated(e)));
                });
    }

    /**
     * One Redis command however many members: {@code ZMSCORE} (Redis 6.2+) of the marker and every member — for a
     * token, its jti and, when it came from token exchange, every ancestor's jti and every delegation id it rests on;
     * for a token exchange, also the delegation the new token would rest on. Redis down, or its copy incomplete:
     * PostgreSQL, which holds every revocation Redis does.
     */
    @Override
    public Future<Set<String>> revokedAmong(List<String> members) {
        if (members.isEmpty()) {
            return Future.succeededFuture(Set.of());
        }
        Request zmscore = Request.cmd(Command.ZMSCORE).arg(key).arg(COMPLETE);
        members.forEach(zmscore::arg);
        return redis.send(zmscore)
                .timeout(REDIS_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                .compose(
                        scores -> {
                            if (scores.get(0) == null) {
                                copyFromDatabase();
                                return revokedInDatabase(members);
                            }
                            Set<String> revoked = new HashSet<>();
                            for (int i = 1; i < scores.size(); i++) {
                                if (scores.get(i) != null) {
                                    revoked.add(members.get(i - 1));
                                }
                            }
                            return Future.succeededFuture(revoked);
                        },
                        unreachable -> revokedInDatabase(members));
    }

    /** Delegation revocations are rows of the same table (member {@code d:<id>}), so this covers them too. */
    private Future<Set<String>> revokedInDatabase(List<String> members) {
        return pool.preparedQuery("SELECT jti FROM token_revocations WHERE jti = ANY($1)")
                .execute(Tuple.of(members.toArray(new String[0])))
                .map(rows -> {
                    Set<String> revoked = new HashSet<>();
                    rows.forEach(row -> revoked.add(row.getString(0)));
                    return revoked;
                });
    }

    /**
     * Rebuilds the copy: every unexpired revocation and the marker in one {@code ZADD}, so the marker never stands
     * without them. A revocation committed after the read below is in Redis already (revocations write Redis
     * themselves, or answer 503), so the copy is complete when the marker lands.
     */
    private void copyFromDatabase() {
        if (!copying.compareAndSet(false, true)) {
            return;
        }
        pool.preparedQuery("SELECT jti, expires_at FROM token_revocations WHERE expires_at > now()")
                .execute()
                .compose(rows -> {
                    Request zadd = Request.cmd(Command.ZADD).arg(key);
                    for (Row row : rows) {
                        zadd.arg(row.getOffsetDateTime("expires_at").toInstant().toEpochMilli())
                                .arg(row.getString("jti"));
                    }
                    zadd.arg("+inf").arg(COMPLETE);
                    return redis.send(zadd).map(rows.size());
                })
                .onSuccess(count -> LOG.info("revocations copied to Redis: {}", count))
                .onFailure(e -> LOG.warn("cannot copy revocations to Redis yet: {}", e.toString()))
                .onComplete(done -> copying.set(false));
    }

    private static UUID agentId(String subject) {
        try {
            return UUID.fromString(subject);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
