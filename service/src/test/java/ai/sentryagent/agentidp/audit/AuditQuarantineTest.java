package ai.sentryagent.agentidp.audit;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.config.DatabaseUrl;
import ai.sentryagent.agentidp.observability.Metrics;
import ai.sentryagent.agentidp.store.Migrations;
import ai.sentryagent.agentidp.store.Postgres;
import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.TestServers;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * F-02: one event PostgreSQL cannot store must not stop the batched trail (CWE-778). Before the fix the failed batch
 * went back to the head of the queue and was retried forever: no later token.issued, authentication failure or
 * denial was ever written.
 */
@IntegrationTest
class AuditQuarantineTest {
    private Vertx vertx;
    private Pool pool;
    private Metrics metrics;
    private PgAudit audit;

    @BeforeEach
    void start() throws Exception {
        DatabaseUrl url = DatabaseUrl.parse(TestServers.get().createDatabase("auditq"));
        Migrations.apply(url);
        vertx = Vertx.vertx();
        pool = PgBuilder.pool()
                .with(new PoolOptions().setMaxSize(4))
                .connectingTo(Postgres.connectOptions(url))
                .using(vertx)
                .build();
        metrics = new Metrics();
        audit = Audits.create(vertx, pool, metrics);
    }

    @AfterEach
    void stop() throws Exception {
        await(pool.close());
        await(vertx.close());
    }

    /** An event as a caller that skipped {@link AuditEvent#of} could build it: nothing sanitised. */
    private static AuditEvent raw(String action, String outcome, String actor, JsonObject details) {
        return new AuditEvent(
                UUID.randomUUID(),
                Instant.now().truncatedTo(ChronoUnit.MICROS),
                action,
                outcome,
                null,
                actor,
                "127.0.0.1",
                null,
                details);
    }

    private static AuditEvent good(int n) {
        return AuditEvent.of(
                "token.issued", AuditEvent.SUCCESS, null, Audit.Context.SYSTEM, new JsonObject().put("n", n));
    }

    @Test
    void anUnstorableEventIsQuarantinedAndEveryOtherEventOfTheBatchAndAfterItIsWritten() throws Exception {
        for (int i = 0; i < 150; i++) {
            audit.enqueue(good(i));
        }
        // 22021: a NUL in a text column, as the report's client_id=%00AAA... produced.
        AuditEvent nul = raw("client.authentication_failed", AuditEvent.FAILURE, "\u0000" + "A".repeat(127), null);
        audit.enqueue(nul);
        for (int i = 150; i < 300; i++) {
            audit.enqueue(good(i));
        }
        // 22P05: a NUL inside jsonb. 23514: a value the outcome CHECK refuses, which no sanitiser can repair.
        AuditEvent jsonNul = raw("token.issued", AuditEvent.SUCCESS, "system", new JsonObject().put("x", "a\u0000b"));
        AuditEvent badOutcome = raw("token.issued", "maybe", "system", new JsonObject());
        audit.enqueue(jsonNul);
        audit.enqueue(badOutcome);
        for (int i = 300; i < 400; i++) {
            audit.enqueue(good(i));
        }

        await(audit.flush());

        assertThat(count("action = 'token.issued' AND details ? 'n'")).isEqualTo(400);
        assertThat(count("event_id IN ('" + nul.eventId() + "', '" + jsonNul.eventId() + "', '" + badOutcome.eventId()
                        + "')"))
                .isZero();
        List<JsonObject> placeholders = placeholders();
        assertThat(placeholders)
                .extracting(details -> details.getString("eventId"))
                .containsExactlyInAnyOrder(
                        nul.eventId().toString(),
                        jsonNul.eventId().toString(),
                        badOutcome.eventId().toString());
        assertThat(placeholders)
                .extracting(details -> details.getString("error"))
                .containsExactlyInAnyOrder("22021", "22P05", "23514");
        assertThat(metrics.scrape()).contains("agentidp_audit_quarantined_total 3.0");
        assertThat(metrics.scrape()).contains("agentidp_audit_oldest_pending_seconds 0.0");

        // The trail did not stop: later events keep landing, and the chain (placeholders included) verifies.
        for (int i = 400; i < 410; i++) {
            audit.enqueue(good(i));
        }
        await(audit.flush());
        assertThat(count("action = 'token.issued' AND details ? 'n'")).isEqualTo(410);
        Audit.Verification verification = await(audit.verify());
        assertThat(verification.valid()).as(verification.toJson().encode()).isTrue();
        assertThat(verification.checked()).isEqualTo(413);
    }

    @Test
    void theReportsAttackInputIsStoredEscapedAndEveryHostileVariantVerifies() throws Exception {
        List<Audit.Context> contexts = List.of(
                // The report: client_id=%00 followed by 200 A's (the token endpoint cut it to 128).
                new Audit.Context("\u0000" + "A".repeat(200), "127.0.0.1", "r1"),
                new Audit.Context("line\r\nforged: entry\u001b[31m\u007f\u0085", "10.0.0.1\u0000", "id\u2028x"),
                // A lone surrogate has no UTF-8 encoding; a pair cut at the limit would leave one.
                new Audit.Context("\ud800" + "x".repeat(254) + "\ud83d\ude00\ud83d\ude00", null, null),
                new Audit.Context(null, null, "\u0000".repeat(5000)));
        JsonObject hostile = new JsonObject()
                .put("k\u0000ey", "v\u0000")
                .put("nan", Double.NaN)
                .put("inf", Double.POSITIVE_INFINITY)
                .put("deep", new JsonObject(Map.of("a", Map.of("b", Map.of("c", Map.of("d", Map.of("e", "f")))))))
                .put("list", new JsonArray().add("\u0000").add(List.of("\ud800")))
                .put("when", Instant.EPOCH);
        JsonObject huge = new JsonObject();
        for (int i = 0; i < 100; i++) {
            huge.put("field" + i, "x".repeat(200));
        }
        List<AuditEvent> events = new ArrayList<>();
        for (Audit.Context context : contexts) {
            events.add(AuditEvent.of("client.authentication_failed", AuditEvent.FAILURE, null, context, hostile));
        }
        events.add(AuditEvent.of("token.issued", AuditEvent.SUCCESS, null, Audit.Context.SYSTEM, huge));
        events.forEach(audit::enqueue);

        await(audit.flush());

        assertThat(metrics.scrape()).doesNotContain("agentidp_audit_quarantined_total 1");
        assertThat(count("true")).isEqualTo(events.size());
        AuditEvent stored = await(audit.find(events.get(0).eventId())).orElseThrow();
        assertThat(stored.actor()).startsWith("\\u0000AAAA").hasSizeLessThanOrEqualTo(AuditFields.MAX_TEXT);
        AuditEvent forged = await(audit.find(events.get(1).eventId())).orElseThrow();
        assertThat(forged.actor()).doesNotContain("\r", "\n", "\u001b").contains("\\u000d\\u000a");
        assertThat(forged.clientIp()).isEqualTo("10.0.0.1\\u0000");
        assertThat(forged.details().getString("k\\u0000ey")).isEqualTo("v\\u0000");
        assertThat(forged.details().getString("nan")).isEqualTo("NaN");
        assertThat(await(audit.find(events.get(3).eventId())).orElseThrow().requestId())
                .hasSizeLessThanOrEqualTo(AuditFields.MAX_TEXT);
        assertThat(await(audit.find(events.get(4).eventId()))
                        .orElseThrow()
                        .details()
                        .getString("omitted"))
                .contains("over the limit of " + AuditFields.MAX_DETAILS);
        // What was stored is what was hashed: the chain verifies over every one of them.
        Audit.Verification verification = await(audit.verify());
        assertThat(verification.valid()).as(verification.toJson().encode()).isTrue();
        assertThat(verification.checked()).isEqualTo(events.size());
    }

    @Test
    void aTransientFailureKeepsTheEventsAndTheOldestPendingAgeShows() throws Exception {
        PgConnectOptions nowhere = new PgConnectOptions()
                .setHost("127.0.0.1")
                .setPort(1)
                .setDatabase("none")
                .setUser("none");
        Pool down = PgBuilder.pool().connectingTo(nowhere).using(vertx).build();
        Metrics downMetrics = new Metrics();
        PgAudit unreachable = Audits.create(vertx, down, downMetrics);
        // An event queued two minutes ago (its timestamp is when it happened), then the database refuses.
        unreachable.enqueue(new AuditEvent(
                UUID.randomUUID(),
                Instant.now().minusSeconds(120).truncatedTo(ChronoUnit.MICROS),
                "token.issued",
                AuditEvent.SUCCESS,
                null,
                "system",
                null,
                null,
                new JsonObject()));
        unreachable.enqueue(good(2));
        Throwable failure = unreachable
                .flush()
                .transform(done -> Future.succeededFuture(done.cause()))
                .toCompletionStage()
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        assertThat(failure).isNotNull();
        // A refused connection is transient: nothing is quarantined, the events wait for the next attempt, and
        // the gauge an operator alerts on shows how long the oldest has waited.
        assertThat(PgAudit.permanent(failure)).isFalse();
        assertThat(downMetrics.scrape()).doesNotContain("agentidp_audit_quarantined_total 1");
        assertThat(unreachable.oldestPendingSeconds()).isBetween(120.0, 600.0);
        assertThat(downMetrics.scrape()).containsPattern("agentidp_audit_oldest_pending_seconds 1[2-9][0-9]\\.");
        Throwable again = unreachable
                .flush()
                .transform(done -> Future.succeededFuture(done.cause()))
                .toCompletionStage()
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        assertThat(again).as("still queued, retried").isNotNull();
        assertThat(unreachable.oldestPendingSeconds()).isGreaterThanOrEqualTo(120.0);
        await(down.close());
    }

    private long count(String where) throws Exception {
        return await(pool.query("SELECT count(*) FROM audit_events WHERE " + where)
                .execute()
                .map(rows -> rows.iterator().next().getLong(0)));
    }

    private List<JsonObject> placeholders() throws Exception {
        return await(pool.query("SELECT details FROM audit_events WHERE action = '" + PgAudit.QUARANTINED + "'")
                .execute()
                .map(rows -> {
                    List<JsonObject> details = new ArrayList<>();
                    for (Row row : rows) {
                        details.add((JsonObject) row.getValue(0));
                    }
                    return details;
                }));
    }

    private static <T> T await(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
}
