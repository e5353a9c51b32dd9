package ai.sentryagent.agentidp;

import ai.sentryagent.agentidp.audit.Audit;
import ai.sentryagent.agentidp.audit.PgAudit;
import ai.sentryagent.agentidp.token.RevocationStore;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every periodic job of the service, on one context: audit batching, the audit chain checks that feed the integrity
 * gauge, audit retention, deleting expired revocations, and (while PostgreSQL was down at startup) retiring built-in clients. The timers belong to
 * this verticle, so undeploying it stops them all.
 */
public final class MaintenanceVerticle extends VerticleBase {
    private static final Logger LOG = LoggerFactory.getLogger(MaintenanceVerticle.class);
    static final long AUDIT_BATCH_PERIOD_MS = 1_000;
    static final long AUDIT_FIRST_CHECK_MS = 5_000;
    static final long AUDIT_VERIFY_PERIOD_MS = 300_000;
    static final long AUDIT_RETENTION_PERIOD_MS = 6 * 3_600_000;
    static final long RETIREMENT_RETRY_MS = 1_000;
    static final long REVOCATION_PRUNE_PERIOD_MS = 3_600_000;
    /**
     * How long a revocation is kept past its token's {@code exp}: checks refuse an expired token before they look at
     * revocations, so this only covers clocks that disagree between tasks.
     */
    static final Duration REVOCATION_GRACE = Duration.ofHours(1);

    private final PgAudit audit;
    private final RevocationStore revocations;
    private final Duration retention;
    private final Optional<Supplier<Future<Void>>> pendingRetirement;

    /**
     * @param pendingRetirement the built-in clients' retirement that could not run at startup, retried every second
     *     until it succeeds
     */
    public MaintenanceVerticle(
            PgAudit audit,
            RevocationStore revocations,
            Duration retention,
            Optional<Supplier<Future<Void>>> pendingRetirement) {
        this.audit = audit;
        this.revocations = revocations;
        this.retention = retention;
        this.pendingRetirement = pendingRetirement;
    }

    @Override
    public Future<?> start() {
        audit.startBatching(vertx, AUDIT_BATCH_PERIOD_MS);
        // Soon after start a check from where this process stands (the whole chain, the first time); then every
        // five minutes the whole chain again, which is what finds an edit to an event verified earlier.
        vertx.setTimer(AUDIT_FIRST_CHECK_MS, id -> checkChain(false));
        vertx.setPeriodic(AUDIT_VERIFY_PERIOD_MS, id -> checkChain(true));
        vertx.setPeriodic(
                AUDIT_RETENTION_PERIOD_MS,
                id -> pruneAudit(retention)
                        .onSuccess(pruned -> {
                            if (pruned > 0) {
                                LOG.info("audit retention archived and pruned {} events", pruned);
                            }
                        })
                        .onFailure(e -> LOG.warn("audit retention failed: {}", e.toString())));
        vertx.setPeriodic(
                REVOCATION_PRUNE_PERIOD_MS,
                id -> pruneRevocations()
                        .onSuccess(pruned -> {
                            if (pruned > 0) {
                                LOG.info("deleted {} revocations of tokens that have expired", pruned);
                            }
                        })
                        .onFailure(e -> LOG.warn("deleting expired revocations failed: {}", e.toString())));
        pendingRetirement.ifPresent(this::retryUntilDone);
        return Future.succeededFuture();
    }

    /** Deletes the revocations of tokens expired over {@link #REVOCATION_GRACE} ago (the hourly job calls this too). */
    public Future<Long> pruneRevocations() {
        return revocations.pruneExpired(REVOCATION_GRACE);
    }

    /** Archives and prunes audit events older than {@code retention} now (the periodic job calls this too). */
    public Future<Long> pruneAudit(Duration retention) {
        return audit.prune(retention);
    }

    /** Each check logs the signed head, so the log stream keeps a copy of the chain's state out of a database writer's reach (F-12). */
    private void checkChain(boolean full) {
        (full ? audit.verifyAll() : audit.verify())
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
    }

    private void retryUntilDone(Supplier<Future<Void>> job) {
        AtomicBoolean trying = new AtomicBoolean();
        vertx.setPeriodic(RETIREMENT_RETRY_MS, id -> {
            if (trying.compareAndSet(false, true)) {
                job.get().onSuccess(done -> vertx.cancelTimer(id)).onComplete(done -> trying.set(false));
            }
        });
    }
}
