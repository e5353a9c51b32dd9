package ai.sentryagent.agentidp.http;

import static io.vertx.core.http.HttpMethod.DELETE;
import static io.vertx.core.http.HttpMethod.GET;
import static io.vertx.core.http.HttpMethod.PATCH;
import static io.vertx.core.http.HttpMethod.POST;

import ai.sentryagent.agentidp.agent.AgentStore;
import ai.sentryagent.agentidp.audit.Audit;
import ai.sentryagent.agentidp.config.AppConfig;
import ai.sentryagent.agentidp.credential.ClientDirectory;
import ai.sentryagent.agentidp.credential.CredentialStore;
import ai.sentryagent.agentidp.crypto.CredentialHasher;
import ai.sentryagent.agentidp.observability.Metrics;
import ai.sentryagent.agentidp.policy.PolicyEngine;
import ai.sentryagent.agentidp.token.ActiveTokens;
import ai.sentryagent.agentidp.token.ClientAuthenticator;
import ai.sentryagent.agentidp.token.ClientCredentialsGrant;
import ai.sentryagent.agentidp.token.RevocationStore;
import ai.sentryagent.agentidp.token.TokenCodec;
import ai.sentryagent.agentidp.token.TokenIssuer;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.CorsHandler;
import io.vertx.redis.client.Redis;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/** The one place that mounts every route, so tests mount exactly what production mounts. */
public final class Routes {
    /** Request bodies larger than this are refused with 413. */
    public static final int MAX_BODY_BYTES = 64 * 1024;

    /**
     * The OAuth endpoints' forms are a few short parameters (each already limited to 8 KiB): a smaller limit there
     * keeps what an anonymous client can make the process buffer small (F-17).
     */
    public static final int MAX_FORM_BODY_BYTES = 16 * 1024;

    private Routes() {}

    /**
     * One management endpoint: declared once, here. Its mount, its metric and access-log label, its policy decision
     * and the policy loader's "every endpoint needs a rule" check all come from this one entry, so no second list can
     * drift from the router (F-01: a path the policy could not classify used to reach the handler undecided).
     *
     * @param template the policy's form, {@code /api/v1/agents/{agentId}}
     */
    public record Endpoint(HttpMethod method, String template, Function<Apis, Handler<RoutingContext>> handler) {
        /** The policy file's key, {@code GET /api/v1/agents/{agentId}}. */
        public String policyKey() {
            return method.name() + " " + template;
        }

        /** The router's form of the template, {@code /api/v1/agents/:agentId}; also the metric label. */
        public String routerPath() {
            return template.replaceAll("\\{(\\w+)}", ":$1");
        }
    }

    /** The handlers the endpoint table picks from, built once per router. */
    public record Apis(Dependencies deps, AgentsApi agents, CredentialsApi credentials, AuditApi audit) {}

    /**
     * Every management endpoint. Order matters where templates overlap: {@code /api/v1/audit/verify} and {@code /head} before
     * {@code /api/v1/audit/{eventId}}.
     */
    public static final List<Endpoint> MANAGEMENT = List.of(
            new Endpoint(GET, "/api/v1/agents", apis -> apis.agents().list()),
            new Endpoint(POST, "/api/v1/agents", apis -> apis.agents().create()),
            new Endpoint(GET, "/api/v1/agents/{agentId}", apis -> apis.agents().get()),
            new Endpoint(
                    PATCH, "/api/v1/agents/{agentId}", apis -> apis.agents().update()),
            new Endpoint(
                    DELETE, "/api/v1/agents/{agentId}", apis -> apis.agents().decommission()),
            new Endpoint(
                    POST,
                    "/api/v1/agents/{agentId}/tokens/revoke",
                    apis -> apis.agents().revokeTokens()),
            new Endpoint(
                    GET,
                    "/api/v1/agents/{agentId}/credentials",
                    apis -> apis.credentials().list()),
            new Endpoint(
                    POST,
                    "/api/v1/agents/{agentId}/credentials",
                    apis -> apis.credentials().create()),
            new Endpoint(
                    POST,
                    "/api/v1/agents/{agentId}/credentials/{credentialId}/rotate",
                    apis -> apis.credentials().rotate()),
            new Endpoint(
                    DELETE,
                    "/api/v1/agents/{agentId}/credentials/{credentialId}",
                    apis -> apis.credentials().revoke()),
            new Endpoint(GET, "/api/v1/audit", apis -> apis.audit().list()),
            new Endpoint(GET, "/api/v1/audit/verify", apis -> apis.audit().verify()),
            new Endpoint(GET, "/api/v1/audit/head", apis -> apis.audit().head()),
            new Endpoint(GET, "/api/v1/audit/{eventId}", apis -> apis.audit().get()));

    /**
     * The management endpoints as policy keys ({@code "GET /api/v1/agents"}). The policy must have a rule for each,
     * or startup fails.
     */
    public static final Set<String> MANAGEMENT_ENDPOINTS =
            MANAGEMENT.stream().map(Endpoint::policyKey).collect(Collectors.toUnmodifiableSet());

    /** Route metadata: the policy key of the decision every management route makes before its handler runs. */
    public static final String POLICY_METADATA = "agentidp.policy";

    /** The collaborators the handlers need, built once per process and shared by every HTTP verticle. */
    public record Dependencies(
            AppConfig config,
            Pool pool,
            Redis redis,
            Metrics metrics,
            TokenCodec codec,
            ClientAuthenticator authenticator,
            TokenIssuer issuer,
            RevocationStore revocations,
            AgentStore agents,
            CredentialStore credentials,
            ClientDirectory clients,
            CredentialHasher hasher,
            Audit audit,
            PolicyEngine policy,
            Clock clock) {}

    public static Router create(Vertx vertx, Dependencies deps) {
        AppConfig config = deps.config();
        Router router = Router.router(vertx);
        router.route().handler(new RequestContext(deps.metrics(), config.http().trustedProxies()));
        router.route().handler(new MessageFraming());
        // Before every route's BodyHandler, so a body's bytes are reserved before the first one is buffered (F-17).
        router.route()
                .handler(new RequestBudget(
                        vertx,
                        deps.metrics(),
                        config.http().bodyBudgetBytes(),
                        config.http().bodyTimeoutMs(),
                        MAX_BODY_BYTES));
        router.route().handler(new RequestTarget());
        if (config.http().enforceTls()) {
            router.route().handler(new TlsEnforcement());
        }
        if (!config.http().corsOrigins().isEmpty()) {
            router.route().handler(cors(config.http().corsOrigins()));
        }
        router.get("/health").handler(tag("/health")).handler(new HealthHandler());
        router.get("/health/ready")
                .handler(tag("/health/ready"))
                .handler(new ReadinessHandler(deps.pool(), deps.redis()));
        router.get("/metrics").handler(tag("/metrics")).handler(new MetricsHandler(deps.metrics()));

        router.get("/.well-known/jwks.json")
                .handler(tag("/.well-known/jwks.json"))
                .handler(new JwksHandler(config.tokens().keys()));
        MetadataHandler metadata = new MetadataHandler(config.tokens().issuer(), config.scopes());
        router.get("/.well-known/oauth-authorization-server")
                .handler(tag("/.well-known/oauth-authorization-server"))
                .handler(metadata);
        router.get("/.well-known/openid-configuration")
                .handler(tag("/.well-known/openid-configuration"))
                .handler(metadata);

        Handler<RoutingContext> body = BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES);
        Handler<RoutingContext> form = BodyHandler.create(false).setBodyLimit(MAX_FORM_BODY_BYTES);
        OAuthGuard guard = new OAuthGuard();
        OAuthErrorHandler oauthErrors = new OAuthErrorHandler(deps.metrics());
        OAuthOutcomes outcomes = OAuthOutcomes.of(deps.audit(), deps.metrics());
        TokenEndpoint token =
                new TokenEndpoint(List.of(new ClientCredentialsGrant(deps.authenticator(), deps.issuer())), outcomes);
        router.route("/api/v1/token")
                .handler(form) // Vert.x Web runs body handlers first
                .handler(tag("/api/v1/token"))
                .handler(guard)
                .handler(token)
                .failureHandler(oauthErrors);
        ActiveTokens activeTokens = new ActiveTokens(deps.codec(), deps.clients(), deps.revocations());
        router.route("/api/v1/token/introspect")
                .handler(form) // Vert.x Web runs body handlers first
                .handler(tag("/api/v1/token/introspect"))
                .handler(guard)
                .handler(new IntrospectionEndpoint(deps.authenticator(), deps.codec(), activeTokens, outcomes))
                .failureHandler(oauthErrors);
        router.route("/api/v1/token/revoke")
                .handler(form) // Vert.x Web runs body handlers first
                .handler(tag("/api/v1/token/revoke"))
                .handler(guard)
                .handler(new RevocationEndpoint(deps.authenticator(), deps.codec(), deps.revocations(), outcomes))
                .failureHandler(oauthErrors);

        BearerAuth bearer = new BearerAuth(activeTokens);
        Apis apis = new Apis(
                deps,
                new AgentsApi(deps.agents(), config.scopes()),
                new CredentialsApi(deps.agents(), deps.credentials(), deps.hasher(), deps.clock()),
                new AuditApi(deps.audit()));
        for (Endpoint endpoint : MANAGEMENT) {
            // Exact method and template: the decision is made on the route the router matched, never by
            // re-matching the path; the policy guard sits on the same route as the handler it protects.
            router.route(endpoint.method(), endpoint.routerPath())
                    .putMetadata(POLICY_METADATA, endpoint.policyKey())
                    .handler(body) // Vert.x Web runs body handlers first
                    .handler(tag(endpoint.routerPath()))
                    .handler(Routes::noStore)
                    .handler(bearer)
                    .handler(new PolicyGuard(deps.policy(), deps.audit(), endpoint.template()))
                    .handler(endpoint.handler().apply(apis));
        }

        ErrorHandler errors = new ErrorHandler();
        router.route().failureHandler(errors);
        for (int status : new int[] {400, 403, 404, 405, 413, 415, 500}) {
            router.errorHandler(status, errors);
        }
        return router;
    }

    /** Records the route template for metrics and the access log, before anything can fail. */
    private static Handler<RoutingContext> tag(String template) {
        return rc -> {
            RequestContext.route(rc, template);
            rc.next();
        };
    }

    /** Management answers (agents, credentials, audit events, errors) are never stored by a cache. */
    private static void noStore(RoutingContext rc) {
        rc.response().putHeader(HttpHeaders.CACHE_CONTROL, "no-store");
        rc.next();
    }

    private static Handler<RoutingContext> cors(List<String> origins) {
        CorsHandler cors = CorsHandler.create()
                .allowedMethods(Set.of(GET, POST, PATCH, DELETE))
                .allowedHeaders(Set.of("Authorization", "Content-Type", "X-Request-Id"))
                .exposedHeaders(Set.of("X-Request-Id", "Retry-After", "Location"))
                .maxAgeSeconds(600);
        origins.forEach(cors::addOrigin);
        return cors;
    }
}
