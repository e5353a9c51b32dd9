package ai.sentryagent.agentidp.credential;

import ai.sentryagent.agentidp.agent.AgentStatus;
import ai.sentryagent.agentidp.audit.Audit;
import ai.sentryagent.agentidp.audit.AuditEvent;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * {@link AgentKeyStore} on PostgreSQL. Like {@link PgCredentialStore}, every write commits with its audit event and
 * drops its agent from the {@link ClientDirectory} before its caller goes on; V7's trigger tells the other tasks.
 */
public final class PgAgentKeyStore implements AgentKeyStore {
    private static final String COLUMNS = "agent_id, kid, alg, jwk, created_at";

    private final Pool pool;
    private final Audit audit;
    private final ClientDirectory directory;

    public PgAgentKeyStore(Pool pool, Audit audit, ClientDirectory directory) {
        this.pool = pool;
        this.audit = audit;
        this.directory = directory;
    }

    @Override
    public Future<Optional<AgentKey>> create(UUID agentId, PublicJwk key, Audit.Context context) {
        return pool.<Optional<AgentKey>>withTransaction(tx -> lockAgent(tx, agentId)
                        .compose(status -> {
                            if (status.isEmpty()) {
                                return Future.succeededFuture(Optional.empty());
                            }
                            if (status.get() == AgentStatus.DECOMMISSIONED) {
                                return Future.failedFuture(new CredentialStore.CredentialConflict(
                                        "agent " + agentId + " is decommissioned; it gets no new keys"));
                            }
                            return tx.preparedQuery("SELECT 1 FROM agent_keys WHERE agent_id = $1 AND kid = $2"
                                            + " AND deleted_at IS NULL")
                                    .execute(Tuple.of(agentId, key.kid()))
                                    .compose(existing -> existing.size() > 0
                                            ? Future.failedFuture(new CredentialStore.CredentialConflict("agent "
                                                    + agentId + " already has a key with kid " + key.kid()
                                                    + "; delete it first"))
                                            : insert(tx, agentId, key))
                                    .compose(created -> audit.append(
                                                    tx,
                                                    AuditEvent.of(
                                                            "key.created",
                                                            AuditEvent.SUCCESS,
                                                            agentId,
                                                            context,
                                                            Audit.details("kid", created.kid(), "alg", created.alg())))
                                            .map(Optional.of(created)));
                        }))
                .andThen(done -> directory.changedAgent(agentId));
    }

    @Override
    public Future<List<AgentKey>> list(UUID agentId) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM agent_keys WHERE agent_id = $1 AND deleted_at IS NULL"
                        + " ORDER BY created_at, kid")
                .execute(Tuple.of(agentId))
                .map(rows -> {
                    List<AgentKey> keys = new ArrayList<>();
                    rows.forEach(row -> keys.add(map(row)));
                    return keys;
                });
    }

    @Override
    public Future<Boolean> delete(UUID agentId, String kid, Audit.Context context) {
        return pool.withTransaction(tx -> tx.preparedQuery("UPDATE agent_keys SET deleted_at = now()"
                                + " WHERE agent_id = $1 AND kid = $2 AND deleted_at IS NULL")
                        .execute(Tuple.of(agentId, kid))
                        .compose(rows -> rows.rowCount() == 0
                                ? Future.succeededFuture(false)
                                : audit.append(
                                                tx,
                                                AuditEvent.of(
                                                        "key.deleted",
                                                        AuditEvent.SUCCESS,
                                                        agentId,
                                                        context,
                                                        Audit.details("kid", kid)))
                                        .map(true)))
                .andThen(done -> directory.changedAgent(agentId));
    }

    private static Future<Optional<AgentStatus>> lockAgent(SqlClient tx, UUID agentId) {
        return tx.preparedQuery("SELECT status FROM agents WHERE agent_id = $1 FOR UPDATE")
                .execute(Tuple.of(agentId))
                .map(rows -> rows.size() == 0
                        ? Optional.empty()
                        : AgentStatus.fromWire(rows.iterator().next().getString(0)));
    }

    private static Future<AgentKey> insert(SqlClient tx, UUID agentId, PublicJwk key) {
        return tx.preparedQuery("INSERT INTO agent_keys (key_id, agent_id, kid, alg, jwk, created_at)"
                        + " VALUES ($1, $2, $3, $4, $5, now()) RETURNING " + COLUMNS)
                .execute(Tuple.of(
                        UUID.randomUUID(),
                        agentId,
                        key.kid(),
                        key.alg(),
                        key.jwk().toJSONString()))
                .map(rows -> map(rows.iterator().next()));
    }

    private static AgentKey map(Row row) {
        return new AgentKey(
                row.getUUID("agent_id"),
                row.getString("kid"),
                row.getString("alg"),
                row.getString("jwk"),
                row.getOffsetDateTime("created_at").toInstant());
    }
}
