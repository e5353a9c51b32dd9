package ai.sentryagent.agentidp.policy;

import ai.sentryagent.agentidp.config.OpaUrl;
import ai.sentryagent.agentidp.config.Scopes;
import ai.sentryagent.agentidp.observability.Metrics;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides management requests: in process from the policy files, or — when {@code OPA_URL} is set — by an Open
 * Policy Agent's Data API with the same input document. OPA unreachable, slow or answering nonsense means deny
 * (fail closed), counted in {@code agentidp_policy_decisions_total{source="opa",decision="error"}}.
 * {@link #reload()} swaps in a re-read policy; a policy that fails to load leaves the current one in place.
 */
public final class PolicyEngine {
    private static final Logger LOG = LoggerFactory.getLogger(PolicyEngine.class);
    static final long OPA_TIMEOUT_MS = 500;

    /** A decision that could not be made: the caller answers 503. */
    public static final class Unavailable extends RuntimeException {
        public Unavailable(String message) {
            super(message, null, false, false);
        }
    }

    private final AtomicReference<Policy> policy;
    private final Path directory;
    private final Set<String> endpoints;
    private final Scopes scopes;
    private final Optional<OpaUrl> opaUrl;
    private final WebClient http;
    private final Metrics metrics;

    public PolicyEngine(
            Path directory,
            Set<String> endpoints,
            Scopes scopes,
            Optional<OpaUrl> opaUrl,
            WebClient http,
            Metrics metrics) {
        this.directory = directory;
        this.endpoints = Set.copyOf(endpoints);
        this.scopes = scopes;
        this.opaUrl = opaUrl;
        this.http = http;
        this.metrics = metrics;
        this.policy = new AtomicReference<>(PolicyLoader.load(directory, this.endpoints, scopes));
        LOG.info(
                "authorization policy loaded from {} ({} rules){}",
                directory,
                policy.get().rules().size(),
                opaUrl.map(url -> "; decisions delegated to OPA at " + url).orElse(""));
    }

    /** Re-reads the policy directory; keeps the current policy when the new one is invalid. */
    public boolean reload() {
        try {
            Policy fresh = PolicyLoader.load(directory, endpoints, scopes);
            policy.set(fresh);
            LOG.info("authorization policy reloaded ({} rules)", fresh.rules().size());
            return true;
        } catch (PolicyLoader.PolicyException e) {
            LOG.error("authorization policy reload failed, keeping the previous policy: {}", e.getMessage());
            return false;
        }
    }

    public Future<Policy.Decision> decide(Policy.Request request) {
        if (opaUrl.isEmpty()) {
            Policy.Decision decision = policy.get().decide(request);
            metrics.policyDecision("local", decision.allow() ? "allow" : "deny");
            return Future.succeededFuture(decision);
        }
        JsonObject input = new JsonObject()
                .put("method", request.method())
                .put("path", request.path())
                .put("scopes", new JsonArray(request.scopes().stream().sorted().toList()))
                .put("agentId", request.agentId())
                .put("clientId", request.clientId());
        HttpRequest<Buffer> post = http.postAbs(opaUrl.get().requestUrl()).timeout(OPA_TIMEOUT_MS);
        opaUrl.get()
                .user()
                .ifPresent(user -> post.basicAuthentication(
                        user, opaUrl.get().password().orElseThrow().value()));
        return post.sendJsonObject(new JsonObject().put("input", input))
                .map(response -> {
                    JsonObject result = response.statusCode() == 200 ? safeJson(response.bodyAsString()) : null;
                    Object allow = result == null ? null : result.getValue("allow");
                    if (!(allow instanceof Boolean granted)) {
                        throw new Unavailable(
                                "the policy engine gave no decision (HTTP " + response.statusCode() + ")");
                    }
                    String reason = result.getString("reason", granted ? "allowed by policy" : "denied by policy");
                    metrics.policyDecision("opa", granted ? "allow" : "deny");
                    return new Policy.Decision(granted, reason);
                })
                .recover(failure -> {
                    metrics.policyDecision("opa", "error");
                    LOG.warn(
                            "policy engine unreachable or invalid, denying (fail closed): {}",
                            opaUrl.get().redact(failure.toString()));
                    return Future.failedFuture(
                            failure instanceof Unavailable u ? u : new Unavailable("the policy engine is unavailable"));
                });
    }

    private static JsonObject safeJson(String body) {
        try {
            return new JsonObject(body).getJsonObject("result");
        } catch (RuntimeException e) {
            return null;
        }
    }
}
