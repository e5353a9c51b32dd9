package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.agent.Agent;
import ai.sentryagent.agentidp.agent.AgentPatch;
import ai.sentryagent.agentidp.agent.AgentQuery;
import ai.sentryagent.agentidp.agent.AgentStatus;
import ai.sentryagent.agentidp.agent.AgentStore;
import ai.sentryagent.agentidp.agent.NewAgent;
import ai.sentryagent.agentidp.agent.Page;
import ai.sentryagent.agentidp.agent.ResourceIndicator;
import ai.sentryagent.agentidp.config.Scopes;
import ai.sentryagent.agentidp.error.ApiError;
import ai.sentryagent.agentidp.error.ApiFailure;
import ai.sentryagent.agentidp.token.AccessToken;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/** The agent registry over HTTP: {@code /api/v1/agents} and {@code /api/v1/agents/{agentId}}. */
public final class AgentsApi {
    static final int MAX_PAGE_SIZE = 100;
    private static final Pattern AGENT_TYPE = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,63}");
    private static final Set<String> CREATE_FIELDS =
            Set.of("name", "description", "owner", "agentType", "scopes", "resources");
    private static final Set<String> PATCH_FIELDS =
            Set.of("name", "description", "owner", "agentType", "scopes", "resources", "status");
    private static final Set<String> LIST_PARAMETERS = Set.of("status", "owner", "agentType", "page", "limit");

    private final AgentStore agents;
    private final Scopes scopes;

    public AgentsApi(AgentStore agents, Scopes scopes) {
        this.agents = agents;
        this.scopes = scopes;
    }

    public Handler<RoutingContext> create() {
        return rc -> {
            JsonBody body = JsonBody.read(rc, CREATE_FIELDS, false);
            AccessToken caller = BearerAuth.principal(rc);
            NewAgent agent = new NewAgent(
                    body.requiredString("name", 1, 128),
                    body.string("description", 0, 1024).orElse(null),
                    body.requiredString("owner", 1, 128),
                    agentType(body).orElse("generic"),
                    checkedScopes(
                            caller,
                            body.strings("scopes", 50).orElseThrow(() -> JsonBody.fieldError("scopes", "is required"))),
                    resources(body).orElse(List.of()));
            agents.create(agent, AuditContexts.caller(rc))
                    .onSuccess(created -> rc.response()
                            .setStatusCode(201)
                            .putHeader(HttpHeaders.LOCATION, "/api/v1/agents/" + created.agentId())
                            .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                            .end(created.toJson().encode()))
                    .onFailure(rc::fail);
        };
    }

    public Handler<RoutingContext> list() {
        return rc -> {
            AgentQuery query = query(rc.queryParams());
            agents.list(query).onSuccess(page -> json(rc, 200, pageJson(page))).onFailure(rc::fail);
        };
    }

    public Handler<RoutingContext> get() {
        return rc -> {
            UUID id = Paths.uuid(rc, "agentId");
            agents.find(id)
                    .onSuccess(agent -> {
                        if (agent.isEmpty()) {
                            rc.fail(notFound(id));
                        } else {
                            json(rc, 200, agent.get().toJson());
                        }
                    })
                    .onFailure(rc::fail);
        };
    }

    public Handler<RoutingContext> update() {
        return rc -> {
            UUID id = Paths.uuid(rc, "agentId");
            JsonBody body = JsonBody.read(rc, PATCH_FIELDS, false);
            if (body.isEmpty()) {
                throw new ApiError.BadRequest("nothing to update; send at least one of "
                                + String.join(
                                        ", ", PATCH_FIELDS.stream().sorted().toList()))
                        .failure();
            }
            AccessToken caller = BearerAuth.principal(rc);
            if (body.isNull("name")
                    || body.isNull("owner")
                    || body.isNull("scopes")
                    || body.isNull("resources")
                    || body.isNull("agentType")
                    || body.isNull("status")) {
                throw new ApiError.BadRequest("only description may be set to null (an empty resources list clears it)")
                        .failure();
            }
            Optional<AgentStatus> status = body.string("status", 1, 32).map(value -> switch (value) {
                case "active" -> AgentStatus.ACTIVE;
                case "suspended" -> AgentStatus.SUSPENDED;
                case "decommissioned" ->
                    throw JsonBody.fieldError(
                            "status", "cannot be set to decommissioned; use DELETE /api/v1/agents/" + id);
                default -> throw JsonBody.fieldError("status", "must be active or suspended");
            });
            AgentPatch patch = new AgentPatch(
                    body.string("name", 1, 128),
                    body.string("description", 0, 1024),
                    body.isNull("description"),
                    body.string("owner", 1, 128),
                    agentType(body),
                    body.strings("scopes", 50).map(requested -> checkedScopes(caller, requested)),
                    resources(body),
                    status);
            guardedChange(id, caller, () -> agents.update(id, patch, AuditContexts.caller(rc)))
                    .onSuccess(agent -> json(rc, 200, agent.toJson()))
                    .onFailure(rc::fail);
        };
    }

    public Handler<RoutingContext> decommission() {
        return rc -> {
            UUID id = Paths.uuid(rc, "agentId");
            AccessToken caller = BearerAuth.principal(rc);
            guardedChange(id, caller, () -> agents.decommission(id, AuditContexts.caller(rc)))
                    .onSuccess(agent -> rc.response().setStatusCode(204).end())
                    .onFailure(rc::fail);
        };
    }

    /**
     * {@code POST /api/v1/agents/{agentId}/tokens/revoke}: every token issued to the agent until now stops working
     * (F-03). An agent may cut off its own tokens; for anyone else it is a change to the agent.
     */
    public Handler<RoutingContext> revokeTokens() {
        return rc -> {
            UUID id = Paths.uuid(rc, "agentId");
            AccessToken caller = BearerAuth.principal(rc);
            Future<Agent> allowed = caller.subject().equals(id.toString())
                    ? agents.find(id)
                            .compose(found -> found.map(Future::succeededFuture)
                                    .orElseGet(() -> Future.failedFuture(notFound(id))))
                    : manageable(agents, id, caller);
            allowed.compose(agent -> agents.revokeTokens(id, AuditContexts.caller(rc)))
                    .compose(cutOff ->
                            cutOff.map(Future::succeededFuture).orElseGet(() -> Future.failedFuture(notFound(id))))
                    .onSuccess(cutOff -> json(
                            rc,
                            200,
                            new JsonObject()
                                    .put("agentId", id.toString())
                                    .put("tokensRevokedBefore", cutOff.toString())))
                    .onFailure(rc::fail);
        };
    }

    /**
     * Loads the agent and refuses changes that would escalate privileges: built-in clients are managed by
     * configuration only, and agents holding management scopes only by an administrator.
     */
    private Future<Agent> guardedChange(
            UUID id, AccessToken caller, java.util.function.Supplier<Future<Optional<Agent>>> change) {
        return manageable(agents, id, caller)
                .compose(agent -> change.get()
                        .compose(updated -> updated.map(Future::succeededFuture)
                                .orElseGet(() -> Future.failedFuture(notFound(id)))));
    }

    /** The agent, when it exists and the caller may change it (or its credentials); a 404/403/409 otherwise. */
    static Future<Agent> manageable(AgentStore agents, UUID id, AccessToken caller) {
        return agents.find(id).compose(found -> {
            if (found.isEmpty()) {
                return Future.failedFuture(notFound(id));
            }
            checkManageable(found.get(), caller);
            return Future.succeededFuture(found.get());
        });
    }

    private static void checkManageable(Agent agent, AccessToken caller) {
        if (!agent.clientId().equals(agent.agentId().toString())) {
            throw new ApiError.Conflict(
                            "conflict",
                            "agent " + agent.agentId() + " is the built-in client " + agent.clientId()
                                    + ", managed by configuration (BOOTSTRAP_ADMIN_SECRET)",
                            null)
                    .failure();
        }
        boolean privileged = agent.scopes().stream().anyMatch(Scopes.MANAGEMENT::contains);
        if (privileged && !caller.hasScope(Scopes.ADMIN)) {
            throw new ApiError.Forbidden("requires scope admin (the agent holds management scopes)").failure();
        }
    }

    private List<String> checkedScopes(AccessToken caller, List<String> requested) {
        Set<String> seen = new HashSet<>();
        List<String> unknown = new ArrayList<>();
        for (String scope : requested) {
            if (!seen.add(scope)) {
                throw JsonBody.fieldError("scopes", "lists " + printable(scope) + " twice");
            }
            if (!Scopes.wellFormed(scope) || !scopes.known(scope)) {
                unknown.add(printable(scope));
            }
        }
        if (!unknown.isEmpty()) {
            throw new ApiError.BadRequest(
                            "invalid_request",
                            "unknown scope" + (unknown.size() > 1 ? "s: " : ": ") + String.join(", ", unknown),
                            new JsonObject()
                                    .put("field", "scopes")
                                    .put("unknownScopes", new JsonArray(unknown))
                                    .put("knownScopes", new JsonArray(scopes.all())))
                    .failure();
        }
        for (String scope : requested) {
            if (Scopes.MANAGEMENT.contains(scope) && !caller.hasScope(Scopes.ADMIN)) {
                throw new ApiError.Forbidden("granting scope " + scope + " requires scope admin").failure();
            }
        }
        return List.copyOf(requested);
    }

    /**
     * The RFC 8707 resource indicators the agent's tokens may be bound to: each an absolute URI with a host and
     * without a fragment ({@link ResourceIndicator}), none twice, at most {@link ResourceIndicator#MAX_PER_AGENT}.
     */
    private static Optional<List<String>> resources(JsonBody body) {
        return body.strings("resources", ResourceIndicator.MAX_PER_AGENT).map(requested -> {
            Set<String> seen = new HashSet<>();
            for (String resource : requested) {
                ResourceIndicator.problem(resource).ifPresent(problem -> {
                    throw JsonBody.fieldError("resources", printable(resource) + " " + problem);
                });
                if (!seen.add(resource)) {
                    throw JsonBody.fieldError("resources", "lists " + printable(resource) + " twice");
                }
            }
            return List.copyOf(requested);
        });
    }

    private static Optional<String> agentType(JsonBody body) {
        Optional<String> type = body.string("agentType", 1, 64);
        type.ifPresent(value -> {
            if (!AGENT_TYPE.matcher(value).matches()) {
                throw JsonBody.fieldError("agentType", "must be lowercase letters, digits, '.', '_' or '-' (up to 64)");
            }
        });
        return type;
    }

    private static AgentQuery query(MultiMap params) {
        for (String name : params.names()) {
            if (!LIST_PARAMETERS.contains(name)) {
                throw JsonBody.fieldError(name, "is not a filter; use status, owner, agentType, page or limit");
            }
            if (params.getAll(name).size() > 1) {
                throw JsonBody.fieldError(name, "is repeated");
            }
        }
        Optional<AgentStatus> status = Optional.ofNullable(params.get("status"))
                .map(value -> AgentStatus.fromWire(value)
                        .orElseThrow(
                                () -> JsonBody.fieldError("status", "must be active, suspended or decommissioned")));
        return new AgentQuery(
                status,
                Optional.ofNullable(params.get("owner")).filter(v -> !v.isEmpty()),
                Optional.ofNullable(params.get("agentType")).filter(v -> !v.isEmpty()),
                number(params, "page", 1, 1, 100_000),
                number(params, "limit", 20, 1, MAX_PAGE_SIZE));
    }

    static int number(MultiMap params, String name, int fallback, int min, int max) {
        String raw = params.get(name);
        if (raw == null) {
            return fallback;
        }
        try {
            int value = Integer.parseInt(raw);
            if (value < min || value > max) {
                throw JsonBody.fieldError(name, "must be between " + min + " and " + max);
            }
            return value;
        } catch (NumberFormatException e) {
            throw JsonBody.fieldError(name, "must be a whole number between " + min + " and " + max);
        }
    }

    private static JsonObject pageJson(Page<Agent> page) {
        JsonArray items = new JsonArray();
        page.items().forEach(agent -> items.add(agent.toJson()));
        return new JsonObject()
                .put("items", items)
                .put("page", page.page())
                .put("limit", page.limit())
                .put("total", page.total());
    }

    static ApiFailure notFound(UUID id) {
        return new ApiError.NotFound("agent " + id + " does not exist").failure();
    }

    static void json(RoutingContext rc, int status, JsonObject body) {
        rc.response()
                .setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(body.encode());
    }

    private static String printable(String value) {
        String cut = value.length() > 64 ? value.substring(0, 64) + "..." : value;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }
}
