package ai.sentryagent.agentidp.audit.stream;

import static ai.sentryagent.agentidp.audit.stream.StreamFixture.WAIT;
import static ai.sentryagent.agentidp.audit.stream.StreamFixture.deduplicated;
import static ai.sentryagent.agentidp.audit.stream.StreamFixture.gauge;
import static ai.sentryagent.agentidp.audit.stream.StreamFixture.kafka;
import static ai.sentryagent.agentidp.audit.stream.StreamFixture.readTopic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.sentryagent.agentidp.config.KafkaConfig;
import ai.sentryagent.agentidp.observability.Metrics;
import ai.sentryagent.agentidp.testing.KafkaBroker;
import ai.sentryagent.agentidp.testing.RunningIdp;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The audit stream against a real Kafka broker (KRaft, a child JVM) and real PostgreSQL. The outside truth each test
 * holds the topic to is what PostgreSQL committed, in seq order; the consumer dedupes on seq as operations.md tells
 * consumers to.
 */
class AuditStreamIT {
    private static final Optional<byte[]> KEY =
            Optional.of(RunningIdp.AUDIT_CHAIN_KEY.getBytes(StandardCharsets.UTF_8));
    private final KafkaBroker broker = KafkaBroker.get();

    @Test
    void everyCommittedEventReachesTheTopicInChainOrderAndARolledBackOneNever() throws Exception {
        KafkaConfig kafka = kafka(broker.bootstrap(), "audit-order");
        broker.createTopic(kafka.topic());
        try (StreamFixture db = new StreamFixture("stream_order")) {
            db.append(15);
            db.deployRelay(kafka); // publishing while the appends below commit
            db.appendConcurrently(4, 20);
            UUID rolledBack = db.appendRolledBack();
            db.append(15);
            Map<Long, UUID> committed = db.committed();
            long last =
                    committed.keySet().stream().mapToLong(Long::longValue).max().orElseThrow();

            await().atMost(WAIT).until(() -> db.position(kafka.topic()) == last);

            Map<Long, UUID> onTopic = deduplicated(readTopic(kafka));
            // Same events, same order; the seq the rolled-back append took is a gap the relay went past.
            assertThat(new ArrayList<>(onTopic.entrySet())).containsExactlyElementsOf(committed.entrySet());
            assertThat(onTopic).doesNotContainValue(rolledBack);
            assertThat(committed).hasSize(110);
            assertThat(last).isGreaterThan(110);
            JsonObject verdict = TopicReader.verify(kafka, KEY, Duration.ofSeconds(30));
            assertThat(verdict.getBoolean("valid")).as(verdict.encode()).isTrue();
            assertThat(verdict.getLong("events")).isEqualTo(110);
        }
    }

    @Test
    void aBrokerOutageStallsOnlyTheStreamWhichCatchesUpInOrderWithoutLoss() throws Exception {
        KafkaConfig kafka = kafka(broker.bootstrap(), "audit-outage");
        broker.createTopic(kafka.topic());
        try (StreamFixture db = new StreamFixture("stream_outage")) {
            Metrics metrics = db.deployRelay(kafka);
            db.append(30);
            await().atMost(WAIT).until(() -> db.position(kafka.topic()) == lastSeq(db));

            broker.stop();
            try {
                long before = System.nanoTime();
                db.append(60); // the audit trail (and so the token path) does not wait for Kafka
                assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(Duration.ofSeconds(10));
                await().atMost(WAIT).until(() -> gauge(metrics, "agentidp_audit_stream_lag_events") >= 60);
                assertThat(db.position(kafka.topic())).isLessThan(lastSeq(db));
            } finally {
                broker.start();
            }

            await().atMost(WAIT).until(() -> db.position(kafka.topic()) == lastSeq(db));
            await().atMost(WAIT).until(() -> gauge(metrics, "agentidp_audit_stream_lag_events") == 0);
            Map<Long, UUID> onTopic = deduplicated(readTopic(kafka));
            assertThat(new ArrayList<>(onTopic.entrySet()))
                    .containsExactlyElementsOf(db.committed().entrySet());
            assertThat(TopicReader.verify(kafka, KEY, Duration.ofSeconds(30)).getBoolean("valid"))
                    .isTrue();
        }
    }

    @Test
    void whenTheLeadersSessionDiesTheOtherTaskTakesOverAndNothingIsLost() throws Exception {
        KafkaConfig kafka = kafka(broker.bootstrap(), "audit-failover");
        broker.createTopic(kafka.topic());
        try (StreamFixture db = new StreamFixture("stream_failover")) {
            List<Metrics> tasks = List.of(db.deployRelay(kafka), db.deployRelay(kafka));
            await().atMost(WAIT).until(() -> leaders(tasks) == 1);
            Metrics first = gauge(tasks.get(0), "agentidp_audit_stream_leader") == 1 ? tasks.get(0) : tasks.get(1);
            Metrics second = first == tasks.get(0) ? tasks.get(1) : tasks.get(0);
            db.append(25);
            await().atMost(WAIT).until(() -> db.position(kafka.topic()) == lastSeq(db));

            // The leader's PostgreSQL session ends (a crashed task, a network cut): its advisory lock goes with it.
            try (Connection c = db.jdbc();
                    Statement s = c.createStatement()) {
                s.execute("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = "
                        + AuditStreamVerticle.LEADER_LOCK + " AND granted");
            }
            db.append(25);
            await().atMost(WAIT).until(() -> gauge(second, "agentidp_audit_stream_leader") == 1);
            await().atMost(WAIT).until(() -> db.position(kafka.topic()) == lastSeq(db));
            assertThat(gauge(first, "agentidp_audit_stream_leader")).isZero();
            assertThat(advisoryHolders(db)).isLessThanOrEqualTo(1);

            Map<Long, UUID> onTopic = deduplicated(readTopic(kafka));
            assertThat(new ArrayList<>(onTopic.entrySet()))
                    .containsExactlyElementsOf(db.committed().entrySet());
            assertThat(TopicReader.verify(kafka, KEY, Duration.ofSeconds(30)).getBoolean("valid"))
                    .isTrue();
        }
    }

    private static double leaders(List<Metrics> tasks) {
        return tasks.stream()
                .mapToDouble(m -> gauge(m, "agentidp_audit_stream_leader"))
                .sum();
    }

    private static long advisoryHolders(StreamFixture db) throws Exception {
        try (Connection c = db.jdbc();
                Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = "
                        + AuditStreamVerticle.LEADER_LOCK + " AND granted")) {
            r.next();
            return r.getLong(1);
        }
    }

    private static long lastSeq(StreamFixture db) throws Exception {
        return db.committed().keySet().stream().mapToLong(Long::longValue).max().orElse(0);
    }
}
