package ai.sentryagent.agentidp.audit.stream;

import ai.sentryagent.agentidp.UserFacingException;
import ai.sentryagent.agentidp.config.KafkaConfig;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads the audit topic from its first retained message to the end it had when the read began, and verifies the
 * chain on the way ({@link TopicChain}). Blocking: for the command line and tests, never the event loop.
 */
public final class TopicReader {
    private TopicReader() {}

    /** The verdict of {@link TopicChain#result()} over the whole topic. */
    public static JsonObject verify(KafkaConfig kafka, Optional<byte[]> chainKey, Duration timeout) {
        TopicChain chain = new TopicChain(chainKey);
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(KafkaClients.consumer(kafka, "agentidp-verify-audit-" + UUID.randomUUID()))) {
            List<PartitionInfo> info = consumer.partitionsFor(kafka.topic(), timeout);
            if (info == null || info.isEmpty()) {
                throw new UserFacingException("the topic " + kafka.topic() + " does not exist on " + kafka.brokers());
            }
            List<TopicPartition> partitions = info.stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            while (!reached(consumer, end)) {
                if (System.nanoTime() > deadline) {
                    throw new UserFacingException("could not read " + kafka.topic() + " to its end within "
                            + timeout.toSeconds() + " s; raise --timeout");
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (record.offset() < end.get(new TopicPartition(record.topic(), record.partition()))
                            && !chain.accept(record.value())) {
                        return chain.result();
                    }
                }
            }
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            throw new UserFacingException("Kafka did not answer within " + timeout.toSeconds() + " s ("
                    + String.join(",", kafka.brokers()) + "): " + e.getMessage());
        }
        return chain.result();
    }

    private static boolean reached(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> partition : end.entrySet()) {
            if (consumer.position(partition.getKey()) < partition.getValue()) {
                return false;
            }
        }
        return true;
    }
}
