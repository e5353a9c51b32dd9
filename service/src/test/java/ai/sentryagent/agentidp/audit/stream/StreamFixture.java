package ai.sentryagent.agentidp.audit.stream;

import ai.sentryagent.agentidp.audit.AuditChain;
import ai.sentryagent.agentidp.audit.AuditEvent;
import ai.sentryagent.agentidp.audit.HeadSigner;
import ai.sentryagent.agentidp.audit.PgAudit;
import ai.sentryagent.agentidp.config.DatabaseUrl;
import ai.sentryagent.agentidp.config.KafkaConfig;
import ai.sentryagent.agentidp.crypto.JwsSigner;
import ai.sentryagent.agentidp.crypto.SigningKeys;
import ai.sentryagent.agentidp.observability.Metrics;
import ai.sentryagent.agentidp.store.Migrations;
import ai.sentryagent.agentidp.store.Postgres;
import ai.sentryagent.agentidp.testing.RunningIdp;
import ai.sentryagent.agentidp.testing.TestServers;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * One database of its own, the audit trail as production wires it, and relays to deploy on it: what the audit
 * stream tests share. Events are appended the way management changes append them (one transaction each).
 */
public final class StreamFixture implements AutoCloseable {
    public static final Duration WAIT = Duration.ofSeconds(45);
    static final AuditStreamVerticle.Timing FAST = new AuditStreamVerticle.Timing(50, 300, 200, 5_000, 40);

    final DatabaseUrl url;
    final Vertx vertx = Vertx.vertx();
    final Pool pool;
    final PgAudit audit;
    private final List<Vertx> relays = new ArrayList<>();

    public StreamFixture(String name) throws Exception {
        url = DatabaseUrl.parse(TestServers.get().createDatabase(name));
        Migrations.apply(url);
        pool = pool(vertx);
        KeyPair pair = RunningIdp.keys();
        SigningKeys keys = SigningKeys.of(pair.getPrivate(), pair.getPublic(), List.of());
        audit = new PgAudit(
                vertx,
                pool,
                new Metrics(),
                new AuditChain(RunningIdp.AUDIT_CHAIN_KEY.getBytes(StandardCharsets.UTF_8)),
                new HeadSigner(JwsSigner.create(keys), keys.current().kid(), RunningIdp.ISSUER, Clock.systemUTC()));
    }

    public static KafkaConfig kafka(String bootstrap, String topic) {
        return new KafkaConfig(
                List.of(bootstrap), topic, KafkaConfig.Protocol.PLAINTEXT, Optional.empty(), Optional.empty());
    }

    private Pool pool(Vertx on) {
        return PgBuilder.pool()
                .with(new PoolOptions().setMaxSize(4))
                .connectingTo(Postgres.connectOptions(url))
                .using(on)
                .build();
    }

    /** A relay on a Vert.x instance of its own, as another task would run it; returns its metrics. */
    public Metrics deployRelay(KafkaConfig kafka) throws Exception {
        Vertx own = Vertx.vertx();
        relays.add(own);
        Metrics metrics = new Metrics();
        await(own.deployVerticle(
                new AuditStreamVerticle(kafka, Postgres.connectOptions(url), pool(own), metrics, FAST)));
        return metrics;
    }

    /** Appends {@code n} events, each committed in its own transaction; returns their ids in order. */
    public List<UUID> append(int n) throws Exception {
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            AuditEvent event = AuditEvent.of(
                    "agent.updated",
                    AuditEvent.SUCCESS,
                    UUID.randomUUID(),
                    new ai.sentryagent.agentidp.audit.Audit.Context("admin-client", "203.0.113.7", "req-" + i),
                    new JsonObject().put("n", i).put("scopes", new io.vertx.core.json.JsonArray().add("read")));
            await(pool.withTransaction(tx -> audit.append(tx, event)));
            ids.add(event.eventId());
        }
        return ids;
    }

    /**
     * {@code writers} concurrent sequences of {@code each} appends, as concurrent management requests on several
     * connections make them: seqs are taken in whatever order the transactions reach the chain lock.
     */
    public void appendConcurrently(int writers, int each) throws Exception {
        List<Future<Void>> all = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            Future<Void> chain = Future.succeededFuture();
            for (int i = 0; i < each; i++) {
                AuditEvent event = AuditEvent.of(
                        "credential.rotated",
                        AuditEvent.SUCCESS,
                        UUID.randomUUID(),
                        new ai.sentryagent.agentidp.audit.Audit.Context("writer-" + w, null, null),
                        new JsonObject().put("i", i));
                chain = chain.compose(done -> pool.withTransaction(tx -> audit.append(tx, event)));
            }
            all.add(chain);
        }
        await(Future.all(all));
    }

    /** Appends {@code n} events that happened {@code age} ago (as retention sees them); returns their seqs. */
    List<Long> appendOld(int n, Duration age) throws Exception {
        for (int i = 0; i < n; i++) {
            AuditEvent event = new AuditEvent(
                    UUID.randomUUID(),
                    java.time.Instant.now().minus(age).truncatedTo(java.time.temporal.ChronoUnit.MICROS),
                    "token.issued",
                    AuditEvent.SUCCESS,
                    null,
                    "client-" + i,
                    null,
                    null,
                    new JsonObject());
            await(pool.withTransaction(tx -> audit.append(tx, event)));
        }
        return new ArrayList<>(committed().keySet());
    }

    /** An append whose transaction rolls back after the event took its seq: a gap that never fills. */
    UUID appendRolledBack() throws Exception {
        AuditEvent event = AuditEvent.of(
                "agent.created",
                AuditEvent.SUCCESS,
                null,
                ai.sentryagent.agentidp.audit.Audit.Context.SYSTEM,
                new JsonObject());
        try {
            await(pool.withTransaction(tx -> audit.append(tx, event)
                    .compose(appended -> Future.failedFuture(new IllegalStateException("the change failed")))));
        } catch (Exception expected) {
            // the rollback is the point
        }
        return event.eventId();
    }

    /** What PostgreSQL committed: event id by seq, in seq order. */
    public Map<Long, UUID> committed() throws Exception {
        Map<Long, UUID> rows = new LinkedHashMap<>();
        try (Connection c = jdbc();
                Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT seq, event_id FROM audit_events ORDER BY seq")) {
            while (r.next()) {
                rows.put(r.getLong(1), UUID.fromString(r.getString(2)));
            }
        }
        return rows;
    }

    public long position(String topic) throws Exception {
        try (Connection c = jdbc();
                Statement s = c.createStatement();
                ResultSet r = s.executeQuery(
                        "SELECT published_seq FROM audit_stream_position WHERE stream = '" + topic + "'")) {
            return r.next() ? r.getLong(1) : -1;
        }
    }

    Connection jdbc() throws Exception {
        return DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
    }

    /** Every message on the topic, in topic order (partition 0: the stream's only one). */
    public static List<ConsumerRecord<byte[], byte[]>> readTopic(KafkaConfig kafka) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(KafkaClients.consumer(kafka, "test-reader-" + UUID.randomUUID()))) {
            TopicPartition partition = new TopicPartition(kafka.topic(), 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (consumer.position(partition) < end && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }

    /** The event ids on the topic by seq, first occurrence kept: what a consumer deduping on seq sees. */
    static Map<Long, UUID> deduplicated(List<ConsumerRecord<byte[], byte[]>> records) {
        Map<Long, UUID> events = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            StreamedEvent event = StreamedEvent.fromJson(record.value());
            events.putIfAbsent(event.seq(), event.event().eventId());
        }
        return events;
    }

    static <T> T await(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    static double gauge(Metrics metrics, String name) {
        return metrics.registry().get(name).gauge().value();
    }

    @Override
    public void close() throws Exception {
        for (Vertx relay : relays) {
            relay.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        pool.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
