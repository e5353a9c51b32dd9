package ai.sentryagent.agentidp.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.sentryagent.agentidp.config.DatabaseUrl;
import ai.sentryagent.agentidp.observability.Metrics;
import ai.sentryagent.agentidp.store.Migrations;
import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.TestServers;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The batch writer under the load the token endpoint puts on it: many events, flushes asked for from several
 * threads at once. Every event is written once, in one chain, and this process never has more than one
 * connection on the chain lock (more would starve the token path's pool).
 */
@IntegrationTest
class PgAuditBatchTest {
    @Test
    void concurrentFlushesWriteEveryEventOnceThroughOneWriter() throws Exception {
        DatabaseUrl url = DatabaseUrl.parse(TestServers.get().createDatabase("auditbatch"));
        Migrations.apply(url);
        Vertx vertx = Vertx.vertx();
        Pool pool = PgBuilder.pool()
                .with(new PoolOptions().setMaxSize(8))
                .connectingTo(ai.sentryagent.agentidp.store.Postgres.connectOptions(url))
                .using(vertx)
                .build();
        try {
            PgAudit audit = Audits.create(vertx, pool, new Metrics());
            int events = 2_300; // several batches
            for (int i = 0; i < events; i++) {
                audit.enqueue(AuditEvent.of(
                        "token.issued", AuditEvent.SUCCESS, null, Audit.Context.SYSTEM, new JsonObject().put("n", i)));
            }
            List<Future<Void>> flushes = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                flushes.add(vertx.executeBlocking(() -> audit.flush()
                                .toCompletionStage()
                                .toCompletableFuture()
                                .get(60, TimeUnit.SECONDS))
                        .mapEmpty());
            }
            Future<?> all = Future.all(flushes);
            int maxOnLock = 0;
            while (!all.isComplete()) {
                maxOnLock = Math.max(maxOnLock, onChainLock(pool));
            }
            assertThat(all.cause()).isNull();
            assertThat(all.succeeded()).isTrue();
            assertThat(maxOnLock).isLessThanOrEqualTo(1);
            Audit.Verification verification =
                    audit.verify().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
            assertThat(verification.valid()).isTrue();
            assertThat(verification.checked()).isEqualTo(events);
        } finally {
            pool.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theTimerKeepsWritingBatchAfterBatch() throws Exception {
        DatabaseUrl url = DatabaseUrl.parse(TestServers.get().createDatabase("audittimer"));
        Migrations.apply(url);
        Vertx vertx = Vertx.vertx();
        Pool pool = PgBuilder.pool()
                .with(new PoolOptions().setMaxSize(4))
                .connectingTo(ai.sentryagent.agentidp.store.Postgres.connectOptions(url))
                .using(vertx)
                .build();
        try {
            PgAudit audit = Audits.create(vertx, pool, new Metrics());
            long timer = audit.startBatching(vertx, 50);
            for (int wave = 1; wave <= 3; wave++) {
                for (int i = 0; i < 100; i++) {
                    audit.enqueue(AuditEvent.of(
                            "token.issued", AuditEvent.SUCCESS, null, Audit.Context.SYSTEM, new JsonObject()));
                }
                long expected = wave * 100L;
                // Without any explicit flush: the 50 ms timer alone writes each wave, well within 5 s.
                await().atMost(Duration.ofSeconds(5))
                        .pollInterval(Duration.ofMillis(20))
                        .untilAsserted(() -> assertThat(rows(pool))
                                .as("after wave %d, without any explicit flush", expected / 100)
                                .isEqualTo(expected));
            }
            vertx.cancelTimer(timer);
        } finally {
            pool.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private static long rows(Pool pool) throws Exception {
        return pool.query("SELECT count(*) FROM audit_events")
                .execute()
                .map(rows -> rows.iterator().next().getLong(0))
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }

    /** Sessions of this database holding or waiting for the chain's advisory lock, seen from outside the pool. */
    private static int onChainLock(Pool pool) throws Exception {
        return pool.query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = " + PgAudit.CHAIN_LOCK)
                .execute()
                .map(rows -> rows.iterator().next().getInteger(0))
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }
}
