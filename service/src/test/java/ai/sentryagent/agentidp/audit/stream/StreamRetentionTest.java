package ai.sentryagent.agentidp.audit.stream;

import static ai.sentryagent.agentidp.audit.stream.StreamFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.testing.IntegrationTest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Retention and the stream: an event old enough to prune but not yet acknowledged by Kafka stays in the table, or
 * the topic would silently miss it (at-least-once means nothing committed is lost). No Kafka needed: the bound is
 * the position PostgreSQL holds.
 */
@IntegrationTest
class StreamRetentionTest {
    @Test
    void retentionStopsAtThePublishedPositionAndFollowsItLater() throws Exception {
        try (StreamFixture db = new StreamFixture("stream_retention")) {
            List<Long> seqs = db.appendOld(20, Duration.ofDays(10));
            long published = seqs.get(7);
            position(db, "agentidp.audit", published);

            assertThat(await(db.audit.prune(Duration.ofDays(1)))).isEqualTo(8);
            assertThat(db.committed().keySet()).containsExactlyElementsOf(seqs.subList(8, 20));

            position(db, "agentidp.audit", seqs.get(19));
            assertThat(await(db.audit.prune(Duration.ofDays(1)))).isEqualTo(12);
            assertThat(db.committed()).isEmpty();
        }
    }

    @Test
    void withoutAStreamRetentionIsUnchanged() throws Exception {
        try (StreamFixture db = new StreamFixture("stream_noretention")) {
            db.appendOld(5, Duration.ofDays(10));
            assertThat(await(db.audit.prune(Duration.ofDays(1)))).isEqualTo(5);
        }
    }

    private static void position(StreamFixture db, String stream, long seq) throws Exception {
        try (Connection c = db.jdbc();
                PreparedStatement s = c.prepareStatement("INSERT INTO audit_stream_position VALUES (?, ?, now()) ON"
                        + " CONFLICT (stream) DO UPDATE SET published_seq = excluded.published_seq")) {
            s.setString(1, stream);
            s.setLong(2, seq);
            s.executeUpdate();
        }
    }
}
