package ai.sentryagent.agentidp.audit;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.config.DatabaseUrl;
import ai.sentryagent.agentidp.observability.Metrics;
import ai.sentryagent.agentidp.store.Migrations;
import ai.sentryagent.agentidp.store.Postgres;
import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RunningIdp;
import ai.sentryagent.agentidp.testing.TestServers;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * F-11: every {@code /api/v1/audit/verify} rehashed the whole table on the event loop, and 20 parallel calls slowed
 * every request about 40 times; listings paid a deep OFFSET and a count(*) per page.
 */
@IntegrationTest
class AuditVerificationTest {
    private static final int EVENTS = 10_000;
    private static String url;

    /** A trail of some size, written by the production writer with the test instances' chain key. */
    @BeforeAll
    static void trail() throws Exception {
        url = TestServers.get().createDatabase("auditload");
        DatabaseUrl parsed = DatabaseUrl.parse(url);
        Migrations.apply(parsed);
        Vertx vertx = Vertx.vertx();
        Pool pool = PgBuilder.pool()
                .with(new PoolOptions().setMaxSize(2))
                .connectingTo(Postgres.connectOptions(parsed))
                .using(vertx)
                .build();
        PgAudit audit = Audits.create(vertx, pool, new Metrics());
        for (int i = 0; i < EVENTS; i++) {
            audit.enqueue(AuditEvent.of(
                    "token.issued",
                    AuditEvent.SUCCESS,
                    null,
                    new Audit.Context("client-" + (i % 50), "10.0.0." + (i % 200), "req-" + i),
                    new JsonObject().put("scope", "weather:read").put("n", i)));
        }
        audit.flush().toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
        pool.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static double metric(RunningIdp idp, String name) throws Exception {
        Matcher value = Pattern.compile("(?m)^" + name + " ([0-9.E+-]+)$")
                .matcher(idp.get("/metrics").body());
        return value.find() ? Double.parseDouble(value.group(1)) : 0;
    }

    @Test
    void parallelVerificationsShareOneRunOffTheEventLoopAndTheNextOneHashesOnlyNewEvents() throws Exception {
        try (RunningIdp idp = RunningIdp.start(Map.of("DATABASE_URL", url))) {
            String admin = idp.adminToken();
            awaitBatchedTokenEvent(idp, admin);
            HttpClient client = HttpClient.newHttpClient();
            List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                calls.add(client.sendAsync(
                        idp.request("/api/v1/audit/verify")
                                .header("Authorization", "Bearer " + admin)
                                .build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            CompletableFuture<Void> all = CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new));
            // Liveness while the chain is being checked: /health keeps answering at once.
            long slowestHealthMs = 0;
            do {
                long started = System.nanoTime();
                assertThat(idp.get("/health").statusCode()).isEqualTo(200);
                slowestHealthMs = Math.max(slowestHealthMs, (System.nanoTime() - started) / 1_000_000);
            } while (!all.isDone());
            assertThat(slowestHealthMs).isLessThan(1_000);

            long checked = 0;
            for (CompletableFuture<HttpResponse<String>> call : calls) {
                HttpResponse<String> response = call.get(60, TimeUnit.SECONDS);
                assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
                JsonObject verification = new JsonObject(response.body());
                assertThat(verification.getBoolean("valid")).isTrue();
                checked = Math.max(checked, verification.getLong("checked"));
            }
            assertThat(checked).isGreaterThanOrEqualTo(EVENTS);
            assertThat(metric(idp, "agentidp_audit_verifications_total")).isLessThan(20);
            // Each event was hashed once in this process, however many checks asked: one ran at a time, and each
            // started where the previous one ended.
            assertThat(metric(idp, "agentidp_audit_verified_events_total")).isEqualTo((double) checked);

            for (int i = 0; i < 3; i++) {
                // With the token already held: agent.registered is written in its transaction, nothing is batched.
                assertThat(idp.call(
                                        "POST",
                                        "/api/v1/agents",
                                        admin,
                                        new JsonObject()
                                                .put("name", "later-" + i)
                                                .put("owner", "o")
                                                .put("scopes", new io.vertx.core.json.JsonArray()))
                                .statusCode())
                        .isEqualTo(201);
            }
            JsonObject next = new JsonObject(
                    idp.call("GET", "/api/v1/audit/verify", admin, null).body());
            assertThat(next.getBoolean("valid")).isTrue();
            // Only the new events were hashed (the start-up check may have taken some of them already).
            assertThat(next.getLong("checked") - checked).isEqualTo(3);
            assertThat(next.getLong("hashed")).isLessThanOrEqualTo(next.getLong("checked") - checked);
            assertThat(metric(idp, "agentidp_audit_verified_events_total")).isEqualTo((double) next.getLong("checked"));
        }
    }

    /** Waits until the admin token's token.issued event is written, so nothing else lands during the checks. */
    private static void awaitBatchedTokenEvent(RunningIdp idp, String admin) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!new JsonObject(idp.call("GET", "/api/v1/audit?action=token.issued&limit=1", admin, null)
                        .body())
                .getJsonArray("items")
                .getJsonObject(0)
                .getString("actor")
                .equals(RunningIdp.ADMIN_CLIENT_ID)) {
            assertThat(System.nanoTime())
                    .as("the batch writer wrote nothing for 30 s")
                    .isLessThan(deadline);
        }
    }

    @Test
    void theListingPagesWithACursorInsteadOfOffsetAndCount() throws Exception {
        try (RunningIdp idp = RunningIdp.start(Map.of("DATABASE_URL", url))) {
            String admin = idp.adminToken();
            Set<String> seen = new HashSet<>();
            Instant previous = Instant.MAX;
            String cursor = null;
            for (int page = 0; page < 4; page++) {
                JsonObject body = new JsonObject(idp.call(
                                "GET",
                                "/api/v1/audit?action=token.issued&limit=100"
                                        + (cursor == null ? "" : "&cursor=" + cursor),
                                admin,
                                null)
                        .body());
                assertThat(body.fieldNames()).containsExactlyInAnyOrder("items", "limit", "next");
                assertThat(body.getJsonArray("items")).hasSize(100);
                for (Object item : body.getJsonArray("items")) {
                    JsonObject event = (JsonObject) item;
                    assertThat(seen.add(event.getString("eventId"))).isTrue();
                    Instant at = Instant.parse(event.getString("timestamp"));
                    assertThat(at).isBeforeOrEqualTo(previous);
                    previous = at;
                }
                cursor = body.getString("next");
                assertThat(cursor).matches("\\d+_\\d+");
            }
            HttpResponse<String> deep = idp.call("GET", "/api/v1/audit?page=200", admin, null);
            assertThat(deep.statusCode()).isEqualTo(400);
            assertThat(deep.body()).contains("cursor");
            for (String bad : List.of(
                    "abc",
                    "1_",
                    "_1",
                    "1_2_3",
                    "99999999999999999_1",
                    "-1_2",
                    "1%00_2",
                    "-_-",
                    "%EF%BC%91_1",
                    "1_1&cursor=1_2")) {
                HttpResponse<String> response = idp.call("GET", "/api/v1/audit?cursor=" + bad, admin, null);
                assertThat(response.statusCode()).as(bad).isEqualTo(400);
                assertThat(new JsonObject(response.body()).getString("error")).isEqualTo("invalid_request");
            }
            JsonObject last = new JsonObject(idp.call("GET", "/api/v1/audit?limit=100&cursor=1_1", admin, null)
                    .body());
            assertThat(last.getJsonArray("items")).isEmpty();
            assertThat(last.getValue("next")).isNull();
        }
    }
}
