package ai.sentryagent.agentidp.audit.stream;

import static ai.sentryagent.agentidp.audit.stream.StreamFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RunningIdp;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The topic verifier against what the production writer (PgAudit, AuditChain) stored: the messages are the relay's
 * encoding of real rows, so a verifier that disagreed with the writer's hash would fail here, not only in the ITs.
 * The topic's failure modes are Kafka's: at-least-once redelivery, and messages lost to retention or never sent.
 */
@IntegrationTest
class TopicChainTest {
    private static final Optional<byte[]> KEY =
            Optional.of(RunningIdp.AUDIT_CHAIN_KEY.getBytes(StandardCharsets.UTF_8));
    private static List<byte[]> messages;

    @BeforeAll
    static void publishedTrail() throws Exception {
        try (StreamFixture db = new StreamFixture("topic_chain")) {
            db.append(12);
            messages = new ArrayList<>();
            for (Row row : await(db.pool
                    .query("SELECT " + StreamedEvent.COLUMNS + " FROM audit_events ORDER BY seq")
                    .execute())) {
                messages.add(StreamedEvent.of(row).toJson().encode().getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    private static JsonObject verify(Optional<byte[]> key, List<byte[]> topic) {
        TopicChain chain = new TopicChain(key);
        topic.forEach(chain::accept);
        return chain.result();
    }

    @Test
    void theStoredTrailVerifiesWithTheKeyAndRedeliveryIsOnlyDuplicates() {
        List<byte[]> topic = new ArrayList<>(messages);
        topic.addAll(messages.subList(3, 9)); // a batch sent again after a lost acknowledgement
        JsonObject verdict = verify(KEY, topic);
        assertThat(verdict.getBoolean("valid")).as(verdict.encode()).isTrue();
        assertThat(verdict.getLong("events")).isEqualTo(12);
        assertThat(verdict.getLong("duplicates")).isEqualTo(6);
    }

    @Test
    void aMessageMissingFromTheTopicBreaksTheChainThere() {
        List<byte[]> topic = new ArrayList<>(messages);
        byte[] lost = topic.remove(5);
        JsonObject verdict = verify(Optional.empty(), topic);
        assertThat(verdict.getBoolean("valid")).isFalse();
        assertThat(verdict.getJsonObject("brokenAt").getLong("seq"))
                .isEqualTo(StreamedEvent.fromJson(lost).seq() + 1);
        assertThat(verdict.getJsonObject("brokenAt").getString("reason")).contains("do not link");
    }

    @Test
    void messagesOutOfOrderStillVerifyByTheirLinks() {
        List<byte[]> topic = new ArrayList<>(messages);
        Collections.swap(topic, 4, 5);
        assertThat(verify(KEY, topic).getBoolean("valid")).isTrue();
    }

    @Test
    void anEditedEventIsFoundWithTheKeyOnly() {
        List<byte[]> topic = new ArrayList<>(messages);
        JsonObject edited = new JsonObject(new String(topic.get(7), StandardCharsets.UTF_8)).put("outcome", "denied");
        topic.set(7, edited.encode().getBytes(StandardCharsets.UTF_8));
        JsonObject withKey = verify(KEY, topic);
        assertThat(withKey.getBoolean("valid")).isFalse();
        assertThat(withKey.getJsonObject("brokenAt").getLong("seq")).isEqualTo(edited.getLong("seq"));
        // The links alone cannot see it: the edit kept the stored hash. The verdict says it checked links only.
        JsonObject linksOnly = verify(Optional.empty(), topic);
        assertThat(linksOnly.getBoolean("valid")).isTrue();
        assertThat(linksOnly.getString("hashesChecked")).startsWith("links only");
    }
}
