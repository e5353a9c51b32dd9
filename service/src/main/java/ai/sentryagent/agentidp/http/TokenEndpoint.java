package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.audit.Audit;
import ai.sentryagent.agentidp.audit.AuditEvent;
import ai.sentryagent.agentidp.token.ClientAuthenticator;
import ai.sentryagent.agentidp.token.ClientCredential;
import ai.sentryagent.agentidp.token.Grant;
import ai.sentryagent.agentidp.token.GrantOutcome;
import ai.sentryagent.agentidp.token.OAuthException;
import ai.sentryagent.agentidp.token.TokenExchangeGrant;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /api/v1/token} (RFC 6749 §3.2): parse the form, read the presented client credential, pick the grant by
 * {@code grant_type}, map its {@link GrantOutcome}. Audit and metrics of a grant's outcome happen here and nowhere
 * else: an issued token leaves only once its event is recorded; a refused client authentication or a rejected grant
 * is answered by {@link OAuthOutcomes}, like on the other OAuth endpoints.
 */
public final class TokenEndpoint implements Handler<RoutingContext> {
    private static final Logger LOG = LoggerFactory.getLogger(TokenEndpoint.class);

    private final Map<String, Grant> grants;
    private final String unsupported;
    private final Function<AuditEvent, Future<Void>> recorder;
    private final OAuthOutcomes outcomes;

    /**
     * {@code recorder} records the event of an issued token ({@link Audit#record}): its
     * future completes once the event is committed (in {@code AUDIT_DURABILITY=sync}), or fails.
     */
    public TokenEndpoint(List<Grant> grants, Function<AuditEvent, Future<Void>> recorder, OAuthOutcomes outcomes) {
        this.grants = grants.stream().collect(Collectors.toUnmodifiableMap(Grant::grantType, Function.identity()));
        this.unsupported = grants.size() == 1
                ? "only " + grants.get(0).grantType() + " is supported"
                : "grant_type must be one of: "
                        + grants.stream().map(Grant::grantType).sorted().collect(Collectors.joining(" "));
        this.recorder = recorder;
        this.outcomes = outcomes;
    }

    @Override
    public void handle(RoutingContext rc) {
        FormBody form = FormBody.parse(rc.body().asString());
        Grant grant = form.get("grant_type").map(grants::get).orElse(null);
        // Client authentication comes first (as before grants were a table) except for a grant whose parameters
        // are the credential: there it is optional (RFC 7523 §3.1).
        String authorization = rc.request().getHeader(HttpHeaders.AUTHORIZATION);
        Optional<ClientCredential> credential = grant != null && !grant.clientAuthenticationRequired()
                ? ClientAuthenticator.credentialIfAny(authorization, form)
                : Optional.of(ClientAuthenticator.credential(authorization, form));
        Optional<ClientAuthenticator.Presented> presented = credential.map(c -> presented(rc, c));
        form.require("grant_type");
        if (grant == null) {
            throw OAuthException.unsupportedGrantType(unsupported);
        }
        Grant.Request request = new Grant.Request(presented, form);
        grant.apply(request)
                .onSuccess(outcome -> outcome.<Void>fold(
                        issued -> {
                            issued(rc, issued);
                            return null;
                        },
                        invalidScope -> {
                            outcomes.refuseGrant(
                                    rc,
                                    request.presented(),
                                    grant.grantType(),
                                    OAuthException.invalidScope(invalidScope.description()),
                                    Map.of());
                            return null;
                        },
                        invalidRequest -> {
                            rc.fail(OAuthException.invalidRequest(invalidRequest.description()));
                            return null;
                        },
                        invalidTarget -> {
                            outcomes.refuseGrant(
                                    rc,
                                    request.presented(),
                                    grant.grantType(),
                                    OAuthException.invalidTarget(invalidTarget.description()),
                                    invalidTarget.auditDetails());
                            return null;
                        },
                        invalidGrant -> {
                            outcomes.rejectGrant(rc, request.presented(), grant.grantType(), invalidGrant);
                            return null;
                        },
                        unauthorizedClient -> {
                            outcomes.refuseGrant(
                                    rc,
                                    request.presented(),
                                    grant.grantType(),
                                    new OAuthException(
                                            400, "unauthorized_client", unauthorizedClient.description(), false),
                                    Map.of());
                            return null;
                        },
                        refused -> {
                            // Only an authentication refuses with invalid_client, so a refusal without a presented
                            // client is an outage (the replay store): no client to name.
                            outcomes.refuse(rc, request.presented().orElse(null), refused);
                            return null;
                        }))
                .onFailure(rc::fail);
    }

    private void issued(RoutingContext rc, GrantOutcome.Issued issued) {
        var claims = issued.token().claims();
        AuditEvent event = AuditEvent.of(
                claims.delegation().isPresent() ? "token.exchanged" : "token.issued",
                AuditEvent.SUCCESS,
                // A token exchange is recorded on the agent acted for; the actor is the event's client.
                claims.delegation().isPresent()
                        ? java.util.UUID.fromString(claims.subject())
                        : issued.client().agentId(),
                AuditContexts.client(rc, claims.clientId()),
                Audit.details("jti", claims.jti(), "scope", claims.scope(), "aud", claims.aud())
                        .mergeIn(new JsonObject(issued.auditDetails())));
        JsonObject body = new JsonObject()
                .put("access_token", issued.token().jwt())
                .put("token_type", "Bearer")
                .put("expires_in", issued.token().expiresIn())
                .put("scope", claims.scope());
        if (claims.delegation().isPresent()) {
            // RFC 8693 §2.2.1: issued_token_type is required in a token exchange's answer.
            body.put("issued_token_type", TokenExchangeGrant.ACCESS_TOKEN_TYPE);
        }
        // The token leaves only once its event is recorded. A failed audit is 503 temporarily_unavailable with
        // Retry-After and no token: in synchronous audit mode a token nobody can account for is not handed out.
        recorder.apply(event)
                .onSuccess(recorded -> {
                    outcomes.metrics().tokenRequest("issued");
                    rc.response()
                            .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                            .end(body.encode());
                })
                .onFailure(failure -> {
                    LOG.warn(
                            "audit event {} not recorded on {} requestId={}: {}",
                            event.action(),
                            RequestContext.routeTemplate(rc),
                            RequestContext.requestId(rc),
                            failure.toString());
                    rc.fail(new OAuthException(
                            503, "temporarily_unavailable", "the request could not be recorded; retry later", false));
                });
    }

    /** The credential with where it came from: the client's address, the request id and the route, for audit. */
    static ClientAuthenticator.Presented presented(RoutingContext rc, ClientCredential credential) {
        return new ClientAuthenticator.Presented(
                credential,
                RequestContext.clientIp(rc),
                RequestContext.requestId(rc),
                RequestContext.routeTemplate(rc));
    }
}
