package ai.sentryagent.agentidp.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.sentryagent.agentidp.config.AuditWrites;
import ai.sentryagent.agentidp.config.DatabaseUrl;
import ai.sentryagent.agentidp.observability.Metrics;
import ai.sentryagent.agentidp.store.Migrations;
import ai.sentryagent.agentidp.store.Postgres;
import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.TestServers;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Audit#record} in {@code sync} mode is the promise behind "no token without its audit record" (issue 18):
 * when its future succeeds, the event is committed — visible to any other session of the database — and when the
 * database cannot take it, the future fails within the configured timeout instead of hanging the request.
 */
@IntegrationTest
class PgAuditGroupCommitTest {
    private static final AuditWrites SYNC = new AuditWrites(AuditWrites.Durability.SYNC, Duration.ofSeconds(5));

    private Vertx vertx;
    private Pool pool;
    private Pool observer;

    @BeforeEach
    void start() throws Exception {
        DatabaseUrl url = DatabaseUrl.parse(TestServers.get().createDatabase("auditgroup"));
        Migrations.apply(url);
        vertx = Vertx.vertx();
        pool = PgBuilder.pool()
                .with(new PoolOptions().setMaxSize(4))
                .connectingTo(Postgres.connectOptions(url))
                .using(vertx)
                .build();
        // A second pool: its sessions see only what the audit trail's sessions have committed (READ COMMITTED).
        observer = PgBuilder.pool()
                .with(new PoolOptions().setMaxSize(4))
                .connectingTo(Postgres.connectOptions(url))
                .using(vertx)
                .build();
    }

    @AfterEach
    void stop() throws Exception {
        get(observer.close());
        get(pool.close());
        get(vertx.close());
    }

    private static AuditEvent token(int n) {
        return AuditEvent.of(
                "token.issued", AuditEvent.SUCCESS, null, Audit.Context.SYSTEM, new JsonObject().put("jti", "t" + n));
    }

    @Test
    void everyEventIsCommittedWhenItsFutureCompletesAndTheGroupsFormOneChain() throws Exception {
        PgAudit audit = Audits.create(vertx, pool, new Metrics(), SYNC);
        int threads = 8;
        int perThread = 150;
        List<String> notVisible = new CopyOnWriteArrayList<>();
        List<Future<Void>> checked = new ArrayList<>();
        // Eight event loops recording at once, as eight HTTP verticles do under load.
        for (int t = 0; t < threads; t++) {
            int thread = t;
            Promise<Void> done = Promise.promise();
            checked.add(done.future());
            vertx.getOrCreateContext().runOnContext(v -> {
                List<Future<Void>> mine = new ArrayList<>();
                for (int i = 0; i < perThread; i++) {
                    AuditEvent event = token(thread * perThread + i);
                    mine.add(audit.record(event)
                            .compose(recorded -> observer.preparedQuery(
                                            "SELECT count(*) FROM audit_events WHERE event_id = $1")
                                    .execute(Tuple.of(event.eventId())))
                            .map(rows -> {
                                if (rows.iterator().next().getLong(0) != 1) {
                                    notVisible.add(event.eventId().toString());
                                }
                                return null;
                            }));
                }
                Future.all(mine).<Void>mapEmpty().onComplete(done);
            });
        }
        get(Future.all(checked));
        assertThat(notVisible)
                .as("events whose future succeeded before they were committed")
                .isEmpty();
        Audit.Verification verification = get(audit.verify());
        assertThat(verification.valid()).isTrue();
        assertThat(verification.checked()).isEqualTo((long) threads * perThread);
    }

    /**
     * Two tasks on one database (two processes in production: two pools, two committers) append at once. The chain
     * must stay one: each group reads the head only after it holds the lock, so no two events share a predecessor.
     */
    @Test
    void twoTasksAppendingAtOnceBuildOneChain() throws Exception {
        PgAudit first = Audits.create(vertx, pool, new Metrics(), SYNC);
        PgAudit second = Audits.create(vertx, observer, new Metrics(), SYNC);
        List<Future<Void>> records = new ArrayList<>();
        Promise<Void> submitted = Promise.promise();
        vertx.runOnContext(v -> {
            for (int i = 0; i < 400; i++) {
                records.add((i % 2 == 0 ? first : second).record(token(i)));
            }
            submitted.complete();
        });
        get(submitted.future());
        get(Future.all(records));
        Audit.Verification verification = get(first.verifyAll());
        assertThat(verification.valid()).as(verification.toJson().encode()).isTrue();
        assertThat(verification.checked()).isEqualTo(400);
    }

    /**
     * The contract itself: no answer before the commit. Another session holds the chain lock (another task's append
     * in progress), so the group can neither insert nor commit; the record must stay pending until that session
     * lets go, then complete — on the caller's own event loop — with its event visible to every other session.
     */
    @Test
    void noAnswerBeforeTheEventCommitsEvenWhenTheChainIsBusy() throws Exception {
        PgAudit audit = Audits.create(vertx, pool, new Metrics(), SYNC);
        get(audit.record(
                token(0))); // the trail now knows the chain's head: the next group takes the one-round-trip way
        SqlConnection holder = get(observer.getConnection());
        get(holder.query("BEGIN").execute());
        get(holder.preparedQuery("SELECT pg_advisory_xact_lock($1)").execute(Tuple.of(PgAudit.CHAIN_LOCK)));
        AuditEvent event = token(1);
        io.vertx.core.Context caller = vertx.getOrCreateContext();
        Promise<Future<Void>> recorded = Promise.promise();
        List<io.vertx.core.Context> answeredOn = new CopyOnWriteArrayList<>();
        caller.runOnContext(
                v -> recorded.complete(audit.record(event).onComplete(done -> answeredOn.add(Vertx.currentContext()))));
        Future<Void> record = get(recorded.future());
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> !record.isComplete());
        assertThat(get(observer.preparedQuery("SELECT count(*) FROM audit_events WHERE event_id = $1")
                                .execute(Tuple.of(event.eventId())))
                        .iterator()
                        .next()
                        .getLong(0))
                .isZero();
        get(holder.query("COMMIT").execute());
        get(record);
        get(holder.close());
        assertThat(get(observer.preparedQuery("SELECT count(*) FROM audit_events WHERE event_id = $1")
                                .execute(Tuple.of(event.eventId())))
                        .iterator()
                        .next()
                        .getLong(0))
                .isEqualTo(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> !answeredOn.isEmpty());
        assertThat(answeredOn).containsExactly(caller);
    }

    /**
     * The one-round-trip way links a group on the head this task committed last. When another task appended since,
     * that head is stale: linking on it would fork the chain (two events with one predecessor). The insert must notice
     * under the lock and the group go the long way, so the chain stays one.
     */
    @Test
    void aGroupIsNeverChainedOnAHeadAnotherTaskMoved() throws Exception {
        PgAudit first = Audits.create(vertx, pool, new Metrics(), SYNC);
        PgAudit second = Audits.create(vertx, observer, new Metrics(), SYNC);
        AuditEvent a = token(1);
        AuditEvent b = token(2);
        AuditEvent c = token(3);
        get(first.record(a));
        get(second.record(b));
        get(first.record(c)); // first's last commit was a, the head is b
        Audit.Verification verification = get(first.verifyAll());
        assertThat(verification.valid()).as(verification.toJson().encode()).isTrue();
        assertThat(verification.checked()).isEqualTo(3);
        Row row = get(observer.preparedQuery("SELECT (SELECT prev_hash FROM audit_events WHERE event_id = $1),"
                                + " (SELECT hash FROM audit_events WHERE event_id = $2)")
                        .execute(Tuple.of(c.eventId(), b.eventId())))
                .iterator()
                .next();
        assertThat(row.getBuffer(0)).isEqualTo(row.getBuffer(1));
    }

    @Test
    void aDatabaseThatNeverAnswersFailsTheRecordWithinTheTimeout() throws Exception {
        // A TCP peer that accepts and then says nothing: the failure mode of a stalled or partitioned database.
        try (ServerSocket silent = new ServerSocket(0)) {
            List<Socket> held = new CopyOnWriteArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (!silent.isClosed()) {
                        held.add(silent.accept());
                    }
                } catch (java.io.IOException closed) {
                    // the test is over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            Pool stalled = PgBuilder.pool()
                    .connectingTo(new PgConnectOptions()
                            .setHost("127.0.0.1")
                            .setPort(silent.getLocalPort())
                            .setDatabase("none")
                            .setUser("none"))
                    .using(vertx)
                    .build();
            Metrics metrics = new Metrics();
            AuditWrites writes = new AuditWrites(AuditWrites.Durability.SYNC, Duration.ofMillis(300));
            PgAudit audit = Audits.create(vertx, stalled, metrics, writes);
            long started = System.nanoTime();
            Throwable failure = failureOf(audit.record(token(1)));
            long elapsedMs = (System.nanoTime() - started) / 1_000_000;
            assertThat(failure).isInstanceOf(Audit.Unrecorded.class);
            assertThat(elapsedMs).as("ms until the request could be answered").isBetween(250L, 2_000L);
            assertThat(metrics.scrape()).contains("agentidp_audit_write_failures_total 1.0");
            for (Socket socket : held) {
                socket.close();
            }
            stalled.close();
        }
    }

    @Test
    void aRefusedConnectionFailsTheRecordAtOnce() throws Exception {
        Pool down = PgBuilder.pool()
                .connectingTo(new PgConnectOptions()
                        .setHost("127.0.0.1")
                        .setPort(1)
                        .setDatabase("none")
                        .setUser("none"))
                .using(vertx)
                .build();
        Metrics metrics = new Metrics();
        PgAudit audit = Audits.create(vertx, down, metrics, SYNC);
        long started = System.nanoTime();
        List<Future<Void>> records = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            records.add(audit.record(token(i)));
        }
        for (Future<Void> record : records) {
            assertThat(failureOf(record)).isInstanceOf(Audit.Unrecorded.class);
        }
        // Well before the 5 s timeout: nothing waits for a database that said no.
        assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(3_000L);
        assertThat(metrics.scrape()).contains("agentidp_audit_write_failures_total 20.0");
        down.close();
    }

    @Test
    void oneUnstorableEventFailsOnlyItsOwnRequestAndTheRestOfItsGroupCommits() throws Exception {
        Metrics metrics = new Metrics();
        PgAudit audit = Audits.create(vertx, pool, metrics, SYNC);
        // A NUL in text is refused by PostgreSQL (SQLSTATE 22P05 / 22021): a value AuditEvent.of would have escaped.
        AuditEvent nul = new AuditEvent(
                UUID.randomUUID(),
                Instant.now().truncatedTo(ChronoUnit.MICROS),
                "token.issued",
                AuditEvent.SUCCESS,
                null,
                "\u0000attacker",
                null,
                null,
                new JsonObject());
        List<Future<Void>> good = new ArrayList<>();
        Future<Void>[] bad = new Future[1];
        Promise<Void> submitted = Promise.promise();
        vertx.runOnContext(v -> {
            for (int i = 0; i < 30; i++) {
                good.add(audit.record(token(i)));
                if (i == 15) {
                    bad[0] = audit.record(nul);
                }
            }
            submitted.complete();
        });
        get(submitted.future());
        get(Future.all(good));
        assertThat(failureOf(bad[0])).isInstanceOf(Audit.Unrecorded.class);
        assertThat(metrics.scrape()).contains("agentidp_audit_quarantined_total 1.0");
        Audit.Verification verification = get(audit.verify());
        assertThat(verification.valid()).isTrue();
        // 30 tokens and the placeholder that stands for the refused event.
        assertThat(verification.checked()).isEqualTo(31);
    }

    @Test
    void asyncModeAnswersAtOnceAndLeavesTheEventToTheBatch() throws Exception {
        Pool down = PgBuilder.pool()
                .connectingTo(new PgConnectOptions()
                        .setHost("127.0.0.1")
                        .setPort(1)
                        .setDatabase("none")
                        .setUser("none"))
                .using(vertx)
                .build();
        PgAudit audit = Audits.create(
                vertx, down, new Metrics(), new AuditWrites(AuditWrites.Durability.ASYNC, Duration.ofSeconds(5)));
        Future<Void> record = audit.record(token(1));
        // The operator's choice of availability: the answer goes out even though nothing could be written.
        assertThat(record.succeeded()).isTrue();
        assertThat(audit.oldestPendingSeconds()).isGreaterThanOrEqualTo(0.0);
        assertThat(failureOf(audit.flush())).isNotNull();
        down.close();
    }

    private static <T> T get(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    private static Throwable failureOf(Future<?> future) throws Exception {
        return future.transform(done -> Future.succeededFuture(done.cause()))
                .toCompletionStage()
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
    }
}
