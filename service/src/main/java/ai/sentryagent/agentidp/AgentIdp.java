package ai.sentryagent.agentidp;

import ai.sentryagent.agentidp.agent.AgentStore;
import ai.sentryagent.agentidp.agent.NotifyingAgentStore;
import ai.sentryagent.agentidp.agent.PgAgentStore;
import ai.sentryagent.agentidp.audit.Audit;
import ai.sentryagent.agentidp.audit.AuditChain;
import ai.sentryagent.agentidp.audit.HeadSigner;
import ai.sentryagent.agentidp.audit.PgAudit;
import ai.sentryagent.agentidp.config.AppConfig;
import ai.sentryagent.agentidp.credential.ClientDirectory;
import ai.sentryagent.agentidp.credential.CredentialStore;
import ai.sentryagent.agentidp.credential.PgCredentialStore;
import ai.sentryagent.agentidp.crypto.CredentialHasher;
import ai.sentryagent.agentidp.crypto.JwsSigner;
import ai.sentryagent.agentidp.http.HttpVerticle;
import ai.sentryagent.agentidp.http.Routes;
import ai.sentryagent.agentidp.observability.Metrics;
import ai.sentryagent.agentidp.policy.PolicyEngine;
import ai.sentryagent.agentidp.ratelimit.LocalRateLimiter;
import ai.sentryagent.agentidp.ratelimit.RateLimiter;
import ai.sentryagent.agentidp.ratelimit.RedisRateLimiter;
import ai.sentryagent.agentidp.ratelimit.ResilientRateLimiter;
import ai.sentryagent.agentidp.store.Migrations;
import ai.sentryagent.agentidp.store.Postgres;
import ai.sentryagent.agentidp.store.RedisClients;
import ai.sentryagent.agentidp.token.ClientAuthenticator;
import ai.sentryagent.agentidp.token.PgRedisRevocationStore;
import ai.sentryagent.agentidp.token.RevocationStore;
import ai.sentryagent.agentidp.token.Scopes;
import ai.sentryagent.agentidp.token.TokenCodec;
import ai.sentryagent.agentidp.token.TokenIssuer;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import io.vertx.redis.client.Redis;
import io.vertx.sqlclient.Pool;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running AgentIdP: its clients, stores and HTTP verticles on a given {@link Vertx}. Startup migrates the
 * database (unless told not to), makes sure the bootstrap administrator exists, then listens. {@link #close()}
 * drains HTTP first, then closes the clients.
 */
public final class AgentIdp {
    private static final Logger LOG = LoggerFactory.getLogger(AgentIdp.class);
    static final long DRAIN_TIMEOUT_MS = 10_000;
    static final String BOOTSTRAP_LABEL = "bootstrap";
    static final long BOOTSTRAP_RETRY_MS = 1_000;
    static final long AUDIT_BATCH_PERIOD_MS = 1_000;
    static final long AUDIT_VERIFY_PERIOD_MS = 300_000;
    static final long AUDIT_RETENTION_PERIOD_MS = 6 * 3_600_000;

    private final Vertx vertx;
    private final Pool pool;
    private final Redis redis;
    private final ClientDirectory clients;
    private final int port;
    private final PgAudit audit;
    private final PolicyEngine policy;
    private final Metrics metrics;
    private final List<Long> timers;

    private AgentIdp(
            Vertx vertx,
            Pool pool,
            Redis redis,
            ClientDirectory clients,
            int port,
            PgAudit audit,
            PolicyEngine policy,
            Metrics metrics,
            List<Long> timers) {
        this.vertx = vertx;
        this.pool = pool;
        this.redis = redis;
        this.clients = clients;
        this.port = port;
        this.audit = audit;
        this.policy = policy;
        this.metrics = metrics;
        this.timers = timers;
    }

    public Metrics metrics() {
        return metrics;
    }

    /** Starts the service; the future fails with the cause when any part cannot start. */
    public static Future<AgentIdp> start(Vertx vertx, AppConfig config) {
        Clock clock = Clock.systemUTC();
        Pool pool = Postgres.pool(vertx, config);
        Redis redis = RedisClients.create(vertx, config.redis(), config.redisTlsCaCert());
        Metrics metrics = new Metrics();
        JwsSigner signer = JwsSigner.create(config.tokens().keys());
        PgAudit audit = new PgAudit(
                vertx,
                pool,
                metrics,
                new AuditChain(config.auditChainKey().value().getBytes(StandardCharsets.UTF_8)),
                new HeadSigner(
                        signer,
                        config.tokens().keys().current().kid(),
                        config.tokens().issuer(),
                        clock),
                config.auditWrites());
        // The token endpoint's client lookups come from memory while PostgreSQL notifies every change.
        ClientDirectory clients = ClientDirectory.start(
                vertx,
                pool,
                Postgres.connectOptions(config.database()),
                clock,
                config.tokens().clientCacheMaxAge(),
                10_000);
        AgentStore agents = new NotifyingAgentStore(new PgAgentStore(pool, audit), clients::changedAll);
        CredentialStore credentials = new PgCredentialStore(pool, audit, clients);
        CredentialHasher hasher =
                new CredentialHasher(config.credentialHashKey().value().getBytes(StandardCharsets.UTF_8));
        TokenCodec codec = new TokenCodec(
                config.tokens().keys(),
                signer,
                config.tokens().issuer(),
                config.tokens().audience(),
                config.tokens().ttl(),
                clock);
        RevocationStore revocations = new PgRedisRevocationStore(pool, audit, redis, config.redisKeyPrefix(), clock);
        metrics.bindPool(pool::size, config.pool().max());
        metrics.signer(signer.algorithm().name(), signer.providerName());
        RateLimiter local = new LocalRateLimiter(
                config.rateLimit().windowMs(), LocalRateLimiter.DEFAULT_MAX_KEYS, System::currentTimeMillis);
        RateLimiter limiter = config.rateLimit().redisEnabled()
                ? new ResilientRateLimiter(
                        new RedisRateLimiter(
                                redis,
                                config.redisKeyPrefix(),
                                config.rateLimit().windowMs()),
                        local,
                        metrics,
                        System::currentTimeMillis)
                : local;
        config.notices().forEach(notice -> LOG.warn("configuration: {}", notice));
        LOG.info(
                "signing {} tokens with the {} provider, kid {}",
                signer.algorithm(),
                signer.providerName(),
                config.tokens().keys().current().kid());
        PolicyEngine policy;
        try {
            policy = new PolicyEngine(
                    Path.of(config.policyDir()),
                    Routes.MANAGEMENT_ENDPOINTS,
                    config.scopes(),
                    config.opaUrl(),
                    WebClient.create(vertx),
                    metrics);
        } catch (RuntimeException e) {
            return closeClients(pool, redis, clients).transform(ignored -> Future.failedFuture(e));
        }
        Routes.Dependencies deps = new Routes.Dependencies(
                config,
                pool,
                redis,
                metrics,
                codec,
                new ClientAuthenticator(clients, hasher, limiter, config.rateLimit()),
                new TokenIssuer(codec),
                revocations,
                agents,
                credentials,
                clients,
                hasher,
                audit,
                policy,
                clock);
        int instances = Math.max(1, Runtime.getRuntime().availableProcessors());
        int port;
        try {
            port = config.port() == 0 ? freePort() : config.port();
        } catch (IOException e) {
            return Future.failedFuture(e);
        }
        return migrate(vertx, config)
                .compose(ignored -> bootstrap(vertx, config, agents, credentials, hasher))
                // One verticle per core; they share the listening socket.
                .compose(bootstrapTimers -> vertx.deployVerticle(
                                () -> new HttpVerticle(deps, port, DRAIN_TIMEOUT_MS),
                                new DeploymentOptions().setInstances(instances))
                        .map(bootstrapTimers))
                .map(bootstrapTimers -> new AgentIdp(
                        vertx,
                        pool,
                        redis,
                        clients,
                        port,
                        audit,
                        policy,
                        metrics,
                        Stream.concat(maintenance(vertx, audit, metrics, config).stream(), bootstrapTimers.stream())
                                .toList()))
                .recover(failure ->
                        closeClients(pool, redis, clients).transform(ignored -> Future.failedFuture(failure)));
    }

    private static Future<Void> closeClients(Pool pool, Redis redis, ClientDirectory clients) {
        return Future.join(clients.close(), pool.close(), redis.close()).mapEmpty();
    }

    private static Future<Void> migrate(Vertx vertx, AppConfig config) {
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

    /**
     * The built-in administrator exists exactly while {@code BOOTSTRAP_ADMIN_SECRET} is set (F-19): without it — or
     * for a client id no longer configured — the built-in client is retired (suspended, credentials revoked, tokens
     * cut off); set again, it comes back with the new secret. Returns the timers it leaves running.
     */
    private static Future<List<Long>> bootstrap(
            Vertx vertx, AppConfig config, AgentStore agents, CredentialStore credentials, CredentialHasher hasher) {
        Optional<AppConfig.BootstrapAdmin> admin = config.bootstrapAdmin();
        Optional<String> keep = admin.map(AppConfig.BootstrapAdmin::clientId);
        if (admin.isPresent()) {
            return retireBuiltIns(agents, keep)
                    .compose(ignored -> agents.ensureBuiltIn(
                            admin.get().clientId(), "AgentIdP bootstrap administrator", List.of(Scopes.ADMIN)))
                    .compose(agent -> credentials.ensureSecret(
                            agent.agentId(), hasher.hash(admin.get().secret().value()), BOOTSTRAP_LABEL))
                    .onSuccess(done -> LOG.info(
                            "bootstrap administrator client {} is ready",
                            admin.get().clientId()))
                    .map(List.of());
        }
        // With nothing to create the service may start while PostgreSQL is down (not ready). Retirement is then
        // retried until it succeeds: no client can authenticate before PostgreSQL is back anyway, the cache being
        // empty.
        return retireBuiltIns(agents, keep).map(List.<Long>of()).recover(failure -> {
            LOG.warn("cannot retire built-in clients yet ({}); retrying every second", failure.toString());
            AtomicBoolean trying = new AtomicBoolean();
            long retry = vertx.setPeriodic(BOOTSTRAP_RETRY_MS, id -> {
                if (trying.compareAndSet(false, true)) {
                    retireBuiltIns(agents, keep)
                            .onSuccess(done -> vertx.cancelTimer(id))
                            .onComplete(done -> trying.set(false));
                }
            });
            return Future.succeededFuture(List.of(retry));
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

    /** The port the HTTP server listens on. */
    public int port() {
        return port;
    }

    public Vertx vertx() {
        return vertx;
    }

    /** Stops accepting requests, lets in-flight ones finish, then closes the clients. */
    public Future<Void> close() {
        timers.forEach(vertx::cancelTimer);
        Future<Void> undeployed = Future.join(
                        vertx.deploymentIDs().stream().map(vertx::undeploy).toList())
                .mapEmpty();
        // Queued audit events (token issuance, failed logins) are written before the pool closes.
        return undeployed
                .transform(ignored -> audit.flush())
                .transform(flushed -> {
                    if (flushed.failed()) {
                        LOG.error(
                                "audit events could not be written at shutdown: {}",
                                flushed.cause().toString());
                    }
                    return closeClients(pool, redis, clients);
                })
                .mapEmpty();
    }

    /** Archives and prunes audit events older than the retention now (the periodic job does this too). */
    public Future<Long> pruneAudit(java.time.Duration retention) {
        return audit.prune(retention);
    }

    /** Re-reads the authorization policy (SIGHUP). */
    public boolean reloadPolicy() {
        return policy.reload();
    }

    /**
     * Audit batching, the full chain verification for the integrity gauge, and retention. Each check logs the signed
     * head, so the log stream keeps a copy of the chain's state that a database writer cannot reach (F-12).
     */
    private static List<Long> maintenance(Vertx vertx, PgAudit audit, Metrics metrics, AppConfig config) {
        long batching = audit.startBatching(vertx, AUDIT_BATCH_PERIOD_MS);
        java.util.function.Consumer<Boolean> check = full -> (full ? audit.verifyAll() : audit.verify())
                .compose(verified -> audit.head())
                .onSuccess(head -> LOG.info("audit chain head {}", head.toJson().encode()))
                .onFailure(e -> {
                    if (e instanceof Audit.ChainBroken broken) {
                        LOG.error(
                                "audit chain broken: {}",
                                broken.verification().toJson().encode());
                    } else {
                        LOG.warn("audit chain check failed: {}", e.toString());
                    }
                });
        // Soon after start a check from where this process stands (the whole chain, the first time); then every
        // five minutes the whole chain again, which is what finds an edit to an event verified earlier.
        vertx.setTimer(5_000, id -> check.accept(false));
        long integrity = vertx.setPeriodic(AUDIT_VERIFY_PERIOD_MS, id -> check.accept(true));
        long retention = vertx.setPeriodic(
                AUDIT_RETENTION_PERIOD_MS,
                id -> audit.prune(java.time.Duration.ofDays(config.auditRetentionDays()))
                        .onSuccess(pruned -> {
                            if (pruned > 0) {
                                LOG.info("audit retention archived and pruned {} events", pruned);
                            }
                        })
                        .onFailure(e -> LOG.warn("audit retention failed: {}", e.toString())));
        return List.of(batching, integrity, retention);
    }

    /** Port 0 asks for any free port; resolved once so every verticle instance binds the same one. */
    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
