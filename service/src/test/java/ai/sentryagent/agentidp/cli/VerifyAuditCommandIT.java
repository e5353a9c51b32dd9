package ai.sentryagent.agentidp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.sentryagent.agentidp.audit.stream.StreamFixture;
import ai.sentryagent.agentidp.config.KafkaConfig;
import ai.sentryagent.agentidp.testing.JarProcess;
import ai.sentryagent.agentidp.testing.KafkaBroker;
import ai.sentryagent.agentidp.testing.RunningIdp;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code verify-audit} from the packaged jar, against what the relay published to a real broker — and against what
 * someone with write access to the topic, but not the chain key, can add to it.
 */
class VerifyAuditCommandIT {
    @TempDir
    Path workDir;

    private final KafkaBroker broker = KafkaBroker.get();

    @Test
    void theChainVerifiesFromTheTopicAloneAndAForgedEventIsFound() throws Exception {
        KafkaConfig kafka = StreamFixture.kafka(broker.bootstrap(), "audit-verify");
        broker.createTopic(kafka.topic());
        try (StreamFixture db = new StreamFixture("stream_verify")) {
            db.append(40);
            db.deployRelay(kafka);
            long last = db.committed().keySet().stream()
                    .mapToLong(Long::longValue)
                    .max()
                    .orElseThrow();
            await().atMost(StreamFixture.WAIT).until(() -> db.position(kafka.topic()) == last);

            JsonObject intact = run(Map.of("AUDIT_CHAIN_KEY", RunningIdp.AUDIT_CHAIN_KEY), 0);
            assertThat(intact.getBoolean("valid")).isTrue();
            assertThat(intact.getLong("events")).isEqualTo(40);
            assertThat(intact.getLong("lastSeq")).isEqualTo(last);
            assertThat(intact.getString("hashesChecked")).isEqualTo("all");

            // Write access to the topic, not the key: an event linked onto the head, hashed as best one can.
            List<ConsumerRecord<byte[], byte[]>> records = StreamFixture.readTopic(kafka);
            JsonObject head =
                    new JsonObject(new String(records.get(records.size() - 1).value(), StandardCharsets.UTF_8));
            JsonObject forged = head.copy()
                    .put("eventId", UUID.randomUUID().toString())
                    .put("action", "agent.deleted")
                    .put("seq", last + 1)
                    .put("prev_hash", head.getString("hash"))
                    .put(
                            "hash",
                            HexFormat.of()
                                    .formatHex(MessageDigest.getInstance("SHA-256")
                                            .digest(head.encode().getBytes(StandardCharsets.UTF_8))));
            produce(kafka, forged);

            JsonObject caught = run(Map.of("AUDIT_CHAIN_KEY", RunningIdp.AUDIT_CHAIN_KEY), 1);
            assertThat(caught.getBoolean("valid")).isFalse();
            assertThat(caught.getJsonObject("brokenAt").getLong("seq")).isEqualTo(last + 1);
            assertThat(caught.getJsonObject("brokenAt").getString("reason")).contains("hash does not match");

            // Without the key only the links can be checked, and the verdict says so rather than claiming more.
            JsonObject linksOnly = run(Map.of(), 0);
            assertThat(linksOnly.getString("hashesChecked")).startsWith("links only");

            // A replayed seq with other content is not a harmless duplicate.
            JsonObject rewritten = head.copy().put("actor", "someone-else");
            produce(kafka, rewritten);
            JsonObject replay = run(Map.of(), 1);
            assertThat(replay.getJsonObject("brokenAt").getString("reason")).contains("different event");
        }
    }

    private JsonObject run(Map<String, String> extra, int expectedExit) throws Exception {
        Map<String, String> env = new java.util.HashMap<>(extra);
        env.put("KAFKA_BROKERS", broker.bootstrap());
        env.put("KAFKA_AUDIT_TOPIC", "audit-verify");
        env.put("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT");
        env.put("NODE_ENV", "development");
        try (JarProcess verify = JarProcess.start(workDir, env, "verify-audit", "--timeout", "30")) {
            assertThat(verify.waitForExit(Duration.ofSeconds(60)))
                    .as(String.join("\n", verify.stdout()) + String.join("\n", verify.stderr()))
                    .isEqualTo(expectedExit);
            String verdict = verify.stdout().stream()
                    .filter(line -> line.startsWith("{\"valid\""))
                    .reduce((a, b) -> b)
                    .orElseThrow();
            return new JsonObject(verdict);
        }
    }

    private void produce(KafkaConfig kafka, JsonObject value) throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            producer.send(new ProducerRecord<>(kafka.topic(), value.encode().getBytes(StandardCharsets.UTF_8)))
                    .get();
        }
    }
}
