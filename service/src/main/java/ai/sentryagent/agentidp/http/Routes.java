package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.agent.AgentStore;
import ai.sentryagent.agentidp.audit.Audit;
import ai.sentryagent.agentidp.config.AppConfig;
import ai.sentryagent.agentidp.credential.CredentialStore;
import ai.sentryagent.agentidp.crypto.CredentialHasher;
import ai.sentryagent.agentidp.observability.Metrics;
import ai.sentryagent.agentidp.policy.PolicyEngine;
import ai.sentryagent.agentidp.ratelimit.RateLimiter;
import ai.sentryagent.agentidp.token.ClientAuthenticator;
import ai.sentryagent.agentidp.token.RevocationStore;
import ai.sentryagent.agentidp.token.TokenCodec;
import ai.sentryagent.agentidp.token.TokenIssuer;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
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

/** The one place that mounts every route, so tests mount exactly what production mounts. */
public final class Routes {
    /** Request bodies larger than this are refused with 413. */
    public static final int MAX_BODY_BYTES = 64 * 1024;

    private Routes() {}

    /**
     * The management endpoints, as policy templates. The policy must have a rule for each, or startup fails.
     */
    public static final Set<String> MANAGEMENT_ENDPOINTS = Set.of(
            "GET /api/v1/agents",
            "POST /api/v1/agents",
            "GET /api/v1/agents/{agentId}",
            "PATCH /api/v1/agents/{agentId}",
            "DELETE /api/v1/agents/{agentId}",
            "GET /api/v1/agents/{agentId}/credentials",
            "POST /api/v1/agents/{agentId}/credentials",
            "POST /api/v1/agents/{agentId}/credentials/{credentialId}/rotate",
            "DELETE /api/v1/agents/{agentId}/credentials/{credentialId}",
            "GET /api/v1/audit",
            "GET /api/v1/audit/verify",
            "GET /api/v1/audit/head",
            "GET /api/v1/audit/{eventId}");

    /** The collaborators the handlers need, built once per process and shared by every HTTP verticle. */
    public record Dependencies(
            AppConfig config,
            Pool pool,
            Redis redis,
            Metrics metrics,
            RateLimiter limiter,
            TokenCodec codec,
            ClientAuthenticator authenticator,
            TokenIssuer issuer,
            RevocationStore revocations,
            AgentStore agents,
            CredentialStore credentials,
            CredentialHasher hasher,
            Audit audit,
            PolicyEngine policy,
            Clock clock) {}

    public static Router create(Vertx vertx, Dependencies deps) {
        AppConfig config = deps.config();
        Router router = Router.router(vertx);
        router.route().handler(new RequestContext(deps.metrics(), config.http().trustedProxies()));
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
        OAuthGuard guard = new OAuthGuard();
        OAuthErrorHandler oauthErrors = new OAuthErrorHandler(deps.metrics());
        TokenEndpoint token = new TokenEndpoint(
                deps.authenticator(), deps.issuer(), deps.limiter(), config.rateLimit(), deps.metrics(), deps.audit());
        router.route("/api/v1/token")
                .handler(body) // Vert.x Web runs body handlers first
                .handler(tag("/api/v1/token"))
                .handler(guard)
                .handler(token)
                .failureHandler(oauthErrors);
        router.route("/api/v1/token/introspect")
                .handler(body) // Vert.x Web runs body handlers first
                .handler(tag("/api/v1/token/introspect"))
                .handler(guard)
                .handler(new IntrospectionEndpoint(deps.authenticator(), deps.codec(), deps.revocations()))
                .failureHandler(oauthErrors);
        router.route("/api/v1/token/revoke")
                .handler(body) // Vert.x Web runs body handlers first
                .handler(tag("/api/v1/token/revoke"))
                .handler(guard)
                .handler(new RevocationEndpoint(deps.authenticator(), deps.codec(), deps.revocations()))
                .failureHandler(oauthErrors);

        BearerAuth bearer = new BearerAuth(deps.codec(), deps.revocations());
        PolicyGuard policy = new PolicyGuard(deps.policy(), deps.audit());
        for (String prefix : List.of("/api/v1/agents*", "/api/v1/audit*")) {
            router.route(prefix)
                    .handler(body)
                    .handler(tag(prefix))
                    .handler(bearer)
                    .handler(policy);
        }
        AgentsApi agents = new AgentsApi(deps.agents(), config.scopes());
        router.post("/api/v1/agents").handler(tag("/api/v1/agents")).handler(agents.create());

        router.get("/api/v1/agents").handler(tag("/api/v1/agents")).handler(agents.list());

        router.get("/api/v1/agents/:agentId")
                .handler(tag("/api/v1/agents/:agentId"))
                .handler(agents.get());
        router.patch("/api/v1/agents/:agentId")
                .handler(tag("/api/v1/agents/:agentId"))
                .handler(agents.update());
        router.delete("/api/v1/agents/:agentId")
                .handler(tag("/api/v1/agents/:agentId"))
                .handler(agents.decommission());
        CredentialsApi credentials = new CredentialsApi(deps.agents(), deps.credentials(), deps.hasher(), deps.clock());
        router.post("/api/v1/agents/:agentId/credentials")
                .handler(tag("/api/v1/agents/:agentId/credentials"))
                .handler(credentials.create());
        router.get("/api/v1/agents/:agentId/credentials")
                .handler(tag("/api/v1/agents/:agentId/credentials"))
                .handler(credentials.list());
        router.post("/api/v1/agents/:agentId/credentials/:credentialId/rotate")
                .handler(tag("/api/v1/agents/:agentId/credentials/:credentialId/rotate"))
                .handler(credentials.rotate());
        router.delete("/api/v1/agents/:agentId/credentials/:credentialId")
                .handler(tag("/api/v1/agents/:agentId/credentials/:credentialId"))
                .handler(credentials.revoke());

        AuditApi audit = new AuditApi(deps.audit());
        router.get("/api/v1/audit").handler(tag("/api/v1/audit")).handler(audit.list());
        router.get("/api/v1/audit/verify").handler(tag("/api/v1/audit/verify")).handler(audit.verify());
        router.get("/api/v1/audit/head").handler(tag("/api/v1/audit/head")).handler(audit.head());
        router.get("/api/v1/audit/:eventId")
                .handler(tag("/api/v1/audit/:eventId"))
                .handler(audit.get());

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

    private static Handler<RoutingContext> cors(List<String> origins) {
        CorsHandler cors = CorsHandler.create()
                .allowedMethods(Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PATCH, HttpMethod.DELETE))
                .allowedHeaders(Set.of("Authorization", "Content-Type", "X-Request-Id"))
                .exposedHeaders(Set.of("X-Request-Id", "Retry-After", "Location"))
                .maxAgeSeconds(600);
        origins.forEach(cors::addOrigin);
        return cors;
    }
}
