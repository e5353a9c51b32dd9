package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.audit.Audit;
import ai.sentryagent.agentidp.audit.AuditEvent;
import ai.sentryagent.agentidp.observability.Metrics;
import ai.sentryagent.agentidp.token.ClientAuthenticator;
import ai.sentryagent.agentidp.token.OAuthException;
import ai.sentryagent.agentidp.token.TokenIssuer;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;

/**
 * {@code POST /api/v1/token}: the client credentials grant (RFC 6749 §4.4) issuing RFC 9068 access tokens.
 *
 * <p>Client authentication and every limit — failures per client and address, per address, the per-client ceiling,
 * and successful requests per client — are {@link ClientAuthenticator}'s: one limiter call per request.
 */
public final class TokenEndpoint implements Handler<RoutingContext> {
    static final String CLIENT_CREDENTIALS = "client_credentials";

    private final ClientAuthenticator authenticator;
    private final TokenIssuer issuer;
    private final Metrics metrics;
    private final Audit audit;

    public TokenEndpoint(ClientAuthenticator authenticator, TokenIssuer issuer, Metrics metrics, Audit audit) {
        this.authenticator = authenticator;
        this.issuer = issuer;
        this.metrics = metrics;
        this.audit = audit;
    }

    @Override
    public void handle(RoutingContext rc) {
        FormBody form = FormBody.parse(rc.body().asString());
        ClientCredentials credentials = ClientCredentials.from(rc, form);
        String grantType = form.require("grant_type");
        if (!grantType.equals(CLIENT_CREDENTIALS)) {
            throw OAuthException.unsupportedGrantType("only client_credentials is supported");
        }
        Optional<String> scope =
                form.has("scope") ? Optional.of(form.get("scope").orElse("")) : Optional.empty();
        authenticator
                .authenticate(credentials.presented(rc), true)
                .map(client -> issuer.issue(client, scope))
                .onSuccess(issued -> audit.record(AuditEvent.of(
                                "token.issued",
                                AuditEvent.SUCCESS,
                                java.util.UUID.fromString(issued.claims().subject()),
                                AuditContexts.client(rc, issued.claims().clientId()),
                                Audit.details(
                                        "jti",
                                        issued.claims().jti(),
                                        "scope",
                                        issued.claims().scope())))
                        // No token leaves before its token.issued event committed (AUDIT_DURABILITY=sync).
                        .onSuccess(recorded -> {
                            metrics.tokenRequest("issued");
                            rc.response()
                                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                                    .end(new JsonObject()
                                            .put("access_token", issued.jwt())
                                            .put("token_type", "Bearer")
                                            .put("expires_in", issued.expiresIn())
                                            .put("scope", issued.claims().scope())
                                            .encode());
                        })
                        .onFailure(unrecorded -> rc.fail(new OAuthException(
                                503,
                                "temporarily_unavailable",
                                "the token could not be recorded in the audit trail; retry later",
                                false))))
                .onFailure(rc::fail);
    }
}
