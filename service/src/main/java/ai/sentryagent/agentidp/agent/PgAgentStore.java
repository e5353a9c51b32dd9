package ai.sentryagent.agentidp.agent;

import ai.sentryagent.agentidp.audit.Audit;
import ai.sentryagent.agentidp.audit.AuditEvent;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** {@link AgentStore} on PostgreSQL. */
public final class PgAgentStore implements AgentStore {
    /**
     * Moves the agent's token cut-off (migration V5) to the start of the next second: {@code iat} has whole seconds,
     * so every token issued up to now — including earlier in this second — falls before it, and the token endpoint
     * stamps tokens issued later in this second with the cut-off itself (see {@code TokenCodec#newToken}). Such a
     * token may already exist when the cut-off is moved again in the same second, so then it moves one second past
     * the previous one; it never moves back.
     */
    public static final String CUT_OFF_TOKENS = "tokens_revoked_before = CASE WHEN tokens_revoked_before >"
            + " date_trunc('second', now()) THEN tokens_revoked_before + interval '1 second' ELSE date_trunc('second',"
            + " now()) + interval '1 second' END";

    private static final String COLUMNS =
            "agent_id, client_id, name, description, owner, agent_type, scopes, resources, status, created_at,"
                    + " updated_at";

    private final Pool pool;
    private final Audit audit;

    public PgAgentStore(Pool pool, Audit audit) {
        this.pool = pool;
        this.audit = audit;
    }

    @Override
    public Future<Agent> create(NewAgent agent, Audit.Context context) {
        UUID id = UUID.randomUUID();
        return pool.withTransaction(tx -> tx.preparedQuery("INSERT INTO agents (" + COLUMNS + ") VALUES ($1, $2, $3,"
                        + " $4, $5, $6, $7, $8, 'active', now(), now()) RETURNING " + COLUMNS)
                .execute(Tuple.of(
                        id,
                        id.toString(),
                        agent.name(),
                        agent.description(),
                        agent.owner(),
                        agent.agentType(),
                        agent.scopes().toArray(String[]::new),
                        agent.resources().toArray(String[]::new)))
                .map(rows -> map(rows.iterator().next()))
                .compose(created -> audit.append(
                                tx,
                                AuditEvent.of(
                                        "agent.registered",
                                        AuditEvent.SUCCESS,
                                        created.agentId(),
                                        context,
                                        Audit.details(
                                                "name",
                                                created.name(),
                                                "owner",
                                                created.owner(),
                                                "scopes",
                                                new JsonArray(created.scopes()),
                                                "resources",
                                                new JsonArray(created.resources()))))
                        .map(created)));
    }

    @Override
    public Future<Optional<Agent>> find(UUID agentId) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM agents WHERE agent_id = $1")
                .execute(Tuple.of(agentId))
                .map(PgAgentStore::first);
    }

    @Override
    public Future<Page<Agent>> list(AgentQuery query) {
        List<String> conditions = new ArrayList<>();
        List<Object> params = new ArrayList<>();
        query.status().ifPresent(status -> {
            params.add(status.wireName());
            conditions.add("status = $" + params.size());
        });
        query.owner().ifPresent(owner -> {
            params.add(owner);
            conditions.add("owner = $" + params.size());
        });
        query.agentType().ifPresent(type -> {
            params.add(type);
            conditions.add("agent_type = $" + params.size());
        });
        String where = conditions.isEmpty() ? "" : " WHERE " + String.join(" AND ", conditions);
        Future<Long> total = pool.preparedQuery("SELECT count(*) FROM agents" + where)
                .execute(Tuple.tuple(params))
                .map(rows -> rows.iterator().next().getLong(0));
        List<Object> pageParams = new ArrayList<>(params);
        pageParams.add((long) query.limit());
        pageParams.add((long) (query.page() - 1) * query.limit());
        Future<List<Agent>> items = pool.preparedQuery("SELECT " + COLUMNS + " FROM agents" + where
                        + " ORDER BY created_at, agent_id LIMIT $" + (params.size() + 1) + " OFFSET $"
                        + (params.size() + 2))
                .execute(Tuple.tuple(pageParams))
                .map(rows -> {
                    List<Agent> agents = new ArrayList<>();
                    rows.forEach(row -> agents.add(map(row)));
                    return agents;
                });
        return Future.all(total, items)
                .map(done -> new Page<>(items.result(), query.page(), query.limit(), total.result()));
    }

    @Override
    public Future<Optional<Agent>> update(UUID agentId, AgentPatch patch, Audit.Context context) {
        return pool.withTransaction(tx -> tx.preparedQuery("SELECT status FROM agents WHERE agent_id = $1 FOR UPDATE")
                .execute(Tuple.of(agentId))
                .compose(rows -> {
                    if (rows.size() == 0) {
                        return Future.succeededFuture(Optional.empty());
                    }
                    if (AgentStatus.DECOMMISSIONED
                            .wireName()
                            .equals(rows.iterator().next().getString(0))) {
                        return Future.failedFuture(new AgentConflict("agent " + agentId + " is decommissioned"));
                    }
                    return applyPatch(tx, agentId, patch)
                            .compose(updated -> updated.isEmpty()
                                    ? Future.succeededFuture(updated)
                                    : audit.append(
                                                    tx,
                                                    AuditEvent.of(
                                                            "agent.updated",
                                                            AuditEvent.SUCCESS,
                                                            agentId,
                                                            context,
                                                            updateDetails(patch, updated.get())))
                                            .map(updated));
                }));
    }

    /** The changed fields; the new resource list too, since it decides which audiences the agent's tokens get. */
    private static JsonObject updateDetails(AgentPatch patch, Agent updated) {
        JsonObject details = Audit.details(
                "fields",
                new JsonArray(changedFields(patch)),
                "status",
                updated.status().wireName());
        patch.resources().ifPresent(resources -> details.put("resources", new JsonArray(resources)));
        return details;
    }

    private static List<String> changedFields(AgentPatch patch) {
        List<String> fields = new ArrayList<>();
        patch.name().ifPresent(v -> fields.add("name"));
        if (patch.description().isPresent() || patch.clearDescription()) {
            fields.add("description");
        }
        patch.owner().ifPresent(v -> fields.add("owner"));
        patch.agentType().ifPresent(v -> fields.add("agentType"));
        patch.scopes().ifPresent(v -> fields.add("scopes"));
        patch.resources().ifPresent(v -> fields.add("resources"));
        patch.status().ifPresent(v -> fields.add("status"));
        return fields;
    }

    private static Future<Optional<Agent>> applyPatch(SqlClient tx, UUID agentId, AgentPatch patch) {
        List<String> sets = new ArrayList<>();
        Tuple params = Tuple.of(agentId);
        patch.name().ifPresent(v -> set(sets, params, "name", v));
        if (patch.clearDescription()) {
            sets.add("description = NULL");
        }
        patch.description().ifPresent(v -> set(sets, params, "description", v));
        patch.owner().ifPresent(v -> set(sets, params, "owner", v));
        patch.agentType().ifPresent(v -> set(sets, params, "agent_type", v));
        patch.scopes().ifPresent(v -> {
            params.addArrayOfString(v.toArray(String[]::new));
            sets.add("scopes = $" + params.size());
        });
        patch.resources().ifPresent(v -> {
            params.addArrayOfString(v.toArray(String[]::new));
            sets.add("resources = $" + params.size());
        });
        patch.status().ifPresent(v -> set(sets, params, "status", v.wireName()));
        if (patch.status().equals(Optional.of(AgentStatus.SUSPENDED))) {
            sets.add(CUT_OFF_TOKENS); // reactivating the agent later must not revive the tokens it had
        }
        sets.add("updated_at = now()");
        return tx.preparedQuery(
                        "UPDATE agents SET " + String.join(", ", sets) + " WHERE agent_id = $1 RETURNING " + COLUMNS)
                .execute(params)
                .map(PgAgentStore::first);
    }

    private static void set(List<String> sets, Tuple params, String column, String value) {
        params.addString(value);
        sets.add(column + " = $" + params.size());
    }

    @Override
    public Future<Optional<Agent>> decommission(UUID agentId, Audit.Context context) {
        return pool.withTransaction(tx -> tx.preparedQuery("UPDATE agents SET status = 'decommissioned',"
                        + " updated_at = CASE WHEN status = 'decommissioned' THEN updated_at ELSE now() END"
                        + " WHERE agent_id = $1 RETURNING " + COLUMNS)
                .execute(Tuple.of(agentId))
                .compose(rows -> {
                    Optional<Agent> agent = first(rows);
                    if (agent.isEmpty()) {
                        return Future.succeededFuture(agent);
                    }
                    return tx.preparedQuery("UPDATE credentials SET status = 'revoked', revoked_at = now()"
                                    + " WHERE agent_id = $1 AND status = 'active'")
                            .execute(Tuple.of(agentId))
                            .compose(revoked -> audit.append(
                                    tx,
                                    AuditEvent.of(
                                            "agent.decommissioned",
                                            AuditEvent.SUCCESS,
                                            agentId,
                                            context,
                                            Audit.details("credentialsRevoked", revoked.rowCount()))))
                            .map(agent);
                }));
    }

    @Override
    public Future<Optional<Instant>> revokeTokens(UUID agentId, Audit.Context context) {
        // Locked first, as in update(): a decommissioned agent has no tokens to cut off, and a decommission running
        // at the same time is either before (409) or after (it cuts them off itself).
        return pool.withTransaction(tx -> tx.preparedQuery("SELECT status FROM agents WHERE agent_id = $1 FOR UPDATE")
                .execute(Tuple.of(agentId))
                .compose(found -> {
                    if (found.size() == 0) {
                        return Future.succeededFuture(Optional.<Instant>empty());
                    }
                    if (AgentStatus.DECOMMISSIONED
                            .wireName()
                            .equals(found.iterator().next().getString(0))) {
                        return Future.failedFuture(new AgentConflict("agent " + agentId
                                + " is decommissioned: its credentials are revoked, it has no tokens to cut off"));
                    }
                    return tx.preparedQuery("UPDATE agents SET " + CUT_OFF_TOKENS
                                    + " WHERE agent_id = $1 RETURNING tokens_revoked_before")
                            .execute(Tuple.of(agentId))
                            .compose(rows -> {
                                Instant cutOff = rows.iterator()
                                        .next()
                                        .getOffsetDateTime(0)
                                        .toInstant();
                                return audit.append(
                                                tx,
                                                AuditEvent.of(
                                                        "agent.tokens_revoked",
                                                        AuditEvent.SUCCESS,
                                                        agentId,
                                                        context,
                                                        Audit.details("tokensRevokedBefore", cutOff.toString())))
                                        .map(Optional.of(cutOff));
                            });
                }));
    }

    @Override
    public Future<List<Agent>> retireBuiltIns(Optional<String> keep, Audit.Context context) {
        return pool.withTransaction(tx -> tx.preparedQuery("UPDATE agents SET status = 'suspended', " + CUT_OFF_TOKENS
                        + ", updated_at = now() WHERE client_id <> agent_id::text AND client_id IS DISTINCT FROM $1"
                        + " AND status = 'active' RETURNING " + COLUMNS)
                .execute(Tuple.of(keep.orElse(null)))
                .compose(rows -> {
                    List<Agent> retired = new ArrayList<>();
                    rows.forEach(row -> retired.add(map(row)));
                    Future<Void> done = Future.succeededFuture();
                    for (Agent agent : retired) {
                        done = done.compose(ignored -> tx.preparedQuery("UPDATE credentials SET status = 'revoked',"
                                        + " revoked_at = now() WHERE agent_id = $1 AND status = 'active'")
                                .execute(Tuple.of(agent.agentId()))
                                .compose(revoked -> audit.append(
                                        tx,
                                        AuditEvent.of(
                                                "agent.retired",
                                                AuditEvent.SUCCESS,
                                                agent.agentId(),
                                                context,
                                                Audit.details(
                                                        "clientId",
                                                        agent.clientId(),
                                                        "credentialsRevoked",
                                                        revoked.rowCount())))));
                    }
                    return done.map(retired);
                }));
    }

    @Override
    public Future<Agent> ensureBuiltIn(String clientId, String name, List<String> scopes) {
        return pool.preparedQuery("INSERT INTO agents (" + COLUMNS + ") VALUES ($1, $2, $3, $4, 'agentidp', 'system',"
                        + " $5, '{}', 'active', now(), now())"
                        + " ON CONFLICT (client_id) DO UPDATE SET status = 'active', scopes = EXCLUDED.scopes,"
                        + " updated_at = CASE WHEN agents.status = 'active' AND agents.scopes = EXCLUDED.scopes"
                        + " THEN agents.updated_at ELSE now() END"
                        + " RETURNING " + COLUMNS)
                .execute(Tuple.of(
                        UUID.randomUUID(),
                        clientId,
                        name,
                        "Built-in client managed by BOOTSTRAP_ADMIN_SECRET",
                        scopes.toArray(String[]::new)))
                .map(rows -> map(rows.iterator().next()));
    }

    private static Optional<Agent> first(RowSet<Row> rows) {
        return rows.size() == 0
                ? Optional.empty()
                : Optional.of(map(rows.iterator().next()));
    }

    static Agent map(Row row) {
        String[] scopes = row.getArrayOfStrings("scopes");
        String[] resources = row.getArrayOfStrings("resources");
        return new Agent(
                row.getUUID("agent_id"),
                row.getString("client_id"),
                row.getString("name"),
                row.getString("description"),
                row.getString("owner"),
                row.getString("agent_type"),
                scopes == null ? List.of() : Arrays.asList(scopes),
                resources == null ? List.of() : Arrays.asList(resources),
                AgentStatus.fromWire(row.getString("status")).orElseThrow(),
                row.getOffsetDateTime("created_at").toInstant(),
                row.getOffsetDateTime("updated_at").toInstant());
    }
}
