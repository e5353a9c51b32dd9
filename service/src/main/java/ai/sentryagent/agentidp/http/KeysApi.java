package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.agent.AgentStore;
import ai.sentryagent.agentidp.credential.AgentKey;
import ai.sentryagent.agentidp.credential.AgentKeyStore;
import ai.sentryagent.agentidp.credential.PublicJwk;
import ai.sentryagent.agentidp.error.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.UUID;

/**
 * Agents' public keys for {@code private_key_jwt} over HTTP: {@code /api/v1/agents/{agentId}/keys...}. Only public
 * RSA (2048 bits or more) and P-256 keys are taken ({@link PublicJwk}); the policy decides who may call, like for
 * credentials.
 */
public final class KeysApi {
    private final AgentStore agents;
    private final AgentKeyStore keys;

    public KeysApi(AgentStore agents, AgentKeyStore keys) {
        this.agents = agents;
        this.keys = keys;
    }

    public Handler<RoutingContext> create() {
        return rc -> {
            UUID agentId = Paths.uuid(rc, "agentId");
            JsonBody body = JsonBody.read(rc, Set.of("jwk"), false);
            PublicJwk key;
            try {
                key = PublicJwk.of(body.requiredObject("jwk").getMap());
            } catch (PublicJwk.Rejected e) {
                throw new ApiError.BadRequest("invalid_request", e.getMessage(), new JsonObject().put("field", "jwk"))
                        .failure();
            }
            AgentsApi.manageable(agents, agentId, BearerAuth.principal(rc))
                    .compose(agent -> keys.create(agentId, key, AuditContexts.caller(rc)))
                    .onSuccess(created -> created.ifPresentOrElse(
                            stored -> rc.response()
                                    .setStatusCode(201)
                                    .putHeader(
                                            HttpHeaders.LOCATION,
                                            "/api/v1/agents/" + agentId + "/keys/"
                                                    + URLEncoder.encode(stored.kid(), StandardCharsets.UTF_8))
                                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                                    .end(json(stored).encode()),
                            () -> rc.fail(AgentsApi.notFound(agentId))))
                    .onFailure(rc::fail);
        };
    }

    public Handler<RoutingContext> list() {
        return rc -> {
            UUID agentId = Paths.uuid(rc, "agentId");
            agents.find(agentId)
                    .compose(agent ->
                            agent.isEmpty() ? Future.failedFuture(AgentsApi.notFound(agentId)) : keys.list(agentId))
                    .onSuccess(list -> {
                        JsonArray items = new JsonArray();
                        list.forEach(key -> items.add(json(key).put("jwk", new JsonObject(key.jwk()))));
                        AgentsApi.json(rc, 200, new JsonObject().put("items", items));
                    })
                    .onFailure(rc::fail);
        };
    }

    public Handler<RoutingContext> delete() {
        return rc -> {
            UUID agentId = Paths.uuid(rc, "agentId");
            String kid = rc.pathParam("kid");
            AgentsApi.manageable(agents, agentId, BearerAuth.principal(rc))
                    .compose(agent -> keys.delete(agentId, kid, AuditContexts.caller(rc)))
                    .onSuccess(found -> {
                        if (found) {
                            rc.response().setStatusCode(204).end();
                        } else {
                            rc.fail(new ApiError.NotFound("agent " + agentId + " has no key with that kid").failure());
                        }
                    })
                    .onFailure(rc::fail);
        };
    }

    private static JsonObject json(AgentKey key) {
        return new JsonObject()
                .put("kid", key.kid())
                .put("alg", key.alg())
                .put("createdAt", key.createdAt().toString());
    }
}
