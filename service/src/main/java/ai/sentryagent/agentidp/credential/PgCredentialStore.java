package ai.sentryagent.agentidp.credential;

import ai.sentryagent.agentidp.agent.AgentStatus;
import ai.sentryagent.agentidp.agent.PgAgentStore;
import ai.sentryagent.agentidp.audit.Audit;
import ai.sentryagent.agentidp.audit.AuditEvent;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * {@link CredentialStore} on PostgreSQL. Every write drops its agent from the {@link ClientDirectory} once it has
 * committed, before its caller goes on: the next token request on this task sees it, whatever the notification's
 * delay.
 */
public final class PgCredentialStore implements CredentialStore {
    private static final String COLUMNS =
            "c.credential_id, c.agent_id, a.client_id, c.status, c.created_at, c.expires_at, c.revoked_at,"
                    + " c.replaced_by";

    private final Pool pool;
    private final Audit audit;
    private final ClientDirectory directory;

    public PgCredentialStore(Pool pool, Audit audit, ClientDirectory directory) {
        this.pool = pool;
        this.audit = audit;
        this.directory = directory;
    }

    @Override
    public Future<Optional<Credential>> create(
            UUID agentId, byte[] secretHash, Optional<Instant> expiresAt, String label, Audit.Context context) {
        return pool.<Optional<Credential>>withTransaction(tx -> lockAgent(tx, agentId)
                        .compose(status -> {
                            if (status.isEmpty()) {
                                return Future.succeededFuture(Optional.empty());
                            }
                            if (status.get() == AgentStatus.DECOMMISSIONED) {
                                return Future.failedFuture(new CredentialConflict(
                                        "agent " + agentId + " is decommissioned; it gets no new credentials"));
                            }
                            return insert(
                                            tx,
                                            agentId,
                                            secretHash,
                                            expiresAt
                                                    .map(PgCredentialStore::odt)
                                                    .orElse(null),
                                            label)
                                    .compose(created -> audit.append(
                                                    tx,
                                                    AuditEvent.of(
                                                            "credential.created",
                                                            AuditEvent.SUCCESS,
                                                            agentId,
                                                            context,
                                                            Audit.details(
                                                                    "credentialId",
                                                                    created.credentialId()
                                                                            .toString(),
                                                                    "expiresAt",
                                                                    created.expiresAt()
                                                                            .map(Instant::toString)
                                                                            .orElse(null))))
                                            .map(Optional.of(created)));
                        }))
                .andThen(done -> directory.changedAgent(agentId));
    }

    @Override
    public Future<List<Credential>> list(UUID agentId) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM credentials c JOIN agents a USING (agent_id)"
                        + " WHERE c.agent_id = $1 ORDER BY c.created_at, c.credential_id")
                .execute(Tuple.of(agentId))
                .map(rows -> {
                    List<Credential> credentials = new ArrayList<>();
                    rows.forEach(row -> credentials.add(map(row)));
                    return credentials;
                });
    }

    @Override
    public Future<Optional<Credential>> rotate(
            UUID agentId, UUID credentialId, byte[] newHash, Duration grace, Audit.Context context) {
        return pool.withTransaction(tx -> lockAgent(tx, agentId).compose(status -> {
                    if (status.isEmpty()) {
                        return Future.succeededFuture(Optional.<Credential>empty());
                    }
                    if (status.get() == AgentStatus.DECOMMISSIONED) {
                        return Future.failedFuture(new CredentialConflict("agent " + agentId + " is decommissioned"));
                    }
                    return tx.preparedQuery("SELECT status, label, expires_at, replaced_by FROM credentials"
                                    + " WHERE credential_id = $1 AND agent_id = $2 FOR UPDATE")
                            .execute(Tuple.of(credentialId, agentId))
                            .compose(rows -> {
                                if (rows.size() == 0) {
                                    return Future.succeededFuture(Optional.<Credential>empty());
                                }
                                Row old = rows.iterator().next();
                                if (!"active".equals(old.getString("status"))) {
                                    return Future.failedFuture(new CredentialConflict(
                                            "credential " + credentialId + " is revoked; create a new one instead"));
                                }
                                // Still active during its grace period, but already replaced: rotating it again would
                                // leave
                                // two live replacements (the row lock above makes a concurrent second rotation wait
                                // here).
                                UUID replacement = old.getUUID("replaced_by");
                                if (replacement != null) {
                                    return Future.failedFuture(new CredentialConflict("credential " + credentialId
                                            + " was already rotated; its replacement is " + replacement));
                                }
                                return insert(
                                                tx,
                                                agentId,
                                                newHash,
                                                old.getOffsetDateTime("expires_at"),
                                                old.getString("label"))
                                        .compose(fresh -> retire(tx, agentId, credentialId, fresh.credentialId(), grace)
                                                .compose(retired -> audit.append(
                                                        tx,
                                                        AuditEvent.of(
                                                                "credential.rotated",
                                                                AuditEvent.SUCCESS,
                                                                agentId,
                                                                context,
                                                                Audit.details(
                                                                        "credentialId", credentialId.toString(),
                                                                        "replacement",
                                                                                fresh.credentialId()
                                                                                        .toString(),
                                                                        "gracePeriodSeconds", grace.toSeconds()))))
                                                .map(Optional.of(fresh)));
                            });
                }))
                .andThen(done -> directory.changedAgent(agentId));
    }

    /**
     * The old credential stops now — and with it every token the agent holds — or keeps working until its grace
     * period ends and then expires, its tokens with it at their {@code exp}.
     */
    private static Future<Void> retire(
            SqlClient tx, UUID agentId, UUID credentialId, UUID replacement, Duration grace) {
        String sql = grace.isZero()
                ? "UPDATE credentials SET status = 'revoked', revoked_at = now(), replaced_by = $2"
                        + " WHERE credential_id = $1"
                : "UPDATE credentials SET replaced_by = $2, expires_at = LEAST(COALESCE(expires_at, 'infinity'),"
                        + " now() + make_interval(secs => $3)) WHERE credential_id = $1";
        Tuple params = grace.isZero()
                ? Tuple.of(credentialId, replacement)
                : Tuple.of(credentialId, replacement, (double) grace.toSeconds());
        Future<Void> retired = tx.preparedQuery(sql).execute(params).mapEmpty();
        return grace.isZero() ? retired.compose(done -> cutOffTokens(tx, agentId)) : retired;
    }

    /** Every token the agent holds stops working (see {@link PgAgentStore#CUT_OFF_TOKENS}). */
    private static Future<Void> cutOffTokens(SqlClient tx, UUID agentId) {
        return tx.preparedQuery("UPDATE agents SET " + PgAgentStore.CUT_OFF_TOKENS + " WHERE agent_id = $1")
                .execute(Tuple.of(agentId))
                .mapEmpty();
    }

    @Override
    public Future<Boolean> revoke(UUID agentId, UUID credentialId, Audit.Context context) {
        // "old" is the row as it was before this update: only revoking an active credential cuts off tokens, so
        // revoking twice does not kill the tokens issued in between.
        return pool.withTransaction(tx -> tx.preparedQuery("UPDATE credentials c SET status = 'revoked',"
                                + " revoked_at = COALESCE(c.revoked_at, now()) FROM credentials old"
                                + " WHERE old.credential_id = c.credential_id AND c.credential_id = $1 AND c.agent_id = $2"
                                + " RETURNING old.status")
                        .execute(Tuple.of(credentialId, agentId))
                        .compose(rows -> rows.size() > 0
                                        && "active"
                                                .equals(rows.iterator().next().getString(0))
                                ? cutOffTokens(tx, agentId).map(rows)
                                : Future.succeededFuture(rows))
                        .compose(rows -> rows.rowCount() == 0
                                ? Future.succeededFuture(false)
                                : audit.append(
                                                tx,
                                                AuditEvent.of(
                                                        "credential.revoked",
                                                        AuditEvent.SUCCESS,
                                                        agentId,
                                                        context,
                                                        Audit.details("credentialId", credentialId.toString())))
                                        .map(true)))
                .andThen(done -> directory.changedAgent(agentId));
    }

    @Override
    public Future<Void> ensureSecret(UUID agentId, byte[] secretHash, String label) {
        return pool.withTransaction(tx -> lockAgent(tx, agentId)
                        .compose(ignored -> tx.preparedQuery("SELECT credential_id, secret_hash FROM credentials"
                                        + " WHERE agent_id = $1 AND label = $2 AND status = 'active'")
                                .execute(Tuple.of(agentId, label)))
                        .compose(rows -> {
                            boolean current = false;
                            for (Row row : rows) {
                                current |= java.security.MessageDigest.isEqual(
                                        row.getBuffer("secret_hash").getBytes(), secretHash);
                            }
                            if (current && rows.size() == 1) {
                                return Future.<Void>succeededFuture();
                            }
                            return tx.preparedQuery("UPDATE credentials SET status = 'revoked', revoked_at = now()"
                                            + " WHERE agent_id = $1 AND label = $2 AND status = 'active'")
                                    .execute(Tuple.of(agentId, label))
                                    .compose(revoked -> insert(tx, agentId, secretHash, null, label))
                                    .compose(inserted -> cutOffTokens(tx, agentId));
                        }))
                .andThen(done -> directory.changedAgent(agentId));
    }

    private static Future<Optional<AgentStatus>> lockAgent(SqlClient tx, UUID agentId) {
        return tx.preparedQuery("SELECT status FROM agents WHERE agent_id = $1 FOR UPDATE")
                .execute(Tuple.of(agentId))
                .map(rows -> rows.size() == 0
                        ? Optional.empty()
                        : AgentStatus.fromWire(rows.iterator().next().getString(0)));
    }

    private static Future<Credential> insert(
            SqlClient tx, UUID agentId, byte[] hash, OffsetDateTime expiresAt, String label) {
        return tx.preparedQuery("WITH inserted AS (INSERT INTO credentials (credential_id, agent_id, secret_hash,"
                        + " status, label, created_at, expires_at) VALUES ($1, $2, $3, 'active', $4, now(), $5)"
                        + " RETURNING *) SELECT " + COLUMNS + " FROM inserted c JOIN agents a USING (agent_id)")
                .execute(Tuple.of(UUID.randomUUID(), agentId, Buffer.buffer(hash), label, expiresAt))
                .map(rows -> map(rows.iterator().next()));
    }

    private static OffsetDateTime odt(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    private static Credential map(Row row) {
        OffsetDateTime expires = row.getOffsetDateTime("expires_at");
        OffsetDateTime revoked = row.getOffsetDateTime("revoked_at");
        return new Credential(
                row.getUUID("credential_id"),
                row.getUUID("agent_id"),
                row.getString("client_id"),
                "active".equals(row.getString("status")) ? Credential.Status.ACTIVE : Credential.Status.REVOKED,
                row.getOffsetDateTime("created_at").toInstant(),
                Optional.ofNullable(expires).map(OffsetDateTime::toInstant),
                Optional.ofNullable(revoked).map(OffsetDateTime::toInstant),
                Optional.ofNullable(row.getUUID("replaced_by")));
    }
}
