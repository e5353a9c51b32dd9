package ai.sentryagent.agentidp.audit.stream;

import ai.sentryagent.agentidp.config.AppConfig;
import ai.sentryagent.agentidp.config.KafkaConfig;
import ai.sentryagent.agentidp.observability.Metrics;
import ai.sentryagent.agentidp.store.Postgres;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay from the audit table (the outbox) to Kafka. Every task runs one; exactly one of them publishes: the one
 * holding the session advisory lock {@link #LEADER_LOCK} on its own dedicated connection. Losing that connection
 * loses the lock, and with it the leadership; the others try for it every {@link Timing#leaderRetryMs}.
 *
 * <p>The leader reads {@code seq > published ORDER BY seq}, publishes the batch, waits for every acknowledgement and
 * only then moves the position. A crash between the two republishes the batch: delivery is at least once and
 * consumers dedupe on {@code seq}. Only committed rows are read, so nothing is published that did not commit, and no
 * gap is ever waited for (V6 says why none can fill later). Kafka calls block, so they run on a worker thread of
 * their own; nothing on the token path waits for Kafka.
 */
public final class AuditStreamVerticle extends VerticleBase {
    private static final Logger LOG = LoggerFactory.getLogger(AuditStreamVerticle.class);
    /** The relay's leadership lock ("AIDK"); the chain's append lock is a different key. */
    static final long LEADER_LOCK = 0x4149444BL;
    /** Every message has this key: one partition holds the whole trail, in order. */
    private static final byte[] KEY = "agentidp-audit".getBytes(StandardCharsets.UTF_8);

    private static final String SELECT =
            "SELECT " + StreamedEvent.COLUMNS + " FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2";

    /**
     * The lock is freed only when PostgreSQL notices the session is gone. After a crash that is at once; after a
     * network cut, the server's TCP keepalive decides (two hours by Linux's default): these make it ~25 s.
     */
    private static final String KEEPALIVE =
            "SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3";

    /** The stream's position, created at 0 when absent (the first start, or an operator deleted it). */
    private static final String POSITION = "INSERT INTO audit_stream_position (stream, published_seq, updated_at)"
            + " VALUES ($1, 0, now()) ON CONFLICT (stream) DO UPDATE SET stream = excluded.stream RETURNING"
            + " published_seq";

    /**
     * How often the relay looks for new events, retries leadership, refreshes the lag gauge; how long a query on the
     * leader's connection may take before the connection (and the leadership) is given up; how many events go in a
     * batch.
     */
    public record Timing(long pollMs, long leaderRetryMs, long lagMs, long queryTimeoutMs, int batch) {
        public static final Timing DEFAULT = new Timing(200, 5_000, 5_000, 10_000, 500);
    }

    private final KafkaConfig kafka;
    private final PgConnectOptions database;
    private final Pool pool;
    private final Metrics metrics;
    private final Timing timing;
    private final String clientId = "agentidp-audit-relay-" + UUID.randomUUID();

    private final AtomicLong lag = new AtomicLong();
    private final AtomicLong publishedGauge = new AtomicLong();
    private final AtomicLong leading = new AtomicLong();
    private Counter failures;

    private WorkerExecutor kafkaThread;
    private Producer<byte[], byte[]> producer;
    private final List<Long> timers = new ArrayList<>();
    /** This relay's session, while it has one; it leads while {@link #leader} is true. */
    private PgConnection connection;

    private boolean leader;
    private long published;
    private boolean busy;
    private long nextLeaderAttempt;
    private boolean failing;
    private long failedBatches;

    public AuditStreamVerticle(
            KafkaConfig kafka, PgConnectOptions database, Pool pool, Metrics metrics, Timing timing) {
        this.kafka = kafka;
        this.database = database;
        this.pool = pool;
        this.metrics = metrics;
        this.timing = timing;
    }

    /**
     * Deploys the relay when {@code KAFKA_BROKERS} is set; the future carries the deployment id, if one was made.
     * One relay per process: the leadership lock makes it one publisher across tasks.
     */
    public static Future<Optional<String>> deployIfConfigured(
            Vertx vertx, AppConfig config, Pool pool, Metrics metrics) {
        if (config.kafka().isEmpty()) {
            return Future.succeededFuture(Optional.empty());
        }
        return vertx.deployVerticle(new AuditStreamVerticle(
                        config.kafka().get(),
                        Postgres.connectOptions(config.database()),
                        pool,
                        metrics,
                        Timing.DEFAULT))
                .map(Optional::of);
    }

    @Override
    public Future<?> start() {
        registerMetrics();
        kafkaThread = vertx.createSharedWorkerExecutor(clientId, 1);
        // The position row exists from the first start on, so retention stops at it even before anything is sent.
        return pool.preparedQuery(POSITION)
                .execute(Tuple.of(kafka.topic()))
                .compose(inserted -> kafkaThread.executeBlocking(
                        () -> new KafkaProducer<byte[], byte[]>(KafkaClients.producer(kafka, clientId))))
                .onSuccess(created -> {
                    producer = created;
                    timers.add(vertx.setPeriodic(timing.pollMs(), id -> tick()));
                    timers.add(vertx.setPeriodic(timing.lagMs(), id -> refreshLag()));
                    LOG.info(
                            "audit stream to topic {} on {} ({}) started",
                            kafka.topic(),
                            String.join(",", kafka.brokers()),
                            kafka.protocol());
                    tick();
                    refreshLag();
                });
    }

    @Override
    public Future<?> stop() {
        timers.forEach(vertx::cancelTimer);
        PgConnection session = connection;
        connection = null;
        leader = false;
        leading.set(0);
        Future<Void> closed = session == null ? Future.succeededFuture() : session.close();
        Producer<byte[], byte[]> created = producer;
        // Not on the relay's own thread, which may be waiting for acknowledgements: closing the producer from
        // elsewhere fails that wait at once, so shutdown is not held up by a batch Kafka does not answer.
        return closed.recover(e -> Future.succeededFuture())
                .compose(ignored -> created == null
                        ? Future.succeededFuture()
                        : vertx.executeBlocking(() -> {
                            created.close(Duration.ofSeconds(5));
                            return null;
                        }))
                .eventually(() -> kafkaThread.close());
    }

    private void registerMetrics() {
        var registry = metrics.registry();
        Gauge.builder("agentidp_audit_stream_lag_events", lag, AtomicLong::get)
                .description("committed audit events not yet acknowledged by Kafka (highest seq minus the"
                        + " published position; alarm when it keeps growing)")
                .register(registry);
        Gauge.builder("agentidp_audit_stream_published_seq", publishedGauge, AtomicLong::get)
                .description("the highest audit seq Kafka has acknowledged, as this task last read it")
                .register(registry);
        Gauge.builder("agentidp_audit_stream_leader", leading, AtomicLong::get)
                .description("1 on the one task whose relay publishes the audit stream")
                .register(registry);
        failures = Counter.builder("agentidp_audit_stream_failures_total")
                .description("audit stream batches that failed (Kafka or PostgreSQL unreachable) and will be retried")
                .register(registry);
    }

    /** One step: lead if nobody does, or publish the next batch. Never two steps at once. */
    private void tick() {
        if (busy || producer == null) {
            return;
        }
        busy = true;
        Future<Boolean> step = leader ? publishBatch() : lead().map(false);
        step.onComplete(result -> {
            busy = false;
            if (result.failed()) {
                failed(result.cause());
            } else if (result.result()) {
                recovered();
                vertx.runOnContext(v -> tick()); // a full batch: more is waiting
            } else if (leader) {
                recovered();
            }
        });
    }

    /** Tries for the leadership on this relay's session; true when this relay leads now. */
    private Future<Boolean> lead() {
        long now = System.currentTimeMillis();
        if (now < nextLeaderAttempt) {
            return Future.succeededFuture(false);
        }
        nextLeaderAttempt = now + timing.leaderRetryMs();
        Future<PgConnection> session = connection != null
                ? Future.succeededFuture(connection)
                : PgConnection.connect(vertx, database)
                        .compose(conn ->
                                conn.query(KEEPALIVE).execute().map(conn).onFailure(e -> conn.close()))
                        .onSuccess(this::adopt);
        return session.compose(conn -> timed(
                        conn,
                        conn.preparedQuery("SELECT pg_try_advisory_lock($1)").execute(Tuple.of(LEADER_LOCK)))
                .compose(locked -> {
                    if (!locked.iterator().next().getBoolean(0)) {
                        return Future.succeededFuture(false);
                    }
                    // The row again, in case someone deleted it since start: the position must exist to bound
                    // retention, and an update of a missing row would move nothing.
                    return timed(conn, conn.preparedQuery(POSITION).execute(Tuple.of(kafka.topic())))
                            .map(rows -> {
                                published = rows.iterator().next().getLong(0);
                                publishedGauge.set(published);
                                leader = connection == conn;
                                leading.set(leader ? 1 : 0);
                                if (leader) {
                                    LOG.info(
                                            "audit stream: this task publishes now (from seq {} to topic {})",
                                            published,
                                            kafka.topic());
                                }
                                return leader;
                            })
                            // Holding the lock without knowing the position is no use: let another task lead.
                            .onFailure(e -> conn.close());
                }));
    }

    private void adopt(PgConnection conn) {
        connection = conn;
        conn.closeHandler(v -> {
            if (connection == conn) {
                connection = null;
                if (leader) {
                    LOG.warn("audit stream: the leader's PostgreSQL session closed; leadership is given up");
                    // A task that just lost its session is the likeliest to have a bad path to PostgreSQL: the
                    // others get the first chance at the lock.
                    nextLeaderAttempt = System.currentTimeMillis() + 2 * timing.leaderRetryMs();
                }
                leader = false;
                leading.set(0);
            }
        });
    }

    /** Publishes the next batch; true when it was full (more may be waiting). */
    private Future<Boolean> publishBatch() {
        PgConnection conn = connection;
        return timed(conn, conn.preparedQuery(SELECT).execute(Tuple.of(published, timing.batch())))
                .compose(rows -> {
                    if (rows.size() == 0) {
                        return Future.succeededFuture(false);
                    }
                    List<StreamedEvent> events = new ArrayList<>(rows.size());
                    for (Row row : rows) {
                        events.add(StreamedEvent.of(row));
                    }
                    long last = events.get(events.size() - 1).seq();
                    return kafkaThread
                            .executeBlocking(() -> send(events))
                            .compose(acked -> timed(
                                    conn,
                                    conn.preparedQuery("UPDATE audit_stream_position SET published_seq = $2,"
                                                    + " updated_at = now() WHERE stream = $1 AND published_seq < $2")
                                            .execute(Tuple.of(kafka.topic(), last))))
                            .map(updated -> {
                                published = last;
                                publishedGauge.set(last);
                                return rows.size() == timing.batch();
                            });
                });
    }

    /**
     * Sends the batch and waits for every acknowledgement; runs on the relay's worker thread. Order on the topic
     * rests on two things: once a record is in the producer, the broker's sequence check (idempotence) never lets a
     * later one be written before it; and a record refused before it got there (no metadata while the brokers were
     * away, a full buffer) stops the batch at once, so nothing after it goes out ahead of its retry. Seen in the
     * outage test: without the stop, seq 32 and 33 reached the topic before 31.
     */
    private int send(List<StreamedEvent> events) throws Exception {
        producer.partitionsFor(kafka.topic()); // waits for metadata (max.block.ms) before anything is sent
        List<java.util.concurrent.Future<RecordMetadata>> acks = new ArrayList<>(events.size());
        for (StreamedEvent event : events) {
            java.util.concurrent.Future<RecordMetadata> ack = producer.send(new ProducerRecord<>(
                    kafka.topic(), KEY, event.toJson().encode().getBytes(StandardCharsets.UTF_8)));
            if (ack.isDone()) {
                ack.get(); // refused before it was queued: throws, and the rest of the batch is not sent
            }
            acks.add(ack);
        }
        for (java.util.concurrent.Future<RecordMetadata> ack : acks) {
            ack.get(KafkaClients.DELIVERY_TIMEOUT_MS + 5_000L, TimeUnit.MILLISECONDS);
        }
        return acks.size();
    }

    /**
     * A query on the leader's session that does not answer in time means the session is gone in all but name
     * (a half-open TCP connection): it is closed, so PostgreSQL frees the lock for another task.
     */
    private <T> Future<T> timed(PgConnection conn, Future<T> query) {
        return query.timeout(timing.queryTimeoutMs(), TimeUnit.MILLISECONDS).onFailure(e -> {
            if (e instanceof java.util.concurrent.TimeoutException) {
                conn.close();
            }
        });
    }

    private void refreshLag() {
        pool.preparedQuery("SELECT (SELECT coalesce(max(seq), 0) FROM audit_events), (SELECT published_seq FROM"
                        + " audit_stream_position WHERE stream = $1)")
                .execute(Tuple.of(kafka.topic()))
                .onSuccess(this::lag)
                .onFailure(e -> LOG.debug("audit stream lag not refreshed: {}", e.toString()));
    }

    private void lag(RowSet<Row> rows) {
        Row row = rows.iterator().next();
        Long position = row.getLong(1);
        long at = position == null ? 0 : position;
        publishedGauge.set(Math.max(publishedGauge.get(), at));
        lag.set(Math.max(0, row.getLong(0) - at));
    }

    /** Logged once per burst of failures; the batch is read again at the next tick. */
    private void failed(Throwable cause) {
        failures.increment();
        failedBatches++;
        if (!failing) {
            failing = true;
            LOG.warn(
                    "audit stream to {} stalled: {}; retrying (tokens are unaffected, the lag gauge grows)",
                    kafka.topic(),
                    cause.toString());
        }
    }

    private void recovered() {
        if (failing) {
            failing = false;
            LOG.info("audit stream to {} resumed after {} failed attempts", kafka.topic(), failedBatches);
            failedBatches = 0;
        }
    }
}
