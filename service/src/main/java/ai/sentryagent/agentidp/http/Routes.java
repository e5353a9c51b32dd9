package ai.sentryagent.agentidp.http;

import static io.vertx.core.http.HttpMethod.DELETE;
import static io.vertx.core.http.HttpMethod.GET;
import static io.vertx.core.http.HttpMethod.PATCH;
import static io.vertx.core.http.HttpMethod.POST;

import ai.sentryagent.agentidp.audit.Audit;
import ai.sentryagent.agentidp.config.AppConfig;
import ai.sentryagent.agentidp.error.ApiError;
import ai.sentryagent.agentidp.observability.Metrics;
import ai.sentryagent.agentidp.policy.PolicyEngine;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.CorsHandler;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The endpoint table, the one static method that mounts it, so tests mount exactly what production mounts, and the
 * {@link HttpVerticle} that serves it. Each endpoint is one {@link Endpoint} row; its mount, its metric and access-log
 * label, its error format and (for management rows) its policy decision all come from that row.
 */
public final class Routes {
    /** Request bodies larger than this are refused with 413. */
    public static final int MAX_BODY_BYTES = 64 * 1024;

    /**
     * The OAuth endpoints' forms are a few short parameters (each already limited to 8 KiB): a smaller limit there
     * keeps what an anonymous client can make the process buffer small (F-17).
     */
    public static final int MAX_FORM_BODY_BYTES = 16 * 1024;

    /** Route metadata: the policy key of the decision every management route makes before its handler runs. */
    public static final String POLICY_METADATA = "agentidp.policy";

    private Routes() {}

    /** How an endpoint's errors are written. */
    public enum Format {
        /** RFC 6749 §5.2: {@code {"error","error_description"}}, never cached. */
        OAUTH,
        /** The management shape: {@code {"error","message","details"}}. */
        API;

        /** A failure that carries only a status (Vert.x Web's own 404, 405, 413, …), in this format's words. */
        ApiError fromStatus(RoutingContext rc) {
            int status = rc.statusCode();
            if (this == OAUTH) {
                return switch (status) {
                    case 405 -> new ApiError.OAuth(405, "invalid_request", "use POST");
                    case 413 -> new ApiError.OAuth(413, "invalid_request", "the request body is too large");
                    case 400 -> new ApiError.OAuth(400, "invalid_request", "the request is malformed");
                    case 403 -> new ApiError.OAuth(403, "invalid_request", "the request Origin is not allowed");
                    default ->
                        // Any other client error a Vert.x handler raised stays a client error.
                        status >= 400 && status < 500
                                ? new ApiError.OAuth(status, "invalid_request", "the request cannot be served")
                                : new ApiError.Internal();
                };
            }
            return switch (status) {
                case 400 -> new ApiError.BadRequest("the request is malformed");
                case 403 -> new ApiError.Forbidden("the request is not allowed (origin or policy)");
                case 404 -> new ApiError.NotFound("no resource at " + rc.normalizedPath());
                case 405 ->
                    new ApiError.MethodNotAllowed(rc.request().method() + " is not allowed on " + rc.normalizedPath());
                case 413 -> new ApiError.PayloadTooLarge("the request body exceeds the limit");
                case 415 -> new ApiError.UnsupportedMediaType("unsupported content type");
                default ->
                    // Any other client error a Vert.x handler raised (406, 431, ...) stays a client error.
                    status >= 400 && status < 500
                            ? new ApiError.ClientError(status, "the request cannot be served")
                            : new ApiError.Internal();
            };
        }
    }

    /** Who may call an endpoint. */
    public enum Access {
        /** Anyone: discovery, JWKS, health, metrics. */
        PUBLIC,
        /** An OAuth client authenticating itself (RFC 6749 §2.3) in the handler. */
        CLIENT,
        /**
         * A bearer token the policy grants this endpoint: the policy file must have a rule for the row's
         * {@link Endpoint#policyKey()}, or startup fails (F-01: a path the policy could not classify used to reach
         * the handler undecided).
         */
        POLICY
    }

    /**
     * One endpoint, declared once. OAuth rows are mounted for every method, so a wrong method gets RFC 6749's answer
     * (405 {@code invalid_request}, {@code Allow: POST}) rather than the router's.
     *
     * @param template the policy's form, {@code /api/v1/agents/{agentId}}
     */
    public record Endpoint(
            HttpMethod method,
            String template,
            Format format,
            Access access,
            Function<Handlers, Handler<RoutingContext>> handler) {
        /** The policy file's key, {@code GET /api/v1/agents/{agentId}}. */
        public String policyKey() {
            return method.name() + " " + template;
        }

        /** The router's form of the template, {@code /api/v1/agents/:agentId}; also the metric label. */
        public String routerPath() {
            return template.replaceAll("\\{(\\w+)}", ":$1");
        }
    }

    /**
     * The handlers the table picks from, built once per process (they hold only their collaborators, so every event
     * loop may share them).
     */
    public record Handlers(
            Handler<RoutingContext> health,
            Handler<RoutingContext> readiness,
            Handler<RoutingContext> metrics,
            Handler<RoutingContext> jwks,
            Handler<RoutingContext> metadata,
            Handler<RoutingContext> token,
            Handler<RoutingContext> introspection,
            Handler<RoutingContext> revocation,
            AgentsApi agents,
            CredentialsApi credentials,
            AuditApi audit,
            TrustPoliciesApi trustPolicies,
            KeysApi keys,
            DelegationsApi delegations) {}

    /** What every route shares: the edge settings, metrics, and the bearer check and policy of management rows. */
    public record Edge(
            AppConfig.HttpConfig http, Metrics metrics, BearerAuth bearer, PolicyEngine policy, Audit audit) {}

    /**
     * Every endpoint the service serves. Order matters where templates overlap: {@code /api/v1/audit/verify} and
     * {@code /head} before {@code /api/v1/audit/{eventId}}.
     */
    public static final List<Endpoint> ENDPOINTS = List.of(
            open(GET, "/health", Handlers::health),
            open(GET, "/health/ready", Handlers::readiness),
            open(GET, "/metrics", Handlers::metrics),
            open(GET, "/.well-known/jwks.json", Handlers::jwks),
            open(GET, "/.well-known/oauth-authorization-server", Handlers::metadata),
            open(GET, "/.well-known/openid-configuration", Handlers::metadata),
            oauth("/api/v1/token", Handlers::token),
            oauth("/api/v1/token/introspect", Handlers::introspection),
            oauth("/api/v1/token/revoke", Handlers::revocation),
            managed(GET, "/api/v1/agents", h -> h.agents().list()),
            managed(POST, "/api/v1/agents", h -> h.agents().create()),
            managed(GET, "/api/v1/agents/{agentId}", h -> h.agents().get()),
            managed(PATCH, "/api/v1/agents/{agentId}", h -> h.agents().update()),
            managed(DELETE, "/api/v1/agents/{agentId}", h -> h.agents().decommission()),
            managed(
                    POST,
                    "/api/v1/agents/{agentId}/tokens/revoke",
                    h -> h.agents().revokeTokens()),
            managed(
                    GET,
                    "/api/v1/agents/{agentId}/credentials",
                    h -> h.credentials().list()),
            managed(
                    POST,
                    "/api/v1/agents/{agentId}/credentials",
                    h -> h.credentials().create()),
            managed(
                    POST,
                    "/api/v1/agents/{agentId}/credentials/{credentialId}/rotate",
                    h -> h.credentials().rotate()),
            managed(
                    DELETE,
                    "/api/v1/agents/{agentId}/credentials/{credentialId}",
                    h -> h.credentials().revoke()),
            managed(GET, "/api/v1/trust-policies", h -> h.trustPolicies().list()),
            managed(POST, "/api/v1/trust-policies", h -> h.trustPolicies().create()),
            managed(
                    GET,
                    "/api/v1/trust-policies/{trustPolicyId}",
                    h -> h.trustPolicies().get()),
            managed(
                    DELETE,
                    "/api/v1/trust-policies/{trustPolicyId}",
                    h -> h.trustPolicies().delete()),
            managed(GET, "/api/v1/agents/{agentId}/keys", h -> h.keys().list()),
            managed(POST, "/api/v1/agents/{agentId}/keys", h -> h.keys().create()),
            managed(DELETE, "/api/v1/agents/{agentId}/keys/{kid}", h -> h.keys().delete()),
            managed(
                    GET,
                    "/api/v1/agents/{agentId}/delegations",
                    h -> h.delegations().list()),
            managed(
                    POST,
                    "/api/v1/agents/{agentId}/delegations",
                    h -> h.delegations().create()),
            managed(
                    DELETE,
                    "/api/v1/agents/{agentId}/delegations/{delegationId}",
                    h -> h.delegations().delete()),
            managed(GET, "/api/v1/audit", h -> h.audit().list()),
            managed(GET, "/api/v1/audit/verify", h -> h.audit().verify()),
            managed(GET, "/api/v1/audit/head", h -> h.audit().head()),
            managed(GET, "/api/v1/audit/{eventId}", h -> h.audit().get()));

    /** The rows the policy decides. */
    public static final List<Endpoint> MANAGEMENT = ENDPOINTS.stream()
            .filter(endpoint -> endpoint.access() == Access.POLICY)
            .toList();

    /**
     * The management endpoints as policy keys ({@code "GET /api/v1/agents"}). The policy must have a rule for each,
     * and no rule may name anything else, or startup fails.
     */
    public static final Set<String> MANAGEMENT_ENDPOINTS =
            MANAGEMENT.stream().map(Endpoint::policyKey).collect(Collectors.toUnmodifiableSet());

    private static Endpoint open(HttpMethod method, String template, Function<Handlers, Handler<RoutingContext>> h) {
        return new Endpoint(method, template, Format.API, Access.PUBLIC, h);
    }

    private static Endpoint oauth(String template, Function<Handlers, Handler<RoutingContext>> h) {
        return new Endpoint(POST, template, Format.OAUTH, Access.CLIENT, h);
    }

    private static Endpoint managed(HttpMethod method, String template, Function<Handlers, Handler<RoutingContext>> h) {
        return new Endpoint(method, template, Format.API, Access.POLICY, h);
    }

    /**
     * The HTTP server of one event loop: the connection limits ({@link RequestHeadTimeout}, {@link PipelineDepth}) and
     * then the router {@link #create} builds. Several instances share the port.
     */
    public static final class HttpVerticle extends VerticleBase {
        /** Longer than the load balancer's idle timeout (60 s on an ALB), so the balancer closes first. */
        private static final int IDLE_TIMEOUT_SECONDS = 75;

        private final Edge edge;
        private final Handlers handlers;
        private final String host;
        private final int port;
        private final long drainTimeoutMs;
        private HttpServer server;
        private RequestHeadTimeout heads;

        /** Serves {@link Routes#ENDPOINTS} with {@code handlers} on {@code host:port}. */
        public HttpVerticle(Edge edge, Handlers handlers, String host, int port, long drainTimeoutMs) {
            this.edge = edge;
            this.handlers = handlers;
            this.host = host;
            this.port = port;
            this.drainTimeoutMs = drainTimeoutMs;
        }

        @Override
        public Future<?> start() {
            HttpServerOptions options = new HttpServerOptions()
                    .setPort(port)
                    .setHost(host)
                    .setCompressionSupported(false)
                    // No h2c upgrade or prior-knowledge HTTP/2 on the plain port (F-09): one protocol, one parser.
                    .setHttp2ClearTextEnabled(false)
                    .setMaxInitialLineLength(8192)
                    .setMaxHeaderSize(16384)
                    .setIdleTimeout(IDLE_TIMEOUT_SECONDS)
                    .setIdleTimeoutUnit(TimeUnit.SECONDS);
            Router router = create(vertx, edge, handlers);
            heads = new RequestHeadTimeout(
                    vertx, edge.http().headerTimeoutMs(), TimeUnit.SECONDS.toMillis(IDLE_TIMEOUT_SECONDS));
            heads.start();
            return vertx.createHttpServer(options)
                    .connectionHandler(connection -> {
                        heads.opened(connection);
                        PipelineDepth.install(
                                connection, edge.metrics(), edge.http().bodyTimeoutMs());
                    })
                    .requestHandler(request -> {
                        heads.arrived(request);
                        router.handle(request);
                    })
                    .listen()
                    .onSuccess(s -> server = s);
        }

        @Override
        public Future<?> stop() {
            heads.stop();
            // Stop accepting, let in-flight requests finish, then close whatever is left.
            return server == null ? Future.succeededFuture() : server.shutdown(drainTimeoutMs, TimeUnit.MILLISECONDS);
        }
    }

    public static Router create(Vertx vertx, Edge edge, Handlers handlers) {
        return create(vertx, edge, handlers, ENDPOINTS);
    }

    /** Mounts {@code endpoints} behind the edge checks every request passes. */
    static Router create(Vertx vertx, Edge edge, Handlers handlers, List<Endpoint> endpoints) {
        AppConfig.HttpConfig http = edge.http();
        Router router = Router.router(vertx);
        router.route().handler(new RequestContext(http.trustedProxies()));
        router.route().handler(new MessageFraming());
        // Before every route's BodyHandler, so a body's bytes are reserved before the first one is buffered (F-17).
        router.route()
                .handler(new RequestBudget(
                        vertx, edge.metrics(), http.bodyBudgetBytes(), http.bodyTimeoutMs(), MAX_BODY_BYTES));
        router.route().handler(new RequestTarget());
        if (http.enforceTls()) {
            router.route().handler(new TlsEnforcement());
        }
        if (!http.corsOrigins().isEmpty()) {
            router.route().handler(cors(http.corsOrigins()));
        }

        Handler<RoutingContext> body = BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES);
        Handler<RoutingContext> form = BodyHandler.create(false).setBodyLimit(MAX_FORM_BODY_BYTES);
        OAuthGuard oauthGuard = new OAuthGuard();
        FailureHandler oauthErrors = new FailureHandler(Format.OAUTH, edge.metrics());
        for (Endpoint endpoint : endpoints) {
            Handler<RoutingContext> label = label(endpoint.routerPath());
            Handler<RoutingContext> handler = endpoint.handler().apply(handlers);
            switch (endpoint.access()) {
                case PUBLIC ->
                    router.route(endpoint.method(), endpoint.routerPath())
                            .setName(endpoint.routerPath())
                            .handler(label)
                            .handler(handler);
                case CLIENT ->
                    router.route(endpoint.routerPath())
                            .setName(endpoint.routerPath())
                            .handler(form) // Vert.x Web runs body handlers first
                            .handler(label)
                            .handler(oauthGuard)
                            .handler(handler)
                            .failureHandler(oauthErrors);
                case POLICY ->
                    // Exact method and template: the decision is made on the route the router matched, never by
                    // re-matching the path; the policy guard sits on the same route as the handler it protects.
                    router.route(endpoint.method(), endpoint.routerPath())
                            .setName(endpoint.routerPath())
                            .putMetadata(POLICY_METADATA, endpoint.policyKey())
                            .handler(body) // Vert.x Web runs body handlers first
                            .handler(label)
                            .handler(Routes::noStore)
                            .handler(edge.bearer())
                            .handler(new PolicyGuard(edge.policy(), edge.audit(), endpoint.template()))
                            .handler(handler);
            }
        }

        FailureHandler errors = new FailureHandler(Format.API, edge.metrics());
        router.route().failureHandler(errors);
        for (int status : new int[] {400, 403, 404, 405, 413, 415, 500}) {
            router.errorHandler(status, errors);
        }
        return router;
    }

    /** Records the row's template for metrics and the access log, before anything can fail. */
    private static Handler<RoutingContext> label(String template) {
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
