package ai.sentryagent.agentidp;

import ai.sentryagent.agentidp.agent.AgentStore;
import ai.sentryagent.agentidp.agent.NotifyingAgentStore;
import ai.sentryagent.agentidp.agent.PgAgentStore;
import ai.sentryagent.agentidp.audit.Audit;
import ai.sentryagent.agentidp.audit.AuditChain;
import ai.sentryagent.agentidp.audit.HeadSigner;
import ai.sentryagent.agentidp.audit.PgAudit;
import ai.sentryagent.agentidp.audit.stream.AuditStreamVerticle;
import ai.sentryagent.agentidp.config.AppConfig;
import ai.sentryagent.agentidp.config.Scopes;
import ai.sentryagent.agentidp.credential.ClientDirectory;
import ai.sentryagent.agentidp.credential.CredentialStore;
import ai.sentryagent.agentidp.credential.PgAgentKeyStore;
import ai.sentryagent.agentidp.credential.PgCredentialStore;
import ai.sentryagent.agentidp.crypto.CredentialHasher;
import ai.sentryagent.agentidp.crypto.JwsSigner;
import ai.sentryagent.agentidp.crypto.JwsVerifiers;
import ai.sentryagent.agentidp.federation.FetchRules;
import ai.sentryagent.agentidp.federation.IssuerKeys;
import ai.sentryagent.agentidp.federation.PgTrustPolicyStore;
import ai.sentryagent.agentidp.federation.TrustPolicyDirectory;
import ai.sentryagent.agentidp.federation.TrustPolicyStore;
import ai.sentryagent.agentidp.http.AgentsApi;
import ai.sentryagent.agentidp.http.AuditApi;
import ai.sentryagent.agentidp.http.BearerAuth;
import ai.sentryagent.agentidp.http.CredentialsApi;
import ai.sentryagent.agentidp.http.DelegationsApi;
import ai.sentryagent.agentidp.http.HealthHandler;
import ai.sentryagent.agentidp.http.IntrospectionEndpoint;
import ai.sentryagent.agentidp.http.JwksHandler;
import ai.sentryagent.agentidp.http.KeysApi;
import ai.sentryagent.agentidp.http.MetadataHandler;
import ai.sentryagent.agentidp.http.MetricsHandler;
import ai.sentryagent.agentidp.http.OAuthOutcomes;
import ai.sentryagent.agentidp.http.ReadinessHandler;
import ai.sentryagent.agentidp.http.RevocationEndpoint;
import ai.sentryagent.agentidp.http.Routes;
import ai.sentryagent.agentidp.http.TokenEndpoint;
import ai.sentryagent.agentidp.http.TrustPoliciesApi;
import ai.sentryagent.agentidp.observability.Metrics;
import ai.sentryagent.agentidp.policy.PolicyEngine;
import ai.sentryagent.agentidp.ratelimit.LocalRateLimiter;
import ai.sentryagent.agentidp.ratelimit.RateLimiter;
import ai.sentryagent.agentidp.ratelimit.RedisRateLimiter;
import ai.sentryagent.agentidp.ratelimit.ResilientRateLimiter;
import ai.sentryagent.agentidp.store.ChangeNotifications;
import ai.sentryagent.agentidp.store.Migrations;
import ai.sentryagent.agentidp.store.Postgres;
import ai.sentryagent.agentidp.store.RedisClients;
import ai.sentryagent.agentidp.token.ActiveTokens;
import ai.sentryagent.agentidp.token.AssertionReplay;
import ai.sentryagent.agentidp.token.ClientAssertions;
import ai.sentryagent.agentidp.token.ClientAuthenticator;
import ai.sentryagent.agentidp.token.ClientCredentialsGrant;
import ai.sentryagent.agentidp.token.DelegationStore;
import ai.sentryagent.agentidp.token.JwtBearerGrant;
import ai.sentryagent.agentidp.token.PgDelegationStore;
import ai.sentryagent.agentidp.token.PgRedisRevocationStore;
import ai.sentryagent.agentidp.token.RevocationStore;
import ai.sentryagent.agentidp.token.TokenCodec;
import ai.sentryagent.agentidp.token.TokenExchangeGrant;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.ext.web.client.WebClient;
import io.vertx.redis.client.Redis;
import io.vertx.sqlclient.Pool;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The main verticle: one running AgentIdP. {@link #start()} reads top-down — clients, migrations, the service's
 * parts, the bootstrap administrator, the HTTP verticles, the maintenance verticle, the Kafka relay when configured. Undeploying it undeploys the
 * HTTP verticles first (stop accepting, drain), then the maintenance verticle (its timers), then writes the queued
 * audit events and closes the clients.
 */
public final class AgentIdp extends VerticleBase {
    private static final Logger LOG = LoggerFactory.getLogger(AgentIdp.class);
    static final long DRAIN_TIMEOUT_MS = 10_000;
    static final String BOOTSTRAP_LABEL = "bootstrap";

    private final AppConfig config;
    private final Metrics metrics;
    private volatile int port;
    private Redis redis;
    private ChangeNotifications notifications;
    private ClientDirectory clients;
    private TrustPolicyDirectory trustPolicyDirectory;
    private IssuerKeys issuerKeys;
    private Parts parts;
    private volatile MaintenanceVerticle maintenance;

    /**
     * @param metrics the registry the deploying {@code Vertx} was created with ({@link Metrics#createVertx()}): the
     *     HTTP request metrics come from there
     */
    public AgentIdp(AppConfig config, Metrics metrics) {
        this.config = config;
        this.metrics = metrics;
    }

    /** What {@link #start()} builds from the clients: the stores bootstrap needs and what the HTTP verticles serve. */
    private record Parts(
            AgentStore agents,
            CredentialStore credentials,
            CredentialHasher hasher,
            PgAudit audit,
            RevocationStore revocations,
            PolicyEngine policy,
            Routes.Edge edge,
            Routes.Handlers handlers) {}

    @Override
    public Future<?> start() {
        config.notices().forEach(notice -> LOG.warn("configuration: {}", notice));
        // Created in this verticle's context: undeploying it closes the pool.
        Pool pool = Postgres.pool(vertx, config);
        redis = RedisClients.create(vertx, config.redis(), config.redisTlsCaCert());
        // The providers that verify client and issuer signatures are probed on a worker (key generation, ~0.1-0.8 s)
        // while the rest starts. Readiness does not wait for it (waiting cost 0.5-1 s of ready time on 2 vCPUs); an
        // assertion in the first moments after start waits for the probe to finish, once.
        vertx.executeBlocking(JwsVerifiers::get)
                .onFailure(e -> LOG.error("the signature verifier probe failed: {}", e.toString()));
        return migrate()
                .compose(ignored -> build(pool))
                .compose(built -> {
                    parts = built;
                    return bootstrap(built);
                })
                .compose(pendingRetirement -> deployHttp().map(pendingRetirement))
                .compose(pendingRetirement -> {
                    maintenance = new MaintenanceVerticle(
                            parts.audit(),
                            parts.revocations(),
                            Duration.ofDays(config.auditRetentionDays()),
                            pendingRetirement);
                    return vertx.deployVerticle(maintenance);
                })
                // The Kafka relay publishes what committed; nothing on the request path waits for it.
                .compose(ignored -> AuditStreamVerticle.deployIfConfigured(vertx, config, pool, metrics))
                .onFailure(failure -> closeClients());
    }

    /** Runs after the HTTP and maintenance verticles are undeployed; the pool closes with this verticle's context. */
    @Override
    public Future<?> stop() {
        Future<Void> flushed =
                parts == null ? Future.succeededFuture() : parts.audit().flush();
        // Queued audit events (token issuance, failed logins) are written before the pool closes.
        return flushed.onFailure(e -> LOG.error("audit events could not be written at shutdown: {}", e.toString()))
                .transform(ignored -> closeClients());
    }

    /** The port the HTTP server listens on (resolved when {@code PORT} is 0); valid once deployed. */
    public int port() {
        return port;
    }

    /** Re-reads the authorization policy (SIGHUP). */
    public boolean reloadPolicy() {
        return parts.policy().reload();
    }

    /** The periodic jobs; valid once deployed. */
    public MaintenanceVerticle maintenance() {
        return maintenance;
    }

    /** The token side's client directory (whether its change notifications are live); valid once deployed. */
    public ClientDirectory clients() {
        return clients;
    }

    /** The jwt-bearer grant's trust policies (whether their change notifications are live); valid once deployed. */
    public TrustPolicyDirectory trustPolicyDirectory() {
        return trustPolicyDirectory;
    }

    private Future<Void> migrate() {
        if (!config.migrateOnStart()) {
            return Future.succeededFuture();
        }
        return vertx.executeBlocking(() -> {
            var result = Migrations.apply(config.database());
            LOG.info(
                    "database schema at version {} ({} migrations applied)",
                    result.targetSchemaVersion,
                    result.migrationsExecuted);
            return null;
        });
    }

    private Future<Parts> build(Pool pool) {
        try {
            return Future.succeededFuture(parts(pool));
        } catch (RuntimeException e) {
            // A bad policy file, a signing key the provider refuses: startup fails with the message.
            return Future.failedFuture(e);
        }
    }

    private Parts parts(Pool pool) {
        Clock clock = Clock.systemUTC();
        AppConfig.TokenConfig tokens = config.tokens();
        JwsSigner signer = JwsSigner.create(tokens.keys());
        LOG.info(
                "signing {} tokens with the {} provider, kid {}",
                signer.algorithm(),
                signer.providerName(),
                tokens.keys().current().kid());
        metrics.bindPool(pool::size, config.pool().max());
        metrics.signer(signer.algorithm().name(), signer.providerName());
        PgAudit audit = new PgAudit(
                vertx,
                pool,
                metrics,
                new AuditChain(config.auditChainKey().value().getBytes(StandardCharsets.UTF_8)),
                new HeadSigner(signer, tokens.keys().current().kid(), tokens.issuer(), clock),
                config.auditWrites());
        // The token endpoint's client and trust policy lookups come from memory while PostgreSQL notifies every
        // change, over one LISTEN connection for both.
        notifications = new ChangeNotifications(vertx, Postgres.connectOptions(config.database()));
        clients = ClientDirectory.start(pool, notifications, clock, tokens.clientCacheMaxAge(), 10_000);
        trustPolicyDirectory =
                TrustPolicyDirectory.start(pool, notifications, clock, tokens.clientCacheMaxAge(), 10_000);
        notifications.start();
        AgentStore agents = new NotifyingAgentStore(new PgAgentStore(pool, audit), clients::changedAll);
        CredentialStore credentials = new PgCredentialStore(pool, audit, clients);
        CredentialHasher hasher =
                new CredentialHasher(config.credentialHashKey().value().getBytes(StandardCharsets.UTF_8));
        TokenCodec codec =
                new TokenCodec(tokens.keys(), signer, tokens.issuer(), tokens.audience(), tokens.ttl(), clock);
        RevocationStore revocations = new PgRedisRevocationStore(pool, audit, redis, config.redisKeyPrefix(), clock);
        // One jti store for both kinds of assertion: a client's own (private_key_jwt) and an external issuer's
        // (jwt-bearer).
        AssertionReplay replay = new AssertionReplay(redis, config.redisKeyPrefix(), clock);
        ClientAuthenticator authenticator = new ClientAuthenticator(
                clients,
                hasher,
                rateLimiter(),
                config.rateLimit(),
                new ClientAssertions(tokens.issuer(), clock),
                replay);
        ActiveTokens activeTokens = new ActiveTokens(codec, clients, revocations);
        DelegationStore delegations = new PgDelegationStore(pool, audit, revocations, tokens.exchangeMaxLifetime());
        OAuthOutcomes outcomes = OAuthOutcomes.of(audit, metrics);
        FetchRules fetchRules = new FetchRules(config.federationAllowHttpLoopback());
        TrustPolicyStore trustPolicies = new PgTrustPolicyStore(pool, audit, trustPolicyDirectory);
        issuerKeys = IssuerKeys.create(vertx, fetchRules);
        PolicyEngine policy = new PolicyEngine(
                Path.of(config.policyDir()),
                Routes.MANAGEMENT_ENDPOINTS,
                config.scopes(),
                config.opaUrl(),
                WebClient.create(vertx),
                metrics);
        Scopes scopes = config.scopes();
        MetadataHandler metadata = new MetadataHandler(tokens.issuer(), scopes);
        Routes.Handlers handlers = new Routes.Handlers(
                new HealthHandler(),
                new ReadinessHandler(pool, redis),
                new MetricsHandler(metrics.registry()),
                new JwksHandler(tokens.keys()),
                metadata,
                new TokenEndpoint(
                        List.of(
                                new ClientCredentialsGrant(authenticator, codec),
                                new JwtBearerGrant(
                                        trustPolicyDirectory, issuerKeys, replay, authenticator, clients, codec, clock),
                                new TokenExchangeGrant(
                                        authenticator,
                                        codec,
                                        activeTokens,
                                        clients,
                                        delegations,
                                        revocations,
                                        tokens.exchangeMaxLifetime())),
                        audit::record,
                        outcomes),
                new IntrospectionEndpoint(authenticator, codec, activeTokens, outcomes),
                new RevocationEndpoint(authenticator, codec, revocations, outcomes),
                new AgentsApi(agents, scopes),
                new CredentialsApi(agents, credentials, hasher, clock),
                new AuditApi(audit),
                new TrustPoliciesApi(trustPolicies, agents, fetchRules, clock),
                new KeysApi(agents, new PgAgentKeyStore(pool, audit, clients)),
                new DelegationsApi(agents, delegations, tokens.delegationMaxDepth(), clock));
        Routes.Edge edge = new Routes.Edge(config.http(), metrics, new BearerAuth(activeTokens), policy, audit);
        return new Parts(agents, credentials, hasher, audit, revocations, policy, edge, handlers);
    }

    private RateLimiter rateLimiter() {
        AppConfig.RateLimitConfig limits = config.rateLimit();
        RateLimiter local =
                new LocalRateLimiter(limits.windowMs(), LocalRateLimiter.DEFAULT_MAX_KEYS, System::currentTimeMillis);
        if (!limits.redisEnabled()) {
            return local;
        }
        return new ResilientRateLimiter(
                new RedisRateLimiter(redis, config.redisKeyPrefix(), limits.windowMs()),
                local,
                metrics,
                System::currentTimeMillis);
    }

    /**
     * The built-in administrator exists exactly while {@code BOOTSTRAP_ADMIN_SECRET} is set (F-19): without it — or
     * for a client id no longer configured — the built-in client is retired (suspended, credentials revoked, tokens
     * cut off); set again, it comes back with the new secret. Returns the retirement still to do when PostgreSQL was
     * down.
     */
    private Future<Optional<Supplier<Future<Void>>>> bootstrap(Parts parts) {
        Optional<AppConfig.BootstrapAdmin> admin = config.bootstrapAdmin();
        Optional<String> keep = admin.map(AppConfig.BootstrapAdmin::clientId);
        Supplier<Future<Void>> retire = () -> retireBuiltIns(parts.agents(), keep);
        if (admin.isPresent()) {
            return retire.get()
                    .compose(ignored -> parts.agents()
                            .ensureBuiltIn(
                                    admin.get().clientId(), "AgentIdP bootstrap administrator", List.of(Scopes.ADMIN)))
                    .compose(agent -> parts.credentials()
                            .ensureSecret(
                                    agent.agentId(),
                                    parts.hasher().hash(admin.get().secret().value()),
                                    BOOTSTRAP_LABEL))
                    .onSuccess(done -> LOG.info(
                            "bootstrap administrator client {} is ready",
                            admin.get().clientId()))
                    .map(Optional.empty());
        }
        // With nothing to create the service may start while PostgreSQL is down (not ready). Retirement is then
        // retried until it succeeds: no client can authenticate before PostgreSQL is back anyway, the cache being
        // empty.
        return retire.get().map(Optional.<Supplier<Future<Void>>>empty()).recover(failure -> {
            LOG.warn("cannot retire built-in clients yet ({}); retrying every second", failure.toString());
            return Future.succeededFuture(Optional.of(retire));
        });
    }

    private static Future<Void> retireBuiltIns(AgentStore agents, Optional<String> keep) {
        return agents.retireBuiltIns(keep, Audit.Context.SYSTEM)
                .onSuccess(clients -> clients.forEach(client -> LOG.warn(
                        "built-in client {} retired: BOOTSTRAP_ADMIN_SECRET is not set for it; its credentials are"
                                + " revoked and its tokens no longer work",
                        client.clientId())))
                .mapEmpty();
    }

    /** One HTTP verticle per core; they share the listening socket. */
    private Future<String> deployHttp() {
        try {
            port = config.port() == 0 ? freePort() : config.port();
        } catch (IOException e) {
            return Future.failedFuture(e);
        }
        int instances = Math.max(1, Runtime.getRuntime().availableProcessors());
        return vertx.deployVerticle(
                () -> new Routes.HttpVerticle(
                        parts.edge(), parts.handlers(), config.bindAddress(), port, DRAIN_TIMEOUT_MS),
                new DeploymentOptions().setInstances(instances));
    }

    /** The clients this verticle's context does not close by itself. */
    private Future<Void> closeClients() {
        return Future.join(
                        notifications == null ? Future.succeededFuture() : notifications.close(),
                        issuerKeys == null ? Future.succeededFuture() : issuerKeys.close(),
                        redis == null ? Future.succeededFuture() : redis.close())
                .mapEmpty();
    }

    /** Port 0 asks for any free port; resolved once so every verticle instance binds the same one. */
    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
