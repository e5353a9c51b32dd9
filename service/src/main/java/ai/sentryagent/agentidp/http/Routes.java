package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.agent.AgentStore;
import ai.sentryagent.agentidp.config.AppConfig;
import ai.sentryagent.agentidp.credential.CredentialStore;
import ai.sentryagent.agentidp.crypto.CredentialHasher;
import ai.sentryagent.agentidp.token.ClientAuthenticator;
import ai.sentryagent.agentidp.token.RevocationStore;
import ai.sentryagent.agentidp.token.Scopes;
import ai.sentryagent.agentidp.token.TokenCodec;
import ai.sentryagent.agentidp.token.TokenIssuer;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.redis.client.Redis;
import io.vertx.sqlclient.Pool;
import java.time.Clock;

/** The one place that mounts every route, so tests mount exactly what production mounts. */
public final class Routes {
    /** Request bodies larger than this are refused with 413. */
    public static final int MAX_BODY_BYTES = 64 * 1024;

    private Routes() {}

    /** The collaborators the handlers need, built once per process and shared by every HTTP verticle. */
    public record Dependencies(
            Pool pool,
            Redis redis,
            AppConfig.TokenConfig tokens,
            Scopes scopes,
            TokenCodec codec,
            ClientAuthenticator authenticator,
            TokenIssuer issuer,
            RevocationStore revocations,
            AgentStore agents,
            CredentialStore credentials,
            CredentialHasher hasher,
            Clock clock) {}

    public static Router create(Vertx vertx, Dependencies deps) {
        Router router = Router.router(vertx);
        router.get("/health").handler(new HealthHandler());
        router.get("/health/ready").handler(new ReadinessHandler(deps.pool(), deps.redis()));

        router.get("/.well-known/jwks.json")
                .handler(new JwksHandler(deps.tokens().keys()));
        MetadataHandler metadata = new MetadataHandler(deps.tokens().issuer(), deps.scopes());
        router.get("/.well-known/oauth-authorization-server").handler(metadata);
        router.get("/.well-known/openid-configuration").handler(metadata);

        Handler<RoutingContext> body = BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES);
        OAuthGuard guard = new OAuthGuard();
        OAuthErrorHandler oauthErrors = new OAuthErrorHandler();
        oauth(
                router,
                "/api/v1/token",
                guard,
                body,
                new TokenEndpoint(deps.authenticator(), deps.issuer()),
                oauthErrors);
        oauth(
                router,
                "/api/v1/token/introspect",
                guard,
                body,
                new IntrospectionEndpoint(deps.authenticator(), deps.codec(), deps.revocations()),
                oauthErrors);
        oauth(
                router,
                "/api/v1/token/revoke",
                guard,
                body,
                new RevocationEndpoint(deps.authenticator(), deps.codec(), deps.revocations()),
                oauthErrors);

        BearerAuth bearer = new BearerAuth(deps.codec(), deps.revocations());
        router.route("/api/v1/agents*").handler(body).handler(bearer);
        RequireScope read = new RequireScope(Scopes.AGENTS_READ);
        RequireScope write = new RequireScope(Scopes.AGENTS_WRITE);
        AgentsApi agents = new AgentsApi(deps.agents(), deps.scopes());
        router.post("/api/v1/agents").handler(write).handler(agents.create());
        router.get("/api/v1/agents").handler(read).handler(agents.list());
        router.get("/api/v1/agents/:agentId").handler(read).handler(agents.get());
        router.patch("/api/v1/agents/:agentId").handler(write).handler(agents.update());
        router.delete("/api/v1/agents/:agentId").handler(write).handler(agents.decommission());
        CredentialsApi credentials = new CredentialsApi(deps.agents(), deps.credentials(), deps.hasher(), deps.clock());
        router.post("/api/v1/agents/:agentId/credentials").handler(write).handler(credentials.create());
        router.get("/api/v1/agents/:agentId/credentials").handler(read).handler(credentials.list());
        router.post("/api/v1/agents/:agentId/credentials/:credentialId/rotate")
                .handler(write)
                .handler(credentials.rotate());
        router.delete("/api/v1/agents/:agentId/credentials/:credentialId")
                .handler(write)
                .handler(credentials.revoke());

        ErrorHandler errors = new ErrorHandler();
        router.route().failureHandler(errors);
        for (int status : new int[] {400, 404, 405, 413, 415, 500}) {
            router.errorHandler(status, errors);
        }
        return router;
    }

    private static void oauth(
            Router router,
            String path,
            OAuthGuard guard,
            Handler<RoutingContext> body,
            Handler<RoutingContext> endpoint,
            OAuthErrorHandler errors) {
        router.route(path).handler(body).handler(guard).handler(endpoint).failureHandler(errors);
    }
}
