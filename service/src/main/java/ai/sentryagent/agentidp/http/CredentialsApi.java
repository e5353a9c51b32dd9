package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.agent.Agent;
import ai.sentryagent.agentidp.agent.AgentStore;
import ai.sentryagent.agentidp.credential.Credential;
import ai.sentryagent.agentidp.credential.CredentialStore;
import ai.sentryagent.agentidp.crypto.CredentialHasher;
import ai.sentryagent.agentidp.error.ApiError;
import ai.sentryagent.agentidp.error.ApiFailure;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/** Client credentials over HTTP: {@code /api/v1/agents/{agentId}/credentials...}. Secrets appear once. */
public final class CredentialsApi {
    static final long MAX_GRACE_SECONDS = Duration.ofDays(7).toSeconds();
    private static final Duration MAX_LIFETIME = Duration.ofDays(3650);

    private final AgentStore agents;
    private final CredentialStore credentials;
    private final CredentialHasher hasher;
    private final Clock clock;

    public CredentialsApi(AgentStore agents, CredentialStore credentials, CredentialHasher hasher, Clock clock) {
        this.agents = agents;
        this.credentials = credentials;
        this.hasher = hasher;
        this.clock = clock;
    }

    public Handler<RoutingContext> create() {
        return rc -> {
            UUID agentId = Paths.uuid(rc, "agentId");
            JsonBody body = JsonBody.read(rc, Set.of("expiresAt"), true);
            Optional<Instant> expiresAt = body.string("expiresAt", 1, 64).map(this::expiry);
            String secret = CredentialHasher.newSecret();
            manageable(rc, agentId)
                    .compose(agent ->
                            credentials.create(agentId, hasher.hash(secret), expiresAt, null, AuditContexts.caller(rc)))
                    .onSuccess(created -> created.ifPresentOrElse(
                            credential -> respondWithSecret(rc, agentId, credential, secret, null),
                            () -> rc.fail(AgentsApi.notFound(agentId))))
                    .onFailure(rc::fail);
        };
    }

    public Handler<RoutingContext> list() {
        return rc -> {
            UUID agentId = Paths.uuid(rc, "agentId");
            agents.find(agentId)
                    .compose(agent -> agent.isEmpty()
                            ? Future.failedFuture(AgentsApi.notFound(agentId))
                            : credentials.list(agentId))
                    .onSuccess(list -> {
                        Instant now = clock.instant();
                        JsonArray items = new JsonArray();
                        list.forEach(credential -> items.add(credential.toJson(now)));
                        AgentsApi.json(rc, 200, new JsonObject().put("items", items));
                    })
                    .onFailure(rc::fail);
        };
    }

    public Handler<RoutingContext> rotate() {
        return rc -> {
            UUID agentId = Paths.uuid(rc, "agentId");
            UUID credentialId = Paths.uuid(rc, "credentialId");
            JsonBody body = JsonBody.read(rc, Set.of("gracePeriodSeconds"), true);
            Duration grace = Duration.ofSeconds(
                    body.integer("gracePeriodSeconds", 0, MAX_GRACE_SECONDS).orElse(0L));
            String secret = CredentialHasher.newSecret();
            manageable(rc, agentId)
                    .compose(agent -> credentials.rotate(
                            agentId, credentialId, hasher.hash(secret), grace, AuditContexts.caller(rc)))
                    .onSuccess(rotated -> rotated.ifPresentOrElse(
                            credential -> respondWithSecret(rc, agentId, credential, secret, credentialId),
                            () -> rc.fail(credentialNotFound(agentId, credentialId))))
                    .onFailure(rc::fail);
        };
    }

    public Handler<RoutingContext> revoke() {
        return rc -> {
            UUID agentId = Paths.uuid(rc, "agentId");
            UUID credentialId = Paths.uuid(rc, "credentialId");
            manageable(rc, agentId)
                    .compose(agent -> credentials.revoke(agentId, credentialId, AuditContexts.caller(rc)))
                    .onSuccess(found -> {
                        if (found) {
                            rc.response().setStatusCode(204).end();
                        } else {
                            rc.fail(credentialNotFound(agentId, credentialId));
                        }
                    })
                    .onFailure(rc::fail);
        };
    }

    private Future<Agent> manageable(RoutingContext rc, UUID agentId) {
        return AgentsApi.manageable(agents, agentId, BearerAuth.principal(rc));
    }

    private Instant expiry(String raw) {
        Instant value;
        try {
            value = Instant.parse(raw);
        } catch (DateTimeParseException e) {
            throw JsonBody.fieldError("expiresAt", "must be an ISO-8601 instant such as 2027-01-31T00:00:00Z");
        }
        Instant now = clock.instant();
        if (!value.isAfter(now)) {
            throw JsonBody.fieldError("expiresAt", "must be in the future");
        }
        if (value.isAfter(now.plus(MAX_LIFETIME))) {
            throw JsonBody.fieldError("expiresAt", "must be within 10 years");
        }
        return value;
    }

    private static void respondWithSecret(
            RoutingContext rc, UUID agentId, Credential credential, String secret, UUID replaces) {
        JsonObject body = new JsonObject()
                .put("credentialId", credential.credentialId().toString())
                .put("clientId", credential.clientId())
                .put("clientSecret", secret)
                .put("createdAt", credential.createdAt().toString())
                .put("expiresAt", credential.expiresAt().map(Instant::toString).orElse(null));
        if (replaces != null) {
            body.put("replaces", replaces.toString());
        }
        rc.response()
                .setStatusCode(201)
                .putHeader(
                        HttpHeaders.LOCATION, "/api/v1/agents/" + agentId + "/credentials/" + credential.credentialId())
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .end(body.encode());
    }

    private static ApiFailure credentialNotFound(UUID agentId, UUID credentialId) {
        return new ApiError.NotFound("credential " + credentialId + " of agent " + agentId + " does not exist")
                .failure();
    }
}
