package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.agent.Agent;
import ai.sentryagent.agentidp.agent.AgentStatus;
import ai.sentryagent.agentidp.agent.AgentStore;
import ai.sentryagent.agentidp.config.Scopes;
import ai.sentryagent.agentidp.error.ApiError;
import ai.sentryagent.agentidp.token.AccessToken;
import ai.sentryagent.agentidp.token.Delegation;
import ai.sentryagent.agentidp.token.DelegationStore;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Delegation grants over HTTP: {@code /api/v1/agents/{agentId}/delegations...}, {@code agentId} the subject (the agent
 * acted for). The policy lets the subject itself and writers in; this class checks the grant against the subject:
 * its scopes, its resources, an actor that exists, is active and is not the subject, a depth within
 * {@code DELEGATION_MAX_DEPTH}, and an expiry in the future.
 */
public final class DelegationsApi {
    private static final Set<String> FIELDS = Set.of("actorAgentId", "scopes", "audiences", "expiresAt", "maxDepth");
    private static final Pattern UUID_TEXT =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private final AgentStore agents;
    private final DelegationStore delegations;
    private final int maxDepth;
    private final Clock clock;

    public DelegationsApi(AgentStore agents, DelegationStore delegations, int maxDepth, Clock clock) {
        this.agents = agents;
        this.delegations = delegations;
        this.maxDepth = maxDepth;
        this.clock = clock;
    }

    public Handler<RoutingContext> create() {
        return rc -> {
            UUID subjectId = Paths.uuid(rc, "agentId");
            AccessToken caller = BearerAuth.principal(rc);
            if (caller.delegation().isPresent()) {
                // A delegate acts for the subject within what it was given; handing that on is the next exchange's
                // business (the delegation chain), not a new grant the delegate may write.
                throw new ApiError.Forbidden("a token obtained by token exchange cannot create delegations").failure();
            }
            JsonBody body = JsonBody.read(rc, FIELDS, false);
            String actorText = body.requiredString("actorAgentId", 36, 36);
            if (!UUID_TEXT.matcher(actorText).matches()) {
                throw JsonBody.fieldError("actorAgentId", "must be an agent id (a UUID)");
            }
            UUID actorId = UUID.fromString(actorText);
            List<String> scopes = List.copyOf(new LinkedHashSet<>(
                    body.strings("scopes", 100).orElseThrow(() -> JsonBody.fieldError("scopes", "is required"))));
            if (scopes.isEmpty()) {
                throw JsonBody.fieldError("scopes", "must name at least one scope");
            }
            Optional<List<String>> audiences =
                    body.strings("audiences", 10).map(a -> List.copyOf(new LinkedHashSet<>(a)));
            int depth =
                    body.integer("maxDepth", 1, maxDepth).map(Long::intValue).orElse(maxDepth);
            Optional<Instant> expiresAt = body.string("expiresAt", 1, 64).map(DelegationsApi::instant);
            if (expiresAt.isPresent() && !expiresAt.get().isAfter(clock.instant())) {
                throw JsonBody.fieldError("expiresAt", "must be in the future");
            }
            if (actorId.equals(subjectId)) {
                throw JsonBody.fieldError("actorAgentId", "must not be the subject agent itself");
            }
            Future.all(agents.find(subjectId), agents.find(actorId))
                    .compose(both -> {
                        Optional<Agent> subject = both.resultAt(0);
                        Optional<Agent> actor = both.resultAt(1);
                        Agent checkedSubject = checkSubject(subjectId, subject, caller);
                        checkActor(actorId, actor);
                        for (String scope : scopes) {
                            if (!checkedSubject.scopes().contains(scope)) {
                                throw JsonBody.fieldError(
                                        "scopes",
                                        "names " + printable(scope) + ", which the subject agent does not hold");
                            }
                        }
                        List<String> granted = audiences.orElse(checkedSubject.resources());
                        for (String audience : granted) {
                            if (!checkedSubject.resources().contains(audience)) {
                                throw JsonBody.fieldError(
                                        "audiences",
                                        "names " + printable(audience)
                                                + ", which is not one of the subject agent's resources");
                            }
                        }
                        return delegations.create(
                                new Delegation.New(subjectId, actorId, scopes, granted, depth, expiresAt),
                                AuditContexts.caller(rc));
                    })
                    .onSuccess(created -> rc.response()
                            .setStatusCode(201)
                            .putHeader(
                                    HttpHeaders.LOCATION,
                                    "/api/v1/agents/" + subjectId + "/delegations/" + created.delegationId())
                            .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                            .end(created.toJson().encode()))
                    .onFailure(rc::fail);
        };
    }

    public Handler<RoutingContext> list() {
        return rc -> {
            UUID agentId = Paths.uuid(rc, "agentId");
            agents.find(agentId)
                    .compose(agent -> agent.isEmpty()
                            ? Future.failedFuture(AgentsApi.notFound(agentId))
                            : delegations.list(agentId))
                    .onSuccess(list -> {
                        JsonArray given = new JsonArray();
                        JsonArray received = new JsonArray();
                        Instant now = clock.instant();
                        for (Delegation d : list) {
                            JsonObject json = d.toJson().put("live", d.liveAt(now));
                            (d.subjectAgentId().equals(agentId) ? given : received).add(json);
                        }
                        AgentsApi.json(
                                rc, 200, new JsonObject().put("given", given).put("received", received));
                    })
                    .onFailure(rc::fail);
        };
    }

    /** 204 whether the delegation was live or revoked before (idempotent); 404 when the subject has no such one. */
    public Handler<RoutingContext> delete() {
        return rc -> {
            UUID agentId = Paths.uuid(rc, "agentId");
            UUID delegationId = Paths.uuid(rc, "delegationId");
            delegations
                    .revoke(agentId, delegationId, AuditContexts.caller(rc))
                    .onSuccess(found -> {
                        if (found.isPresent()) {
                            rc.response().setStatusCode(204).end();
                        } else {
                            rc.fail(new ApiError.NotFound(
                                            "agent " + agentId + " has given no delegation " + delegationId)
                                    .failure());
                        }
                    })
                    .onFailure(rc::fail);
        };
    }

    private static Agent checkSubject(UUID subjectId, Optional<Agent> subject, AccessToken caller) {
        if (subject.isEmpty()) {
            throw AgentsApi.notFound(subjectId);
        }
        Agent agent = subject.get();
        if (!agent.clientId().equals(agent.agentId().toString())) {
            throw new ApiError.Conflict(
                            "conflict",
                            "agent " + subjectId + " is the built-in client " + agent.clientId()
                                    + "; it cannot delegate",
                            null)
                    .failure();
        }
        if (agent.status() != AgentStatus.ACTIVE) {
            throw new ApiError.Conflict(
                            "conflict",
                            "agent " + subjectId + " is " + agent.status().wireName(),
                            null)
                    .failure();
        }
        boolean self = caller.subject().equals(subjectId.toString());
        boolean privileged = agent.scopes().stream().anyMatch(Scopes.MANAGEMENT::contains);
        if (!self && privileged && !caller.hasScope(Scopes.ADMIN)) {
            throw new ApiError.Forbidden("requires scope admin (the agent holds management scopes)").failure();
        }
        return agent;
    }

    private static void checkActor(UUID actorId, Optional<Agent> actor) {
        if (actor.isEmpty()) {
            throw new ApiError.NotFound("actor agent " + actorId + " does not exist").failure();
        }
        if (!actor.get().clientId().equals(actorId.toString())) {
            throw JsonBody.fieldError("actorAgentId", "names a built-in client, which cannot act for agents");
        }
        if (actor.get().status() != AgentStatus.ACTIVE) {
            throw JsonBody.fieldError(
                    "actorAgentId",
                    "names agent " + actorId + ", which is "
                            + actor.get().status().wireName());
        }
    }

    private static Instant instant(String text) {
        // RFC 3339 §5.6: a four-digit year. Instant.parse also takes an expanded one (+300000-…), which PostgreSQL
        // through the Vert.x client would store as infinity and answer as another instant.
        if (text.isEmpty() || !Character.isDigit(text.charAt(0))) {
            throw JsonBody.fieldError("expiresAt", "must be an RFC 3339 UTC time such as 2026-12-31T23:59:59Z");
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw JsonBody.fieldError("expiresAt", "must be an RFC 3339 UTC time such as 2026-12-31T23:59:59Z");
        }
    }

    private static String printable(String value) {
        String cut = value.length() > 80 ? value.substring(0, 80) + "..." : value;
        return cut.replaceAll("[^\\x20-\\x7E]", "?");
    }
}
