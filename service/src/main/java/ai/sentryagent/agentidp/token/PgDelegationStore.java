package ai.sentryagent.agentidp.token;

import ai.sentryagent.agentidp.audit.Audit;
import ai.sentryagent.agentidp.audit.AuditEvent;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * {@link DelegationStore} on PostgreSQL (migration V10). A revocation marks the row, adds the member
 * {@code d:<delegationId>} to {@code token_revocations} and writes {@code delegation.revoked}, in one transaction;
 * then {@link RevocationStore#share} puts it in Redis, where every check of a token derived from the delegation finds
 * it. The member is kept until the last token that can rest on the delegation expires: a derived token lives at most
 * {@code TOKEN_EXCHANGE_MAX_LIFETIME_SECONDS} and never past the delegation's own expiry.
 */
public final class PgDelegationStore implements DelegationStore {
    private static final String COLUMNS = "delegation_id, subject_agent_id, actor_agent_id, scopes, audiences,"
            + " max_depth, expires_at, created_at, revoked_at";
    /** Past a derived token's exp, for clocks a little apart. */
    private static final Duration MARGIN = Duration.ofSeconds(60);

    private final Pool pool;
    private final Audit audit;
    private final RevocationStore revocations;
    private final Duration maxDerivedLifetime;

    public PgDelegationStore(Pool pool, Audit audit, RevocationStore revocations, Duration maxDerivedLifetime) {
        this.pool = pool;
        this.audit = audit;
        this.revocations = revocations;
        this.maxDerivedLifetime = maxDerivedLifetime;
    }

    @Override
    public Future<Delegation> create(Delegation.New d, Audit.Context context) {
        return pool.withTransaction(tx -> tx.preparedQuery("INSERT INTO delegations (delegation_id,"
                        + " subject_agent_id, actor_agent_id, scopes, audiences, max_depth, expires_at, created_at)"
                        + " VALUES ($1, $2, $3, $4, $5, $6, $7, now()) RETURNING " + COLUMNS)
                .execute(Tuple.tuple()
                        .addValue(UUID.randomUUID())
                        .addValue(d.subjectAgentId())
                        .addValue(d.actorAgentId())
                        .addValue(d.scopes().toArray(new String[0]))
                        .addValue(d.audiences().toArray(new String[0]))
                        .addValue(d.maxDepth())
                        .addValue(d.expiresAt()
                                .map(at -> OffsetDateTime.ofInstant(at, ZoneOffset.UTC))
                                .orElse(null)))
                .map(rows -> map(rows.iterator().next()))
                .compose(created -> audit.append(
                                tx,
                                AuditEvent.of(
                                        "delegation.created",
                                        AuditEvent.SUCCESS,
                                        created.subjectAgentId(),
                                        context,
                                        Audit.details(
                                                "delegationId",
                                                        created.delegationId().toString(),
                                                "actorAgentId",
                                                        created.actorAgentId().toString(),
                                                "scopes", new JsonArray(created.scopes()),
                                                "audiences", new JsonArray(created.audiences()),
                                                "maxDepth", created.maxDepth(),
                                                "expiresAt",
                                                        created.expiresAt()
                                                                .map(Instant::toString)
                                                                .orElse(null))))
                        .map(created)));
    }

    @Override
    public Future<List<Delegation>> list(UUID agentId) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM delegations WHERE subject_agent_id = $1"
                        + " OR actor_agent_id = $1 ORDER BY created_at DESC, delegation_id")
                .execute(Tuple.of(agentId))
                .map(PgDelegationStore::all);
    }

    @Override
    public Future<List<Delegation>> liveReceivedBy(UUID actorAgentId) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM delegations WHERE actor_agent_id = $1"
                        + " AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())"
                        + " ORDER BY created_at, delegation_id")
                .execute(Tuple.of(actorAgentId))
                .map(PgDelegationStore::all);
    }

    @Override
    public Future<Optional<Delegation>> revoke(UUID subjectAgentId, UUID delegationId, Audit.Context context) {
        return pool.<Optional<Delegation>>withTransaction(tx -> tx.preparedQuery("UPDATE delegations SET revoked_at"
                                + " = now() WHERE delegation_id = $1 AND subject_agent_id = $2 AND revoked_at IS NULL"
                                + " RETURNING " + COLUMNS)
                        .execute(Tuple.of(delegationId, subjectAgentId))
                        .compose(updated -> updated.size() == 0
                                ? find(tx, subjectAgentId, delegationId) // absent, or revoked before
                                : recordRevocation(tx, map(updated.iterator().next()), context)))
                .compose(found -> found.filter(d -> d.revokedAt().isPresent())
                        .map(revoked -> revocations
                                .share(
                                        AccessToken.delegationKey(
                                                revoked.delegationId().toString()),
                                        keepUntil(revoked))
                                .map(found))
                        .orElse(Future.succeededFuture(found)));
    }

    private Future<Optional<Delegation>> recordRevocation(SqlClient tx, Delegation revoked, Audit.Context context) {
        return tx.preparedQuery("INSERT INTO token_revocations (jti, client_id, expires_at, revoked_at)"
                        + " VALUES ($1, $2, $3, now()) ON CONFLICT (jti) DO NOTHING")
                .execute(Tuple.of(
                        AccessToken.delegationKey(revoked.delegationId().toString()),
                        revoked.actorAgentId().toString(),
                        OffsetDateTime.ofInstant(keepUntil(revoked), ZoneOffset.UTC)))
                .compose(inserted -> audit.append(
                        tx,
                        AuditEvent.of(
                                "delegation.revoked",
                                AuditEvent.SUCCESS,
                                revoked.subjectAgentId(),
                                context,
                                Audit.details(
                                        "delegationId", revoked.delegationId().toString(),
                                        "actorAgentId", revoked.actorAgentId().toString()))))
                .map(Optional.of(revoked));
    }

    /** Until the last token that may rest on it has expired (retries of the DELETE re-share it until then). */
    private Instant keepUntil(Delegation revoked) {
        Instant lastDerived = revoked.revokedAt().orElseThrow().plus(maxDerivedLifetime);
        if (revoked.expiresAt().isPresent() && revoked.expiresAt().get().isBefore(lastDerived)) {
            lastDerived = revoked.expiresAt().get();
        }
        return lastDerived.plus(MARGIN);
    }

    private static Future<Optional<Delegation>> find(SqlClient tx, UUID subjectAgentId, UUID delegationId) {
        return tx.preparedQuery("SELECT " + COLUMNS + " FROM delegations WHERE delegation_id = $1"
                        + " AND subject_agent_id = $2")
                .execute(Tuple.of(delegationId, subjectAgentId))
                .map(rows -> rows.size() == 0
                        ? Optional.<Delegation>empty()
                        : Optional.of(map(rows.iterator().next())));
    }

    private static List<Delegation> all(io.vertx.sqlclient.RowSet<Row> rows) {
        List<Delegation> list = new ArrayList<>();
        rows.forEach(row -> list.add(map(row)));
        return list;
    }

    private static Delegation map(Row row) {
        return new Delegation(
                row.getUUID("delegation_id"),
                row.getUUID("subject_agent_id"),
                row.getUUID("actor_agent_id"),
                Arrays.asList(row.getArrayOfStrings("scopes")),
                Arrays.asList(row.getArrayOfStrings("audiences")),
                row.getInteger("max_depth"),
                Optional.ofNullable(row.getOffsetDateTime("expires_at")).map(OffsetDateTime::toInstant),
                row.getOffsetDateTime("created_at").toInstant(),
                Optional.ofNullable(row.getOffsetDateTime("revoked_at")).map(OffsetDateTime::toInstant));
    }
}
