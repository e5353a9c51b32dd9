package ai.sentryagent.agentidp.token;

import ai.sentryagent.agentidp.audit.Audit;
import ai.sentryagent.agentidp.audit.AuditEvent;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL is the record of revocations; Redis caches them with the token's remaining lifetime. A Redis hit
 * answers at once; a miss (or Redis being down) asks PostgreSQL, so a lost cache never revives a token.
 */
public final class PgRedisRevocationStore implements RevocationStore {
    private static final Logger LOG = LoggerFactory.getLogger(PgRedisRevocationStore.class);

    private final Pool pool;
    private final Audit audit;
    private final Redis redis;
    private final String keyPrefix;
    private final Clock clock;

    public PgRedisRevocationStore(Pool pool, Audit audit, Redis redis, String keyPrefix, Clock clock) {
        this.pool = pool;
        this.audit = audit;
        this.redis = redis;
        this.keyPrefix = keyPrefix + "revoked:";
        this.clock = clock;
    }

    @Override
    public Future<Void> revoke(AccessToken token, Audit.Context context) {
        return pool.withTransaction(tx -> tx.preparedQuery("INSERT INTO token_revocations (jti, client_id,"
                                + " expires_at, revoked_at) VALUES ($1, $2, $3, now()) ON CONFLICT (jti) DO NOTHING")
                        .execute(Tuple.of(
                                token.jti(),
                                token.clientId(),
                                OffsetDateTime.ofInstant(token.expiresAt(), ZoneOffset.UTC)))
                        .compose(inserted -> inserted.rowCount() == 0
                                ? Future.<Void>succeededFuture()
                                : audit.append(
                                        tx,
                                        AuditEvent.of(
                                                "token.revoked",
                                                AuditEvent.SUCCESS,
                                                agentId(token.subject()),
                                                context,
                                                Audit.details("jti", token.jti(), "tokenClientId", token.clientId())))))
                .compose(done -> cache(token));
    }

    private static UUID agentId(String subject) {
        try {
            return UUID.fromString(subject);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private Future<Void> cache(AccessToken token) {
        long ttlMs = Duration.between(clock.instant(), token.expiresAt()).toMillis();
        if (ttlMs <= 0) {
            return Future.succeededFuture();
        }
        return redis.send(Request.cmd(Command.SET)
                        .arg(keyPrefix + token.jti())
                        .arg("1")
                        .arg("PX")
                        .arg(ttlMs))
                .<Void>mapEmpty()
                .recover(e -> {
                    LOG.warn(
                            "revocation of {} recorded in PostgreSQL but not cached in Redis: {}",
                            token.jti(),
                            e.toString());
                    return Future.succeededFuture();
                });
    }

    @Override
    public Future<Boolean> isRevoked(AccessToken token) {
        return redis.send(Request.cmd(Command.EXISTS).arg(keyPrefix + token.jti()))
                .timeout(250, java.util.concurrent.TimeUnit.MILLISECONDS)
                .map(response -> response != null && response.toInteger() > 0)
                .otherwise(false)
                .compose(cached -> cached ? Future.succeededFuture(true) : fromDatabase(token));
    }

    private Future<Boolean> fromDatabase(AccessToken token) {
        return pool.preparedQuery("SELECT 1 FROM token_revocations WHERE jti = $1")
                .execute(Tuple.of(token.jti()))
                .map(rows -> rows.size() > 0);
    }
}
