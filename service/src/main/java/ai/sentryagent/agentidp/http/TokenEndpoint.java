package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.audit.Audit;
import ai.sentryagent.agentidp.audit.AuditEvent;
import ai.sentryagent.agentidp.config.AppConfig;
import ai.sentryagent.agentidp.credential.ClientRecord;
import ai.sentryagent.agentidp.observability.Metrics;
import ai.sentryagent.agentidp.ratelimit.RateLimiter;
import ai.sentryagent.agentidp.token.ClientAuthenticator;
import ai.sentryagent.agentidp.token.OAuthException;
import ai.sentryagent.agentidp.token.TokenIssuer;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Optional;

/**
 * {@code POST /api/v1/token}: the client credentials grant (RFC 6749 §4.4) issuing RFC 9068 access tokens.
 *
 * <p>Rate limits: failed client authentications are counted per client id and per source IP, and a client or IP
 * over its limit is refused before its secret is even compared; successful requests are counted per client. The
 * failure counters are read in parallel with the credential lookup, so the limits cost no extra latency.
 */
public final class TokenEndpoint implements Handler<RoutingContext> {
    static final String CLIENT_CREDENTIALS = "client_credentials";

    private final ClientAuthenticator authenticator;
    private final TokenIssuer issuer;
    private final RateLimiter limiter;
    private final AppConfig.RateLimitConfig limits;
    private final Metrics metrics;
    private final Audit audit;

    public TokenEndpoint(
            ClientAuthenticator authenticator,
            TokenIssuer issuer,
            RateLimiter limiter,
            AppConfig.RateLimitConfig limits,
            Metrics metrics,
            Audit audit) {
        this.audit = audit;
        this.authenticator = authenticator;
        this.issuer = issuer;
        this.limiter = limiter;
        this.limits = limits;
        this.metrics = metrics;
    }

    @Override
    public void handle(RoutingContext rc) {
        FormBody form = FormBody.parse(rc.body().asString());
        ClientCredentials presented = ClientCredentials.from(rc, form);
        String grantType = form.require("grant_type");
        if (!grantType.equals(CLIENT_CREDENTIALS)) {
            throw OAuthException.unsupportedGrantType("only client_credentials is supported");
        }
        Optional<String> scope =
                form.has("scope") ? Optional.of(form.get("scope").orElse("")) : Optional.empty();
        List<String> failureKeys =
                List.of("authfail:client:" + presented.clientId(), "authfail:ip:" + RequestContext.clientIp(rc));
        Future<List<RateLimiter.Decision>> failures =
                limiter.peek(failureKeys, List.of(limits.authFailuresPerClient(), limits.authFailuresPerIp()));
        Future<Optional<ClientRecord>> client = authenticator.authenticate(presented.clientId(), presented.secret());
        Future.all(failures, client)
                .compose(both -> {
                    for (RateLimiter.Decision decision : failures.result()) {
                        if (!decision.allowed()) {
                            metrics.rateLimitRejection("auth_failures");
                            return Future.failedFuture(OAuthException.rateLimited(
                                    "too many failed authentications; retry later", decision.retryAfterSeconds()));
                        }
                    }
                    if (client.result().isEmpty()) {
                        audit.enqueue(AuditEvent.of(
                                "client.authentication_failed",
                                AuditEvent.FAILURE,
                                null,
                                AuditContexts.client(rc, presented.clientId()),
                                Audit.details(
                                        "method", presented.basic() ? "client_secret_basic" : "client_secret_post")));
                        return Future.join(failureKeys.stream()
                                        .map(key -> limiter.hit(key, Integer.MAX_VALUE))
                                        .toList())
                                .transform(ignored -> Future.failedFuture(OAuthException.invalidClient(
                                        "client authentication failed", presented.basic())));
                    }
                    return limiter.hit("token:client:" + client.result().get().clientId(), limits.maxRequests())
                            .compose(decision -> {
                                if (!decision.allowed()) {
                                    metrics.rateLimitRejection("client_requests");
                                    return Future.failedFuture(OAuthException.rateLimited(
                                            "rate limit exceeded for this client", decision.retryAfterSeconds()));
                                }
                                return Future.succeededFuture(
                                        issuer.issue(client.result().get(), scope));
                            });
                })
                .onSuccess(issued -> {
                    metrics.tokenRequest("issued");
                    audit.enqueue(AuditEvent.of(
                            "token.issued",
                            AuditEvent.SUCCESS,
                            java.util.UUID.fromString(issued.claims().subject()),
                            AuditContexts.client(rc, issued.claims().clientId()),
                            Audit.details(
                                    "jti",
                                    issued.claims().jti(),
                                    "scope",
                                    issued.claims().scope())));
                    rc.response()
                            .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                            .end(new JsonObject()
                                    .put("access_token", issued.jwt())
                                    .put("token_type", "Bearer")
                                    .put("expires_in", issued.expiresIn())
                                    .put("scope", issued.claims().scope())
                                    .encode());
                })
                .onFailure(rc::fail);
    }
}
