package ai.sentryagent.agentidp.audit;

import ai.sentryagent.agentidp.config.AuditWrites;
import ai.sentryagent.agentidp.observability.Metrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.EncodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Audit} on PostgreSQL. Every append takes one transaction-scoped advisory lock, reads the chain's head and
 * inserts, so concurrent writers — on any number of tasks — build one consistent chain. Hashes are keyed
 * ({@link AuditChain}); verification is incremental and runs off the event loop, one at a time per process.
 *
 * <p>Events that accompany something delivered go through {@link #record}: in {@code sync} mode a group commit —
 * one transaction at a time per process, holding every event that arrived while the previous one committed (up to
 * {@link #GROUP_MAX}) — so the lock is taken once per group, not once per token. Nothing waits for a timer: at low
 * load an event commits alone at once, under load the groups grow by themselves.
 */
public final class PgAudit implements Audit {
    private static final Logger LOG = LoggerFactory.getLogger(PgAudit.class);
    /** The advisory lock that serialises appends ("AIDP"). */
    static final long CHAIN_LOCK = 0x41494450L;

    static final byte[] GENESIS = new byte[32];
    static final String QUARANTINED = "audit.event_quarantined";
    private static final int BATCH = 500;
    /**
     * Queued events beyond this (PostgreSQL refusing writes for a long time) are counted and logged, not kept: about
     * 30 MB of events, sized to the image's 96 MiB heap (25 s of tokens at 2000/s).
     */
    static final int MAX_QUEUED = 50_000;

    /**
     * The most events one group commit holds. Groups grow by themselves to about the requests waiting (measured: 15
     * events per transaction at 32 connections, bench/results/audit-lock-2026-12-02.txt); the bound keeps one
     * transaction's pipelined insert short when a stall has let thousands of requests queue up.
     */
    static final int GROUP_MAX = 256;
    /** A write failure is logged at most once per this interval; the counter has every one. */
    private static final long FAILURE_LOG_INTERVAL_NANOS = 10_000_000_000L;

    static final int VERIFY_PAGE = 1000;
    private static final String COLUMNS = "seq, event_id, occurred_at, action, outcome, agent_id, actor, client_ip,"
            + " request_id, details, prev_hash, hash";

    private final Vertx vertx;
    private final Pool pool;
    private final Metrics metrics;
    private final AuditChain chain;
    private final HeadSigner heads;
    private final AuditWrites writes;
    /** Events of {@link #record} waiting for the next group commit; guarded by itself. */
    private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
    /** Whether a group commit is running; guarded by {@link #waiting}. */
    private boolean committing;
    /** Completes when the group committer next has nothing to do; guarded by {@link #waiting}. */
    private Promise<Void> groupsDone;

    private final AtomicLong lastFailureLog = new AtomicLong(System.nanoTime() - FAILURE_LOG_INTERVAL_NANOS);
    private final AtomicLong failuresSinceLog = new AtomicLong();
    private final ConcurrentLinkedQueue<AuditEvent> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    /** The running batch writer, if any: one per process, so flushes never queue up on the chain lock. */
    private Future<Void> writer;
    /** The oldest event of the batch being written, while one is. */
    private volatile Instant writing;
    /** The running chain check, if any: concurrent callers share it. */
    private Future<Verification> verifying;
    /** Whether the running check re-hashes everything. */
    private boolean verifyingAll;
    /** The last check found a break: every check starts over until one verifies. */
    private volatile boolean broken;
    /** Where the last successful check of this process ended; the next one starts there. */
    private volatile Mark verified;

    /** An audit trail in the default mode ({@link AuditWrites#DEFAULT}: {@code sync}, 2 s). */
    public PgAudit(Vertx vertx, Pool pool, Metrics metrics, AuditChain chain, HeadSigner heads) {
        this(vertx, pool, metrics, chain, heads, AuditWrites.DEFAULT);
    }

    public PgAudit(Vertx vertx, Pool pool, Metrics metrics, AuditChain chain, HeadSigner heads, AuditWrites writes) {
        this.vertx = vertx;
        this.pool = pool;
        this.metrics = metrics;
        this.chain = chain;
        this.heads = heads;
        this.writes = writes;
        metrics.auditPending(this::oldestPendingSeconds);
        metrics.auditWriteFailures(0); // the alarm's series exists before the first failure
    }

    /** Flushes the queue every {@code periodMs}; returns the timer id. */
    public long startBatching(Vertx vertx, long periodMs) {
        return vertx.setPeriodic(periodMs, id -> {
            if (writing()) {
                return; // the running writer drains what has arrived meanwhile
            }
            flush().onFailure(e -> LOG.warn("audit batch not written yet ({} queued): {}", queue.size(), e.toString()));
        });
    }

    @Override
    public Future<Void> append(SqlClient tx, AuditEvent event) {
        return head(tx).compose(previous -> insert(tx, List.of(event), previous));
    }

    private static Future<byte[]> head(SqlClient tx) {
        return tx.preparedQuery("SELECT pg_advisory_xact_lock($1)")
                .execute(Tuple.of(CHAIN_LOCK))
                .compose(locked -> tx.query("SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1")
                        .execute())
                .compose(rows -> rows.size() > 0
                        ? Future.succeededFuture(
                                rows.iterator().next().getBuffer(0).getBytes())
                        : tx.query("SELECT last_hash FROM audit_checkpoints ORDER BY last_seq DESC LIMIT 1")
                                .execute()
                                .map(cp -> cp.size() > 0
                                        ? cp.iterator().next().getBuffer(0).getBytes()
                                        : GENESIS));
    }

    private static final String INSERT = "INSERT INTO audit_events (event_id, occurred_at, action, outcome, agent_id,"
            + " actor, client_ip, request_id, details, prev_hash, hash, chain) VALUES ($1, $2, $3, $4, $5, $6, $7, $8,"
            + " $9, $10, $11, $12)";

    /** Chains the events on {@code previous} and sends them as one pipelined batch: one round trip. */
    private Future<Void> insert(SqlClient tx, List<AuditEvent> events, byte[] previous) {
        return tx.preparedQuery(INSERT).executeBatch(link(events, previous)).mapEmpty();
    }

    /** The rows of the events, each hash chained on the one before, the first on {@code previous}. */
    private List<Tuple> link(List<AuditEvent> events, byte[] previous) {
        List<Tuple> rows = new ArrayList<>(events.size());
        for (AuditEvent event : events) {
            byte[] hash = chain.link(AuditChain.KEYED, previous, event);
            rows.add(Tuple.from(new Object[] {
                event.eventId(),
                OffsetDateTime.ofInstant(event.timestamp(), ZoneOffset.UTC),
                event.action(),
                event.outcome(),
                event.agentId(),
                event.actor(),
                event.clientIp(),
                event.requestId(),
                event.details(),
                Buffer.buffer(previous),
                Buffer.buffer(hash),
                AuditChain.KEYED
            }));
            previous = hash;
        }
        return rows;
    }

    /**
     * An event of {@link #record} and the request waiting for its commit. Whoever settles it first — its group's
     * commit or its timeout — decides the answer; the answer is handed over on the caller's context.
     */
    private static final class Waiter {
        final AuditEvent event;
        /** The request's context, or null outside Vert.x (tests). */
        final io.vertx.core.Context caller;

        final Promise<Void> answer = Promise.promise();
        private final AtomicBoolean settled = new AtomicBoolean();
        /** The timeout's timer, set on the caller's context; cancelled there when the group answers. */
        volatile long timer = -1;

        Waiter(AuditEvent event, io.vertx.core.Context caller) {
            this.event = event;
            this.caller = caller;
        }

        /** True for the one caller that settles this waiter. */
        boolean settle() {
            return settled.compareAndSet(false, true);
        }

        boolean settled() {
            return settled.get();
        }
    }

    /**
     * In {@code sync} mode: completes when the event has committed, on the caller's context; fails with {@link
     * Unrecorded} when the write fails, PostgreSQL refuses the event, or the commit takes longer than the write
     * timeout. In {@code async} mode: queues it and completes at once.
     */
    @Override
    public Future<Void> record(AuditEvent event) {
        return switch (writes.durability()) {
            case ASYNC -> {
                enqueue(event);
                yield Future.succeededFuture();
            }
            case SYNC -> awaitCommit(event);
        };
    }

    private Future<Void> awaitCommit(AuditEvent event) {
        Waiter waiter = new Waiter(event, Vertx.currentContext());
        boolean start;
        synchronized (waiting) {
            if (waiting.size() >= MAX_QUEUED) {
                // Bounded like the async queue: past this, PostgreSQL has been stalled for a long time.
                writeFailed(1, new IllegalStateException("too many audit events waiting for a commit"));
                return Future.failedFuture(new Unrecorded("the audit trail is not accepting writes"));
            }
            waiting.add(waiter);
            start = !committing;
            if (start) {
                committing = true;
                groupsDone = Promise.promise();
            }
        }
        // On the caller's context: it fires there, and the group's answer cancels it there, without a hop of its own.
        waiter.timer = vertx.setTimer(writes.timeout().toMillis(), id -> {
            if (waiter.settle()) {
                writeFailed(1, new java.util.concurrent.TimeoutException("audit commit timed out"));
                waiter.answer.fail(new Unrecorded("the audit event was not committed within "
                        + writes.timeout().toMillis() + " ms"));
            }
        });
        if (start) {
            commitGroups();
        }
        return waiter.answer.future();
    }

    /**
     * Commits one group, then the next, until nobody waits. A waiter whose request already timed out is left out:
     * its client was answered 503 and given nothing, so there is nothing to record.
     */
    private void commitGroups() {
        List<Waiter> group = new ArrayList<>();
        Promise<Void> done = null;
        synchronized (waiting) {
            for (Waiter next; group.size() < GROUP_MAX && (next = waiting.poll()) != null; ) {
                if (!next.settled()) {
                    group.add(next);
                }
            }
            if (group.isEmpty()) {
                committing = false;
                done = groupsDone;
                groupsDone = null;
            }
        }
        if (done != null) {
            done.complete();
            return;
        }
        write(group.stream().map(waiter -> waiter.event).toList()).onComplete(result -> {
            Map<io.vertx.core.Context, List<Runnable>> answers = new IdentityHashMap<>();
            if (result.failed()) {
                Throwable cause = result.cause() instanceof Unwritten u ? u.getCause() : result.cause();
                writeFailed(group.size(), cause);
            }
            for (Waiter waiter : group) {
                if (!waiter.settle()) {
                    continue; // timed out meanwhile: already answered 503
                }
                Throwable failure = result.failed()
                        ? new Unrecorded("the audit event could not be written")
                        : result.result().contains(waiter.event.eventId())
                                ? new Unrecorded("PostgreSQL refused the audit event; it was quarantined")
                                : null;
                Runnable answer = () -> {
                    vertx.cancelTimer(waiter.timer);
                    if (failure == null) {
                        waiter.answer.complete();
                    } else {
                        waiter.answer.fail(failure);
                    }
                };
                if (waiter.caller == null) {
                    answer.run();
                } else {
                    answers.computeIfAbsent(waiter.caller, c -> new ArrayList<>())
                            .add(answer);
                }
            }
            // One hop per event loop for the whole group, not one per request.
            answers.forEach((context, list) -> context.runOnContext(v -> list.forEach(Runnable::run)));
            commitGroups();
        });
    }

    /** Counts every failed write and logs the first of a burst; the log names the failure, never an event's content. */
    private void writeFailed(int events, Throwable cause) {
        metrics.auditWriteFailures(events);
        long failures = failuresSinceLog.addAndGet(events);
        long now = System.nanoTime();
        long last = lastFailureLog.get();
        if (now - last >= FAILURE_LOG_INTERVAL_NANOS && lastFailureLog.compareAndSet(last, now)) {
            failuresSinceLog.addAndGet(-failures);
            String reason = cause instanceof PgException pg
                    ? "SQLSTATE " + pg.getSqlState()
                    : cause.getClass().getSimpleName();
            LOG.error(
                    "audit events not committed ({} since the last report, {}): the requests waiting for them are"
                            + " answered 503; see agentidp_audit_write_failures_total",
                    failures,
                    reason);
        }
    }

    @Override
    public void enqueue(AuditEvent event) {
        if (queued.incrementAndGet() > MAX_QUEUED) {
            queued.decrementAndGet();
            long dropped = metrics.auditDropped();
            if (dropped % 1000 == 1) {
                LOG.error(
                        "audit queue full ({} events): PostgreSQL has refused writes for a long time; {} events"
                                + " dropped so far",
                        MAX_QUEUED,
                        dropped);
            }
            return;
        }
        queue.add(event);
    }

    /**
     * Writes every queued event. One writer runs at a time: a flush while one runs waits for it, then drains what is
     * left, so concurrent flushes never hold pool connections while they wait on the chain lock.
     */
    @Override
    public Future<Void> flush() {
        Future<Void> groups;
        synchronized (waiting) {
            groups = groupsDone == null ? Future.succeededFuture() : groupsDone.future();
        }
        Future<Void> queued;
        synchronized (this) {
            if (writing()) {
                queued = writer.transform(ignored -> flush());
            } else {
                writer = drain();
                queued = writer;
            }
        }
        return Future.join(groups, queued).transform(all -> queued);
    }

    private synchronized boolean writing() {
        return writer != null && !writer.isComplete();
    }

    /** Writes batches until the queue is empty; what a transient failure left unwritten goes back to the front. */
    private Future<Void> drain() {
        List<AuditEvent> batch = new ArrayList<>();
        for (AuditEvent event; batch.size() < BATCH && (event = queue.poll()) != null; ) {
            batch.add(event);
        }
        queued.addAndGet(-batch.size());
        if (batch.isEmpty()) {
            return Future.succeededFuture();
        }
        writing = batch.get(0).timestamp();
        return write(batch)
                .<Void>mapEmpty()
                .recover(failure -> {
                    List<AuditEvent> unwritten = failure instanceof Unwritten u ? u.events : batch;
                    List<AuditEvent> retry = new ArrayList<>(unwritten);
                    retry.addAll(queue);
                    queue.clear();
                    queue.addAll(retry);
                    queued.addAndGet(unwritten.size());
                    return Future.failedFuture(failure instanceof Unwritten ? failure.getCause() : failure);
                })
                .eventually(() -> {
                    writing = null;
                    return Future.succeededFuture();
                })
                .compose(done -> queue.isEmpty() ? Future.<Void>succeededFuture() : drain());
    }

    /**
     * Writes the events in one transaction. When PostgreSQL refuses the data itself (a permanent error), the batch is
     * split in halves until the refused event is alone, and that one is quarantined, so one unstorable event never
     * holds back the rest (F-02). Any other failure is transient: the events come back as {@link Unwritten}.
     * Returns the ids of the events quarantined.
     */
    private Future<Set<UUID>> write(List<AuditEvent> events) {
        return pipelined(events).map(written -> Set.<UUID>of()).recover(failure -> {
            if (!permanent(failure)) {
                return Future.failedFuture(new Unwritten(events, failure));
            }
            if (events.size() == 1) {
                return quarantine(events.get(0), failure)
                        .map(placeholder -> Set.of(events.get(0).eventId()));
            }
            List<AuditEvent> left = events.subList(0, events.size() / 2);
            List<AuditEvent> right = events.subList(events.size() / 2, events.size());
            return write(left)
                    .transform(first -> first.succeeded()
                            ? write(right).map(second -> union(first.result(), second))
                            : Future.failedFuture(((Unwritten) first.cause()).and(right)));
        });
    }

    private static Set<UUID> union(Set<UUID> a, Set<UUID> b) {
        Set<UUID> all = new HashSet<>(a);
        all.addAll(b);
        return all;
    }

    private static final String HEAD_OF_CHAIN = "coalesce((SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1),"
            + " (SELECT last_hash FROM audit_checkpoints ORDER BY last_seq DESC LIMIT 1))";
    private static final String HEAD = "SELECT " + HEAD_OF_CHAIN;

    /**
     * The events of one transaction as one statement: one Bind/Execute for the whole group instead of one per row,
     * in order (the sequence numbers follow the ordinality). The rows go in only if the chain's head is still the
     * hash they were linked on ({@code $13}); otherwise nothing is inserted and the caller reads the head again. The
     * statement runs after the lock statement has returned, so its snapshot sees every append committed before.
     */
    private static final String INSERT_LINKED = "INSERT INTO audit_events (event_id, occurred_at, action, outcome,"
            + " agent_id, actor, client_ip, request_id, details, prev_hash, hash, chain) SELECT e, o, a, r, g, c, i,"
            + " q, d::jsonb, p, h, k FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::uuid[],"
            + " $6::text[], $7::text[], $8::text[], $9::text[], $10::bytea[], $11::bytea[], $12::int2[]) WITH"
            + " ORDINALITY AS t(e, o, a, r, g, c, i, q, d, p, h, k, n) WHERE coalesce(" + HEAD_OF_CHAIN
            + ", '\\x" + "00".repeat(32) + "'::bytea) = $13 ORDER BY n";

    /**
     * The hash of the last event this process committed, while it is the chain's head as far as this process knows;
     * null when unknown. Only a hint: {@link #INSERT_LINKED} checks it under the lock, and another task's append, a
     * management transaction or a quarantine placeholder just sends the next write the long way.
     */
    private final AtomicReference<byte[]> lastCommitted = new AtomicReference<>();

    /**
     * One chain transaction. With a known head, one round trip: BEGIN, the lock, the insert (linked on the head this
     * process committed last, and guarded by it) and COMMIT go out together; when another writer moved the head, the
     * insert writes nothing and the events go the long way. The long way is two round trips instead of five, because
     * the lock's cycle is what limits a chain (bench/results/audit-lock-2026-12-02.txt): statements on one
     * connection run in order, so BEGIN, the lock and the head go out together, and the head query starts — taking
     * its READ COMMITTED snapshot — only once the lock is granted, so it sees every earlier append; then the insert
     * and COMMIT. After a failed insert PostgreSQL turns the COMMIT into a rollback, and the insert's failure is the
     * result.
     */
    private Future<Void> pipelined(List<AuditEvent> events) {
        byte[] known = lastCommitted.get();
        if (known == null) {
            return transaction(events, Optional.empty()).mapEmpty();
        }
        return transaction(events, Optional.of(known))
                .compose(inserted -> inserted ? Future.succeededFuture() : transaction(events, Optional.empty()))
                .mapEmpty();
    }

    /**
     * Links the events on {@code known} (or on the head read under the lock, when empty) and commits them; false
     * when {@code known} was not the head any more and nothing was written.
     */
    private Future<Boolean> transaction(List<AuditEvent> events, Optional<byte[]> known) {
        return pool.getConnection().compose(conn -> {
            AtomicReference<Future<?>> ended = new AtomicReference<>();
            Future<?> begin = conn.query("BEGIN").execute();
            Future<?> locked =
                    conn.preparedQuery("SELECT pg_advisory_xact_lock($1)").execute(Tuple.of(CHAIN_LOCK));
            Future<byte[]> head = known.isPresent()
                    ? Future.succeededFuture(known.get())
                    : conn.query(HEAD).execute().map(rows -> {
                        Buffer hash = rows.iterator().next().getBuffer(0);
                        return hash == null ? GENESIS : hash.getBytes();
                    });
            Future<?> ready = known.isPresent() ? Future.succeededFuture() : Future.all(begin, locked, head);
            Future<Boolean> written = ready.compose(unused -> {
                Linked linked = arrays(events, head.result());
                Future<RowSet<Row>> inserted = conn.preparedQuery(INSERT_LINKED).execute(linked.rows());
                Future<?> committed = conn.query("COMMIT").execute();
                ended.set(committed);
                return Future.join(begin, locked, inserted, committed).<Boolean>transform(done -> {
                    Future<?> failed = begin.failed()
                            ? begin
                            : locked.failed() ? locked : inserted.failed() ? inserted : committed;
                    if (failed.failed()) {
                        return Future.<Boolean>failedFuture(failed.cause());
                    }
                    if (inserted.result().rowCount() != events.size()) {
                        return Future.succeededFuture(false); // the head moved: nothing was inserted
                    }
                    lastCommitted.set(linked.last());
                    return Future.succeededFuture(true);
                });
            });
            return written.transform(result -> {
                // A COMMIT that ran ended the transaction either way; otherwise it may still be open.
                boolean over = ended.get() != null && ended.get().succeeded();
                Future<?> cleanup = result.succeeded() || over
                        ? Future.succeededFuture()
                        : conn.query("ROLLBACK").execute().otherwiseEmpty();
                return cleanup.eventually(conn::close)
                        .transform(closed -> result.succeeded()
                                ? Future.succeededFuture(result.result())
                                : Future.<Boolean>failedFuture(result.cause()));
            });
        });
    }

    /** The parameters of {@link #INSERT_LINKED}: a column array each, and the head they are linked on. */
    private Linked arrays(List<AuditEvent> events, byte[] previous) {
        int n = events.size();
        UUID[] ids = new UUID[n];
        OffsetDateTime[] times = new OffsetDateTime[n];
        String[] actions = new String[n];
        String[] outcomes = new String[n];
        UUID[] agents = new UUID[n];
        String[] actors = new String[n];
        String[] ips = new String[n];
        String[] requests = new String[n];
        String[] details = new String[n];
        Buffer[] previousHashes = new Buffer[n];
        Buffer[] hashes = new Buffer[n];
        Short[] versions = new Short[n];
        byte[] head = previous;
        for (int i = 0; i < n; i++) {
            AuditEvent event = events.get(i);
            byte[] hash = chain.link(AuditChain.KEYED, previous, event);
            ids[i] = event.eventId();
            times[i] = OffsetDateTime.ofInstant(event.timestamp(), ZoneOffset.UTC);
            actions[i] = event.action();
            outcomes[i] = event.outcome();
            agents[i] = event.agentId();
            actors[i] = event.actor();
            ips[i] = event.clientIp();
            requests[i] = event.requestId();
            // As text, cast to jsonb by the statement; a missing object stays NULL for the NOT NULL column to refuse.
            details[i] = event.details() == null ? null : event.details().encode();
            previousHashes[i] = Buffer.buffer(previous);
            hashes[i] = Buffer.buffer(hash);
            versions[i] = AuditChain.KEYED;
            previous = hash;
        }
        return new Linked(
                Tuple.from(new Object[] {
                    ids,
                    times,
                    actions,
                    outcomes,
                    agents,
                    actors,
                    ips,
                    requests,
                    details,
                    previousHashes,
                    hashes,
                    versions,
                    Buffer.buffer(head)
                }),
                previous);
    }

    /** The statement's parameters and the hash of its last event. */
    private record Linked(Tuple rows, byte[] last) {}

    /**
     * SQLSTATE class 22 (data exception: a NUL, an invalid encoding, a value out of range) and 23 (integrity
     * constraint) fail the same way on every retry; so do values the client cannot encode at all. Connection loss,
     * 08xxx, 57Pxx, serialisation failures and timeouts are worth retrying.
     */
    static boolean permanent(Throwable failure) {
        if (failure instanceof PgException pg) {
            String state = pg.getSqlState();
            return state != null && (state.startsWith("22") || state.startsWith("23"));
        }
        return failure instanceof EncodeException
                || failure instanceof IllegalArgumentException
                || failure instanceof ClassCastException
                || failure instanceof NullPointerException;
    }

    /**
     * Drops an event PostgreSQL will never store and writes a placeholder in its place, so the chain records that an
     * event existed. The log line names the event, not its content: the content is what was refused.
     */
    private Future<Void> quarantine(AuditEvent event, Throwable failure) {
        String state = failure instanceof PgException pg
                ? pg.getSqlState()
                : failure.getClass().getSimpleName();
        metrics.auditQuarantined();
        LOG.error(
                "audit event {} ({}) quarantined: PostgreSQL refused it permanently ({}); a {} event stands in for it",
                event.eventId(),
                AuditFields.text(event.action()),
                state,
                QUARANTINED);
        AuditEvent placeholder = AuditEvent.of(
                QUARANTINED,
                AuditEvent.FAILURE,
                null,
                Context.SYSTEM,
                Audit.details("eventId", String.valueOf(event.eventId()), "action", event.action(), "error", state));
        return pool.withTransaction(tx -> head(tx).compose(head -> insert(tx, List.of(placeholder), head)))
                .recover(e -> {
                    if (!permanent(e)) {
                        return Future.failedFuture(new Unwritten(List.of(placeholder), e));
                    }
                    LOG.error("the placeholder for quarantined audit event {} was refused too", event.eventId());
                    return Future.succeededFuture();
                });
    }

    /** Events a transient failure left unwritten, in order. */
    private static final class Unwritten extends RuntimeException {
        private final List<AuditEvent> events;

        Unwritten(List<AuditEvent> events, Throwable cause) {
            super(cause.toString(), cause, false, false);
            this.events = List.copyOf(events);
        }

        Unwritten and(List<AuditEvent> more) {
            List<AuditEvent> all = new ArrayList<>(events);
            all.addAll(more);
            return new Unwritten(all, getCause());
        }
    }

    /** How long the oldest event not yet written has waited, in seconds; 0 when nothing waits. */
    double oldestPendingSeconds() {
        Instant oldest = writing;
        AuditEvent next = queue.peek();
        if (next != null && (oldest == null || next.timestamp().isBefore(oldest))) {
            oldest = next.timestamp();
        }
        return oldest == null
                ? 0
                : Math.max(0, Duration.between(oldest, Instant.now()).toMillis() / 1000.0);
    }

    @Override
    public Future<EventPage> list(Query query) {
        List<String> conditions = new ArrayList<>();
        List<Object> params = new ArrayList<>();
        query.agentId().ifPresent(v -> condition(conditions, params, "agent_id = $", v));
        query.action().ifPresent(v -> condition(conditions, params, "action = $", v));
        query.outcome().ifPresent(v -> condition(conditions, params, "outcome = $", v));
        query.from().ifPresent(v -> condition(conditions, params, "occurred_at >= $", odt(v)));
        query.to().ifPresent(v -> condition(conditions, params, "occurred_at < $", odt(v)));
        query.cursor().ifPresent(cursor -> {
            // Keyset paging on the (occurred_at DESC, seq DESC) index: no OFFSET, no count.
            params.add(odt(cursor.occurredAt()));
            params.add(cursor.seq());
            conditions.add("(occurred_at, seq) < ($" + (params.size() - 1) + ", $" + params.size() + ")");
        });
        String where = conditions.isEmpty() ? "" : " WHERE " + String.join(" AND ", conditions);
        params.add((long) query.limit() + 1);
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM audit_events" + where
                        + " ORDER BY occurred_at DESC, seq DESC LIMIT $" + params.size())
                .execute(Tuple.tuple(params))
                .map(rows -> {
                    List<AuditEvent> events = new ArrayList<>();
                    long lastSeq = 0;
                    boolean more = false;
                    for (Row row : rows) {
                        if (events.size() == query.limit()) {
                            more = true;
                            break;
                        }
                        events.add(map(row));
                        lastSeq = row.getLong("seq");
                    }
                    Optional<Cursor> next = more
                            ? Optional.of(
                                    new Cursor(events.get(events.size() - 1).timestamp(), lastSeq))
                            : Optional.empty();
                    return new EventPage(events, next);
                });
    }

    private static void condition(List<String> conditions, List<Object> params, String sql, Object value) {
        params.add(value);
        conditions.add(sql + params.size());
    }

    @Override
    public Future<Optional<AuditEvent>> find(UUID eventId) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM audit_events WHERE event_id = $1")
                .execute(Tuple.of(eventId))
                .map(rows -> rows.size() == 0
                        ? Optional.empty()
                        : Optional.of(map(rows.iterator().next())));
    }

    /** Where a successful check ended: the next check hashes only what follows, after making sure this is intact. */
    private record Mark(long checkpointSeq, Head head, boolean keyed, long checked, long unkeyed) {}

    /** A check in progress: the last event verified and what has been counted so far. */
    private record Walk(
            long checkpointSeq,
            Head head,
            boolean keyed,
            long checked,
            long unkeyed,
            long hashed,
            Optional<Mark> earlier,
            boolean earlierSeen) {}

    /** One page checked: either the walk goes on, or it ended at a broken link. */
    private record Step(Walk walk, int rows, Optional<JsonObject> broken) {}

    /**
     * One check at a time per process (F-11): a caller arriving while one runs gets its result, on the caller's own
     * context. It hashes what was appended since this process's last successful check.
     */
    @Override
    public Future<Verification> verify() {
        return run(false);
    }

    /**
     * Re-hashes everything from the newest checkpoint (an edit to an event verified earlier shows only here, or in a
     * new process); runs after the check in progress, if any, and callers meanwhile share it.
     */
    @Override
    public Future<Verification> verifyAll() {
        return run(true);
    }

    private Future<Verification> run(boolean full) {
        Future<Verification> shared;
        synchronized (this) {
            if (verifying == null || verifying.isComplete()) {
                verifyingAll = full || verified == null || broken;
                verifying = check(full);
            } else if (full && !verifyingAll) {
                verifying = verifying.transform(ignored -> check(true));
                verifyingAll = true;
            }
            shared = verifying;
        }
        io.vertx.core.Context caller = Vertx.currentContext();
        if (caller == null) {
            return shared;
        }
        Promise<Verification> mine = Promise.promise();
        shared.onComplete(result -> caller.runOnContext(v -> mine.handle(result)));
        return mine.future();
    }

    private Future<Verification> check(boolean full) {
        metrics.auditVerificationStarted();
        Mark mark = verified;
        Future<Verification> result = full || mark == null || broken
                ? fromCheckpoint(Optional.ofNullable(mark))
                // Another task's retention can cut events between the mark and its walk: a break found on the
                // short path is confirmed from the checkpoint before it is reported.
                : resume(mark)
                        .compose(quick -> quick.valid()
                                ? Future.succeededFuture(quick)
                                : fromCheckpoint(Optional.of(mark))
                                        .map(confirmed ->
                                                confirmed.valid() ? confirmed : confirmed.plusHashed(quick.hashed())));
        return result.onSuccess(verification -> {
            broken = !verification.valid();
            metrics.auditChainIntegrity(verification.valid());
            metrics.auditEventsHashed(verification.hashed());
        });
    }

    /**
     * Continues from the mark when the event there is unchanged and no checkpoint appeared since; otherwise checks
     * from the newest checkpoint, expecting the marked event where it was.
     */
    private Future<Verification> resume(Mark mark) {
        return pool.preparedQuery("SELECT (SELECT hash FROM audit_events WHERE seq = $1),"
                        + " (SELECT coalesce(max(last_seq), 0) FROM audit_checkpoints)")
                .execute(Tuple.of(mark.head().sequence()))
                .compose(rows -> {
                    Row row = rows.iterator().next();
                    Buffer stored = row.getBuffer(0);
                    boolean sameCheckpoint = row.getLong(1) == mark.checkpointSeq();
                    boolean intact = mark.head().eventId().isEmpty()
                            ? stored == null
                            : stored != null
                                    && MessageDigest.isEqual(
                                            stored.getBytes(), mark.head().hash());
                    if (sameCheckpoint && intact) {
                        return walk(new Walk(
                                mark.checkpointSeq(),
                                mark.head(),
                                mark.keyed(),
                                mark.checked(),
                                mark.unkeyed(),
                                0,
                                Optional.empty(),
                                false));
                    }
                    return fromCheckpoint(Optional.of(mark));
                });
    }

    private Future<Verification> fromCheckpoint(Optional<Mark> earlier) {
        return pool.query("SELECT last_seq, last_hash, archived_count, mac, legacy FROM audit_checkpoints"
                        + " ORDER BY last_seq DESC LIMIT 1")
                .execute()
                .compose(rows -> {
                    if (rows.size() == 0) {
                        return walk(
                                new Walk(0, new Head(0, Optional.empty(), GENESIS), false, 0, 0, 0, earlier, false));
                    }
                    Row checkpoint = rows.iterator().next();
                    long lastSeq = checkpoint.getLong("last_seq");
                    byte[] lastHash = checkpoint.getBuffer("last_hash").getBytes();
                    if (!genuine(checkpoint)) {
                        return Future.succeededFuture(new Verification(
                                false,
                                0,
                                0,
                                0,
                                Optional.empty(),
                                Optional.of(new JsonObject()
                                        .put("sequence", lastSeq)
                                        .put(
                                                "reason",
                                                "the newest checkpoint is not genuine: its MAC does not verify, so"
                                                        + " retention did not write it"))));
                    }
                    Head start = new Head(lastSeq, Optional.empty(), lastHash);
                    return walk(new Walk(lastSeq, start, false, 0, 0, 0, earlier, false));
                });
    }

    /** A checkpoint written by retention since V4 carries its MAC; older ones were marked legacy by the migration. */
    private boolean genuine(Row checkpoint) {
        if (Boolean.TRUE.equals(checkpoint.getBoolean("legacy"))) {
            return true;
        }
        Buffer mac = checkpoint.getBuffer("mac");
        return mac != null
                && MessageDigest.isEqual(
                        mac.getBytes(),
                        chain.checkpoint(
                                checkpoint.getLong("last_seq"),
                                checkpoint.getBuffer("last_hash").getBytes(),
                                checkpoint.getLong("archived_count")));
    }

    /** Pages through the events after the walk's head by sequence number; hashing runs on a worker thread. */
    private Future<Verification> walk(Walk walk) {
        return pool.preparedQuery(
                        "SELECT " + COLUMNS + ", chain FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2")
                .execute(Tuple.of(walk.head().sequence(), VERIFY_PAGE))
                .compose(rows -> vertx.executeBlocking(() -> page(walk, rows), false))
                .compose(step -> {
                    if (step.broken().isPresent()) {
                        return Future.succeededFuture(result(step.walk(), step.broken()));
                    }
                    if (step.rows() == VERIFY_PAGE) {
                        return walk(step.walk());
                    }
                    return Future.succeededFuture(finish(step.walk()));
                });
    }

    private Step page(Walk walk, RowSet<Row> rows) {
        Head head = walk.head();
        boolean keyed = walk.keyed();
        long checked = walk.checked();
        long unkeyed = walk.unkeyed();
        long hashed = walk.hashed();
        boolean earlierSeen = walk.earlierSeen();
        Optional<Mark> earlier = walk.earlier();
        for (Row row : rows) {
            AuditEvent event = map(row);
            long seq = row.getLong("seq");
            short version = row.getShort("chain");
            byte[] storedPrevious = row.getBuffer("prev_hash").getBytes();
            byte[] storedHash = row.getBuffer("hash").getBytes();
            Walk sofar = new Walk(walk.checkpointSeq(), head, keyed, checked, unkeyed, hashed, earlier, earlierSeen);
            if (earlier.isPresent()
                    && !earlierSeen
                    && seq > earlier.get().head().sequence()
                    && earlier.get().head().sequence() > walk.checkpointSeq()) {
                return broken(sofar, rows.size(), earlier.get().head().sequence(), null, MISSING);
            }
            if (!MessageDigest.isEqual(storedPrevious, head.hash())) {
                return broken(
                        sofar,
                        rows.size(),
                        seq,
                        event,
                        "prev_hash does not match the previous event's hash (an event was removed or reordered)");
            }
            if (version != AuditChain.KEYED && (version != AuditChain.LEGACY || keyed)) {
                return broken(
                        sofar,
                        rows.size(),
                        seq,
                        event,
                        "an unkeyed event after keyed ones: the chain was rewritten without the chain key");
            }
            hashed++;
            if (!MessageDigest.isEqual(storedHash, chain.link(version, head.hash(), event))) {
                return broken(
                        sofar,
                        rows.size(),
                        seq,
                        event,
                        "hash does not match the event's content (the event was changed, or the chain recomputed"
                                + " without the chain key)");
            }
            if (earlier.isPresent() && seq == earlier.get().head().sequence()) {
                if (!MessageDigest.isEqual(storedHash, earlier.get().head().hash())) {
                    return broken(sofar, rows.size(), seq, event, CHANGED);
                }
                earlierSeen = true;
            }
            keyed |= version == AuditChain.KEYED;
            unkeyed += version == AuditChain.LEGACY ? 1 : 0;
            checked++;
            head = new Head(seq, Optional.of(event.eventId()), storedHash);
        }
        return new Step(
                new Walk(walk.checkpointSeq(), head, keyed, checked, unkeyed, hashed, earlier, earlierSeen),
                rows.size(),
                Optional.empty());
    }

    private static final String MISSING =
            "the event at this sequence, verified earlier by this process, is gone (the end of the trail was cut)";
    private static final String CHANGED =
            "the event at this sequence differs from the one this process verified earlier";

    private static Step broken(Walk walk, int rows, long seq, AuditEvent event, String reason) {
        JsonObject at = new JsonObject().put("sequence", seq).put("reason", reason);
        if (event != null) {
            at.put("eventId", event.eventId().toString());
        }
        return new Step(walk, rows, Optional.of(at));
    }

    /** The chain ended: valid unless an event verified earlier lies beyond its end. */
    private Verification finish(Walk walk) {
        Optional<Mark> earlier = walk.earlier();
        if (earlier.isPresent() && !walk.earlierSeen() && earlier.get().head().sequence() > walk.checkpointSeq()) {
            return result(
                    walk,
                    Optional.of(new JsonObject()
                            .put("sequence", earlier.get().head().sequence())
                            .put("reason", MISSING)));
        }
        return result(walk, Optional.empty());
    }

    /**
     * The verification; a valid one moves the mark. A broken one leaves it, so every later check starts over and
     * still expects what was verified before: a break stays visible until someone repairs it.
     */
    private Verification result(Walk walk, Optional<JsonObject> broken) {
        if (broken.isEmpty()) {
            verified = new Mark(walk.checkpointSeq(), walk.head(), walk.keyed(), walk.checked(), walk.unkeyed());
        }
        return new Verification(
                broken.isEmpty(), walk.checked(), walk.hashed(), walk.unkeyed(), Optional.of(walk.head()), broken);
    }

    @Override
    public Future<SignedHead> head() {
        return verify().compose(verification -> verification.valid()
                ? Future.succeededFuture(heads.sign(verification.head().orElseThrow()))
                : Future.failedFuture(new ChainBroken(
                        "the audit chain does not verify, so no head is signed: " + reason(verification),
                        verification)));
    }

    private static String reason(Verification verification) {
        return verification
                .brokenAt()
                .map(at -> "sequence " + at.getLong("sequence") + ": " + at.getString("reason"))
                .orElse("");
    }

    /**
     * Retention moves verified events only: it checks the chain first, refuses when the newest checkpoint is not
     * genuine, and writes a checkpoint with its MAC. The trigger lets it delete only rows it has just archived.
     */
    @Override
    public Future<Long> prune(Duration retention) {
        OffsetDateTime cutoff = odt(Instant.now().minus(retention));
        return verifyAll().compose(verification -> {
            if (!verification.valid()) {
                return Future.failedFuture(new ChainBroken(
                        "audit retention refused: the chain does not verify at " + reason(verification), verification));
            }
            long verifiedSeq = verification.head().map(Head::sequence).orElse(0L);
            return pool.withTransaction(tx -> tx.preparedQuery("SELECT pg_advisory_xact_lock($1)")
                    .execute(Tuple.of(CHAIN_LOCK))
                    .compose(locked -> tx.query("SELECT last_seq, last_hash, archived_count, mac, legacy FROM"
                                    + " audit_checkpoints ORDER BY last_seq DESC LIMIT 1")
                            .execute())
                    .compose(checkpoints -> {
                        if (checkpoints.size() > 0
                                && !genuine(checkpoints.iterator().next())) {
                            return Future.failedFuture(new ChainBroken(
                                    "audit retention refused: the newest checkpoint is not genuine", verification));
                        }
                        // Never past what the audit stream has published (V6): pruned events are not streamed.
                        return tx.preparedQuery("SELECT seq, hash FROM audit_events WHERE occurred_at < $1 AND seq"
                                        + " <= $2 AND seq <= (SELECT coalesce(min(published_seq), $2) FROM"
                                        + " audit_stream_position) ORDER BY seq DESC LIMIT 1")
                                .execute(Tuple.of(cutoff, verifiedSeq));
                    })
                    .compose(rows -> rows.size() == 0
                            ? Future.succeededFuture(0L)
                            : cut(tx, rows.iterator().next())));
        });
    }

    private Future<Long> cut(SqlClient tx, Row last) {
        long lastSeq = last.getLong(0);
        byte[] lastHash = last.getBuffer(1).getBytes();
        return tx.query("SET LOCAL agentidp.audit_prune = 'on'")
                .execute()
                .compose(set -> tx.preparedQuery("INSERT INTO audit_archive SELECT * FROM audit_events WHERE seq <= $1")
                        .execute(Tuple.of(lastSeq)))
                .compose(archived -> {
                    long count = archived.rowCount();
                    return tx.preparedQuery("INSERT INTO audit_checkpoints (last_seq, last_hash, archived_count,"
                                    + " created_at, mac) VALUES ($1, $2, $3, now(), $4)")
                            .execute(Tuple.of(
                                    lastSeq,
                                    Buffer.buffer(lastHash),
                                    count,
                                    Buffer.buffer(chain.checkpoint(lastSeq, lastHash, count))));
                })
                .compose(checkpoint -> tx.preparedQuery("DELETE FROM audit_events WHERE seq <= $1")
                        .execute(Tuple.of(lastSeq)))
                .map(deleted -> (long) deleted.rowCount());
    }

    private static OffsetDateTime odt(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    static AuditEvent map(Row row) {
        Object details = row.getValue("details");
        return new AuditEvent(
                row.getUUID("event_id"),
                row.getOffsetDateTime("occurred_at").toInstant(),
                row.getString("action"),
                row.getString("outcome"),
                row.getUUID("agent_id"),
                row.getString("actor"),
                row.getString("client_ip"),
                row.getString("request_id"),
                details instanceof JsonObject json ? json : new JsonObject(String.valueOf(details)));
    }
}
