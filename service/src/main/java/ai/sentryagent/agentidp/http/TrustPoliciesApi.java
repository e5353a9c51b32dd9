package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.agent.Agent;
import ai.sentryagent.agentidp.agent.AgentStatus;
import ai.sentryagent.agentidp.agent.AgentStore;
import ai.sentryagent.agentidp.config.Scopes;
import ai.sentryagent.agentidp.error.ApiError;
import ai.sentryagent.agentidp.error.ApiFailure;
import ai.sentryagent.agentidp.federation.FetchRules;
import ai.sentryagent.agentidp.federation.IssuerKeys;
import ai.sentryagent.agentidp.federation.TrustPolicy;
import ai.sentryagent.agentidp.federation.TrustPolicyStore;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.jwk.RSAKey;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.text.ParseException;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Trust policies over HTTP ({@code /api/v1/trust-policies}, administrators only by the policy file): which external
 * identity tokens the jwt-bearer grant exchanges for which agent's tokens (issue 16 §2).
 */
public final class TrustPoliciesApi {
    private static final Set<String> FIELDS =
            Set.of("name", "issuer", "jwksUri", "jwks", "audience", "subject", "claims", "agentId", "scopes");
    /** Registered claims have fields of their own (or are checked by the grant); a policy may not restate them. */
    private static final Set<String> RESERVED_CLAIMS = Set.of("iss", "aud", "sub", "exp", "nbf", "iat", "jti");

    private static final int MAX_CLAIMS = 32;
    private static final int MAX_VALUES = 64;
    private static final int MAX_KEYS = 32;

    private final TrustPolicyStore policies;
    private final AgentStore agents;
    private final FetchRules rules;
    private final Clock clock;

    public TrustPoliciesApi(TrustPolicyStore policies, AgentStore agents, FetchRules rules, Clock clock) {
        this.policies = policies;
        this.agents = agents;
        this.rules = rules;
        this.clock = clock;
    }

    public Handler<RoutingContext> create() {
        return rc -> {
            JsonBody body = JsonBody.read(rc, FIELDS, false);
            String name = body.requiredString("name", 1, 128);
            String issuer = body.requiredString("issuer", 1, 512);
            String audience = body.requiredString("audience", 1, 512);
            var subject = body.string("subject", 1, 512);
            TrustPolicy.KeySource keys = keySource(body, issuer);
            JsonObject claims = claims(body.raw("claims"));
            UUID agentId = uuid(body.requiredString("agentId", 36, 36));
            List<String> scopes =
                    body.strings("scopes", 64).orElseThrow(() -> JsonBody.fieldError("scopes", "is required"));
            if (scopes.isEmpty()) {
                throw JsonBody.fieldError("scopes", "must name at least one scope");
            }
            for (String scope : scopes) {
                if (!Scopes.wellFormed(scope)) {
                    throw JsonBody.fieldError(
                            "scopes", "holds a value that is not a scope token (RFC 6749 section 3.3)");
                }
            }
            agents.find(agentId)
                    .compose(found -> {
                        Agent agent = found.orElseThrow(() -> JsonBody.fieldError("agentId", "names no agent"));
                        check(agent, scopes);
                        TrustPolicy policy = new TrustPolicy(
                                UUID.randomUUID(),
                                name,
                                issuer,
                                keys,
                                audience,
                                subject,
                                claims,
                                agentId,
                                List.copyOf(new LinkedHashSet<>(scopes)),
                                clock.instant().truncatedTo(ChronoUnit.MICROS));
                        return policies.create(policy, AuditContexts.caller(rc));
                    })
                    .onSuccess(created -> {
                        rc.response()
                                .putHeader(HttpHeaders.LOCATION, "/api/v1/trust-policies/" + created.trustPolicyId());
                        AgentsApi.json(rc, 201, created.toJson());
                    })
                    .onFailure(rc::fail);
        };
    }

    public Handler<RoutingContext> list() {
        return rc -> policies.list()
                .onSuccess(list -> {
                    JsonArray items = new JsonArray();
                    list.forEach(policy -> items.add(policy.toJson()));
                    AgentsApi.json(rc, 200, new JsonObject().put("items", items));
                })
                .onFailure(rc::fail);
    }

    public Handler<RoutingContext> get() {
        return rc -> {
            UUID id = Paths.uuid(rc, "trustPolicyId");
            policies.find(id)
                    .onSuccess(found -> found.ifPresentOrElse(
                            policy -> AgentsApi.json(rc, 200, policy.toJson()), () -> rc.fail(notFound(id))))
                    .onFailure(rc::fail);
        };
    }

    public Handler<RoutingContext> delete() {
        return rc -> {
            UUID id = Paths.uuid(rc, "trustPolicyId");
            policies.delete(id, AuditContexts.caller(rc))
                    .onSuccess(deleted -> {
                        if (deleted) {
                            rc.response().setStatusCode(204).end();
                        } else {
                            rc.fail(notFound(id));
                        }
                    })
                    .onFailure(rc::fail);
        };
    }

    /** The agent may be federated, and holds every scope the policy would grant (issue 16: scopes ⊆ the agent's). */
    private static void check(Agent agent, List<String> scopes) {
        if (agent.status() == AgentStatus.DECOMMISSIONED) {
            throw new ApiError.Conflict("agent " + agent.agentId() + " is decommissioned").failure();
        }
        if (!agent.clientId().equals(agent.agentId().toString())) {
            // A built-in client (the bootstrap administrator) exists only while its secret is configured (F-19);
            // an external token must not outlive that.
            throw JsonBody.fieldError("agentId", "names a built-in client, which cannot be federated");
        }
        List<String> outside =
                scopes.stream().filter(s -> !agent.scopes().contains(s)).toList();
        if (!outside.isEmpty()) {
            throw JsonBody.fieldError(
                    "scopes", "must be the agent's scopes; it does not hold: " + String.join(" ", outside));
        }
    }

    private TrustPolicy.KeySource keySource(JsonBody body, String issuer) {
        if (body.has("jwks") && body.has("jwksUri")) {
            throw JsonBody.fieldError("jwks", "and jwksUri are exclusive: give the keys or where they are, not both");
        }
        if (body.has("jwksUri")) {
            String uri = body.requiredString("jwksUri", 1, 2048);
            rules.problem(uri).ifPresent(problem -> {
                throw JsonBody.fieldError("jwksUri", problem);
            });
            return new TrustPolicy.KeySource.Uri(uri);
        }
        if (body.has("jwks")) {
            return new TrustPolicy.KeySource.Inline(inlineKeys(body));
        }
        rules.problem(issuer).ifPresent(problem -> {
            throw JsonBody.fieldError("issuer", problem + " to be discovered (or give jwks or jwksUri)");
        });
        return new TrustPolicy.KeySource.Discovery(issuer);
    }

    /** Public asymmetric keys only (RFC 7517): a private member or a symmetric key is refused, not dropped. */
    private static JWKSet inlineKeys(JsonBody body) {
        Object raw = body.raw("jwks");
        if (!(raw instanceof JsonObject json)) {
            throw JsonBody.fieldError("jwks", "must be a JWK set object {\"keys\": [...]}");
        }
        JWKSet set;
        try {
            set = JWKSet.parse(json.encode());
        } catch (ParseException e) {
            throw JsonBody.fieldError("jwks", "is not a valid JWK set (RFC 7517 section 5)");
        }
        if (set.getKeys().isEmpty() || set.getKeys().size() > MAX_KEYS) {
            throw JsonBody.fieldError("jwks", "must hold 1 to " + MAX_KEYS + " keys");
        }
        for (JWK key : set.getKeys()) {
            if (KeyType.OCT.equals(key.getKeyType())) {
                throw JsonBody.fieldError(
                        "jwks", "holds a symmetric (oct) key; only public asymmetric keys are accepted");
            }
            if (key.isPrivate()) {
                throw JsonBody.fieldError("jwks", "holds a private key; give only the public members");
            }
            if (key instanceof RSAKey rsa && rsa.size() < 2048) {
                throw JsonBody.fieldError("jwks", "holds an RSA key below 2048 bits");
            }
        }
        try {
            return IssuerKeys.publicKeys(json.encode());
        } catch (ParseException e) {
            throw JsonBody.fieldError("jwks", "is not a valid JWK set (RFC 7517 section 5)");
        }
    }

    /** {@code {"claim": "value" | ["value", ...]}}; exact strings only. */
    private static JsonObject claims(Object raw) {
        if (raw == null) {
            return new JsonObject();
        }
        if (!(raw instanceof JsonObject claims)) {
            throw JsonBody.fieldError("claims", "must be an object of claim names to a string or a list of strings");
        }
        if (claims.size() > MAX_CLAIMS) {
            throw JsonBody.fieldError("claims", "must have at most " + MAX_CLAIMS + " entries");
        }
        for (String name : claims.fieldNames()) {
            if (name.isEmpty() || name.length() > 128) {
                throw JsonBody.fieldError("claims", "names must be 1 to 128 characters");
            }
            if (RESERVED_CLAIMS.contains(name)) {
                throw JsonBody.fieldError(
                        "claims", "must not name " + name + "; use issuer, audience and subject for registered claims");
            }
            Object value = claims.getValue(name);
            if (value instanceof String text) {
                if (text.length() > 512) {
                    throw JsonBody.fieldError("claims", "values must be at most 512 characters");
                }
            } else if (value instanceof JsonArray list && !list.isEmpty() && list.size() <= MAX_VALUES) {
                for (Object item : list) {
                    if (!(item instanceof String text) || text.length() > 512) {
                        throw JsonBody.fieldError("claims", "lists must hold strings of at most 512 characters");
                    }
                }
            } else {
                throw JsonBody.fieldError(
                        "claims", "values must be a string or a list of 1 to " + MAX_VALUES + " strings");
            }
        }
        return claims;
    }

    private static UUID uuid(String raw) {
        try {
            return UUID.fromString(raw);
        } catch (IllegalArgumentException e) {
            throw JsonBody.fieldError("agentId", "must be a UUID");
        }
    }

    private static ApiFailure notFound(UUID id) {
        return new ApiError.NotFound("trust policy " + id + " does not exist").failure();
    }
}
