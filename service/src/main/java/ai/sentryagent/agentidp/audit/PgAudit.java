package ai.sentryagent.agentidp.audit;

import ai.sentryagent.agentidp.agent.Page;
import ai.sentryagent.agentidp.observability.Metrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Audit} on PostgreSQL. Every append takes one transaction-scoped advisory lock, reads the chain's head and
 * inserts, so concurrent writers — on any number of tasks — build one consistent chain.
 */
public final class PgAudit implements Audit {
    private static final Logger LOG = LoggerFactory.getLogger(PgAudit.class);
    /** The advisory lock that serialises appends ("AIDP"). */
    static final long CHAIN_LOCK = 0x41494450L;

    static final byte[] GENESIS = new byte[32];
    private static final int BATCH = 500;
    /**
     * Queued events beyond this (PostgreSQL refusing writes for a long time) are counted and logged, not kept: about
     * 30 MB of events, sized to the image's 96 MiB heap (25 s of tokens at 2000/s).
     */
    static final int MAX_QUEUED = 50_000;

    private static final int VERIFY_PAGE = 1000;
    private static final String COLUMNS = "seq, event_id, occurred_at, action, outcome, agent_id, actor, client_ip,"
            + " request_id, details, prev_hash, hash";

    private final Pool pool;
    private final Metrics metrics;
    private final ConcurrentLinkedQueue<AuditEvent> queue = new ConcurrentLinkedQueue<>();
    private final java.util.concurrent.atomic.AtomicInteger queued = new java.util.concurrent.atomic.AtomicInteger();
    /** The running batch writer, if any: one per process, so flushes never queue up on the chain lock. */
    private Future<Void> writer;

    public PgAudit(Pool pool, Metrics metrics) {
        this.pool = pool;
        this.metrics = metrics;
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
        return head(tx).compose(previous -> insert(tx, event, previous)).mapEmpty();
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
            + " actor, client_ip, request_id, details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
            + " $11)";

    private static Future<byte[]> insert(SqlClient tx, AuditEvent event, byte[] previous) {
        byte[] hash = event.chain(previous);
        return tx.preparedQuery(INSERT).execute(row(event, previous, hash)).map(hash);
    }

    private static Tuple row(AuditEvent event, byte[] previous, byte[] hash) {
        return Tuple.from(new Object[] {
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
            Buffer.buffer(hash)
        });
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
        synchronized (this) {
            if (writing()) {
                return writer.transform(ignored -> flush());
            }
            writer = drain();
            return writer;
        }
    }

    private synchronized boolean writing() {
        return writer != null && !writer.isComplete();
    }

    /** Writes batches until the queue is empty; a failed batch goes back to the front of the queue. */
    private Future<Void> drain() {
        List<AuditEvent> batch = new ArrayList<>();
        for (AuditEvent event; batch.size() < BATCH && (event = queue.poll()) != null; ) {
            batch.add(event);
        }
        queued.addAndGet(-batch.size());
        if (batch.isEmpty()) {
            return Future.succeededFuture();
        }
        return pool.withTransaction(tx -> head(tx).compose(head -> {
                    // The chain is computed here and the rows go out as one pipelined batch: one round trip.
                    List<Tuple> rows = new ArrayList<>(batch.size());
                    byte[] previous = head;
                    for (AuditEvent event : batch) {
                        byte[] hash = event.chain(previous);
                        rows.add(row(event, previous, hash));
                        previous = hash;
                    }
                    return tx.preparedQuery(INSERT).executeBatch(rows).<Void>mapEmpty();
                }))
                .recover(failure -> {
                    // Nothing is lost: the batch goes back to the front of the queue for the next attempt.
                    List<AuditEvent> retry = new ArrayList<>(batch);
                    retry.addAll(queue);
                    queue.clear();
                    queue.addAll(retry);
                    queued.addAndGet(batch.size());
                    return Future.failedFuture(failure);
                })
                .compose(done -> queue.isEmpty() ? Future.<Void>succeededFuture() : drain());
    }

    @Override
    public Future<Page<AuditEvent>> list(Query query) {
        List<String> conditions = new ArrayList<>();
        List<Object> params = new ArrayList<>();
        query.agentId().ifPresent(v -> condition(conditions, params, "agent_id = $", v));
        query.action().ifPresent(v -> condition(conditions, params, "action = $", v));
        query.outcome().ifPresent(v -> condition(conditions, params, "outcome = $", v));
        query.from().ifPresent(v -> condition(conditions, params, "occurred_at >= $", odt(v)));
        query.to().ifPresent(v -> condition(conditions, params, "occurred_at < $", odt(v)));
        String where = conditions.isEmpty() ? "" : " WHERE " + String.join(" AND ", conditions);
        Future<Long> total = pool.preparedQuery("SELECT count(*) FROM audit_events" + where)
                .execute(Tuple.tuple(params))
                .map(rows -> rows.iterator().next().getLong(0));
        List<Object> pageParams = new ArrayList<>(params);
        pageParams.add((long) query.limit());
        pageParams.add((long) (query.page() - 1) * query.limit());
        Future<List<AuditEvent>> items = pool.preparedQuery("SELECT " + COLUMNS + " FROM audit_events" + where
                        + " ORDER BY occurred_at DESC, seq DESC LIMIT $" + (params.size() + 1) + " OFFSET $"
                        + (params.size() + 2))
                .execute(Tuple.tuple(pageParams))
                .map(rows -> {
                    List<AuditEvent> events = new ArrayList<>();
                    rows.forEach(row -> events.add(map(row)));
                    return events;
                });
        return Future.all(total, items)
                .map(done -> new Page<>(items.result(), query.page(), query.limit(), total.result()));
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

    @Override
    public Future<Verification> verify() {
        return pool.query("SELECT last_seq, last_hash FROM audit_checkpoints ORDER BY last_seq DESC LIMIT 1")
                .execute()
                .compose(cp -> {
                    long after = cp.size() > 0 ? cp.iterator().next().getLong(0) : 0;
                    byte[] start =
                            cp.size() > 0 ? cp.iterator().next().getBuffer(1).getBytes() : GENESIS;
                    return verifyFrom(after, start, 0);
                })
                .onSuccess(result -> metrics.auditChainIntegrity(result.valid()));
    }

    private Future<Verification> verifyFrom(long afterSeq, byte[] expectedPrevious, long checked) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2")
                .execute(Tuple.of(afterSeq, VERIFY_PAGE))
                .compose(rows -> {
                    byte[] previous = expectedPrevious;
                    long count = checked;
                    long last = afterSeq;
                    for (Row row : rows) {
                        AuditEvent event = map(row);
                        byte[] storedPrevious = row.getBuffer("prev_hash").getBytes();
                        byte[] storedHash = row.getBuffer("hash").getBytes();
                        long seq = row.getLong("seq");
                        if (!MessageDigest.isEqual(storedPrevious, previous)) {
                            return Future.succeededFuture(broken(
                                    count,
                                    event,
                                    seq,
                                    "prev_hash does not match the previous event's hash (an event was removed or"
                                            + " reordered)"));
                        }
                        if (!MessageDigest.isEqual(storedHash, event.chain(previous))) {
                            return Future.succeededFuture(broken(
                                    count,
                                    event,
                                    seq,
                                    "hash does not match the event's content (the event was changed)"));
                        }
                        previous = storedHash;
                        count++;
                        last = seq;
                    }
                    if (rows.size() < VERIFY_PAGE) {
                        return Future.succeededFuture(new Verification(true, count, Optional.empty()));
                    }
                    return verifyFrom(last, previous, count);
                });
    }

    private static Verification broken(long checked, AuditEvent event, long seq, String reason) {
        return new Verification(
                false,
                checked,
                Optional.of(new JsonObject()
                        .put("eventId", event.eventId().toString())
                        .put("sequence", seq)
                        .put("reason", reason)));
    }

    @Override
    public Future<Long> prune(Duration retention) {
        OffsetDateTime cutoff = odt(Instant.now().minus(retention));
        return pool.withTransaction(tx -> tx.preparedQuery("SELECT pg_advisory_xact_lock($1)")
                .execute(Tuple.of(CHAIN_LOCK))
                .compose(locked -> tx.preparedQuery("SELECT seq, hash FROM audit_events WHERE occurred_at < $1"
                                + " ORDER BY seq DESC LIMIT 1")
                        .execute(Tuple.of(cutoff)))
                .compose(rows -> {
                    if (rows.size() == 0) {
                        return Future.succeededFuture(0L);
                    }
                    long lastSeq = rows.iterator().next().getLong(0);
                    Buffer lastHash = rows.iterator().next().getBuffer(1);
                    return tx.query("SET LOCAL agentidp.audit_prune = 'on'")
                            .execute()
                            .compose(set -> tx.preparedQuery(
                                            "INSERT INTO audit_archive SELECT * FROM audit_events" + " WHERE seq <= $1")
                                    .execute(Tuple.of(lastSeq)))
                            .compose(archived -> tx.preparedQuery("INSERT INTO audit_checkpoints (last_seq, last_hash,"
                                            + " archived_count, created_at) VALUES ($1, $2, $3, now())")
                                    .execute(Tuple.of(lastSeq, lastHash, (long) archived.rowCount())))
                            .compose(checkpoint -> tx.preparedQuery("DELETE FROM audit_events WHERE seq <= $1")
                                    .execute(Tuple.of(lastSeq)))
                            .map(deleted -> (long) deleted.rowCount());
                }));
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
