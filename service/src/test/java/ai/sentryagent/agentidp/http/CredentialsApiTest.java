package ai.sentryagent.agentidp.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RunningIdp;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Client credentials through HTTP: created once-visible, listed without secrets, rotated, revoked. */
@IntegrationTest
class CredentialsApiTest {
    private static RunningIdp idp;
    private static String admin;

    @BeforeAll
    static void start() throws Exception {
        idp = RunningIdp.start();
        admin = idp.adminToken();
    }

    @AfterAll
    static void stop() throws Exception {
        idp.close();
    }

    private static int tokenStatus(String clientId, String secret) throws Exception {
        return idp.postForm("/api/v1/token", "grant_type=client_credentials", clientId, secret)
                .statusCode();
    }

    @Test
    void createShowsTheSecretOnceAndListNeverDoes() throws Exception {
        String id = idp.createAgent("cred-owner", "weather:read").getString("agentId");
        HttpResponse<String> response = idp.call("POST", "/api/v1/agents/" + id + "/credentials", admin, null);
        assertThat(response.statusCode()).isEqualTo(201);
        assertThat(response.headers().firstValue("cache-control")).hasValue("no-store");
        JsonObject created = new JsonObject(response.body());
        assertThat(created.fieldNames())
                .containsExactlyInAnyOrder("credentialId", "clientId", "clientSecret", "createdAt", "expiresAt");
        assertThat(created.getString("clientId")).isEqualTo(id);
        assertThat(created.getString("clientSecret")).matches("sa_cs_[A-Za-z0-9_-]{43}");
        assertThat(response.headers().firstValue("location"))
                .hasValue("/api/v1/agents/" + id + "/credentials/" + created.getString("credentialId"));

        HttpResponse<String> listed = idp.call("GET", "/api/v1/agents/" + id + "/credentials", admin, null);
        assertThat(listed.statusCode()).isEqualTo(200);
        assertThat(listed.body())
                .doesNotContain(created.getString("clientSecret"))
                .doesNotContain("clientSecret");
        JsonObject item = new JsonObject(listed.body()).getJsonArray("items").getJsonObject(0);
        assertThat(item.getString("credentialId")).isEqualTo(created.getString("credentialId"));
        assertThat(item.getString("status")).isEqualTo("active");

        try (var db = ai.sentryagent.agentidp.testing.TestServers.get().jdbc();
                var rows = db.createStatement()
                        .executeQuery("SELECT secret_hash FROM credentials WHERE credential_id" + " = '"
                                + created.getString("credentialId") + "'")) {
            assertThat(rows.next()).isTrue();
            assertThat(rows.getBytes(1)).hasSize(32);
            assertThat(new String(rows.getBytes(1), java.nio.charset.StandardCharsets.ISO_8859_1))
                    .doesNotContain("sa_cs_");
        }
    }

    @Test
    void severalCredentialsWorkSideBySide() throws Exception {
        String id = idp.createAgent("two-creds", "weather:read").getString("agentId");
        String first = idp.createCredential(id).getString("clientSecret");
        String second = idp.createCredential(id).getString("clientSecret");
        assertThat(tokenStatus(id, first)).isEqualTo(200);
        assertThat(tokenStatus(id, second)).isEqualTo(200);
    }

    @Test
    void rotationReplacesTheSecretImmediately() throws Exception {
        String id = idp.createAgent("rotate-now", "weather:read").getString("agentId");
        JsonObject old = idp.createCredential(id);
        HttpResponse<String> response = idp.call(
                "POST",
                "/api/v1/agents/" + id + "/credentials/" + old.getString("credentialId") + "/rotate",
                admin,
                null);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        JsonObject fresh = new JsonObject(response.body());
        assertThat(fresh.getString("replaces")).isEqualTo(old.getString("credentialId"));
        assertThat(fresh.getString("clientSecret")).isNotEqualTo(old.getString("clientSecret"));
        assertThat(tokenStatus(id, old.getString("clientSecret"))).isEqualTo(401);
        assertThat(tokenStatus(id, fresh.getString("clientSecret"))).isEqualTo(200);

        JsonObject listedOld = new JsonObject(idp.call("GET", "/api/v1/agents/" + id + "/credentials", admin, null)
                        .body())
                .getJsonArray("items").stream()
                        .map(JsonObject.class::cast)
                        .filter(c -> c.getString("credentialId").equals(old.getString("credentialId")))
                        .findFirst()
                        .orElseThrow();
        assertThat(listedOld.getString("status")).isEqualTo("revoked");
        assertThat(listedOld.getString("replacedBy")).isEqualTo(fresh.getString("credentialId"));

        HttpResponse<String> again = idp.call(
                "POST",
                "/api/v1/agents/" + id + "/credentials/" + old.getString("credentialId") + "/rotate",
                admin,
                null);
        assertThat(again.statusCode()).isEqualTo(409);
    }

    @Test
    void rotationWithAGracePeriodKeepsTheOldSecretWorkingUntilItEnds() throws Exception {
        String id = idp.createAgent("rotate-grace", "weather:read").getString("agentId");
        JsonObject old = idp.createCredential(id);
        JsonObject fresh = new JsonObject(idp.call(
                        "POST",
                        "/api/v1/agents/" + id + "/credentials/" + old.getString("credentialId") + "/rotate",
                        admin,
                        new JsonObject().put("gracePeriodSeconds", 3600))
                .body());
        assertThat(tokenStatus(id, old.getString("clientSecret"))).isEqualTo(200);
        assertThat(tokenStatus(id, fresh.getString("clientSecret"))).isEqualTo(200);
        // The grace period ends (moved into the past behind the service's back).
        try (var db = ai.sentryagent.agentidp.testing.TestServers.get().jdbc();
                var statement = db.createStatement()) {
            statement.execute("UPDATE credentials SET expires_at = now() - interval '1 second' WHERE credential_id = '"
                    + old.getString("credentialId") + "'");
        }
        // A change made in SQL reaches the task's client directory by PostgreSQL NOTIFY, within moments rather than
        // before the next request (ClientDirectoryFreshnessTest): wait for it, as briefly as that test allows.
        await().atMost(Duration.ofSeconds(3))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> tokenStatus(id, old.getString("clientSecret")) == 401);
        assertThat(tokenStatus(id, fresh.getString("clientSecret"))).isEqualTo(200);

        HttpResponse<String> tooLong = idp.call(
                "POST",
                "/api/v1/agents/" + id + "/credentials/" + fresh.getString("credentialId") + "/rotate",
                admin,
                new JsonObject().put("gracePeriodSeconds", 99_999_999));
        assertThat(tooLong.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(tooLong.body()).getString("message")).contains("gracePeriodSeconds");
    }

    @Test
    void aCredentialAlreadyRotatedCannotBeRotatedAgain() throws Exception {
        // F-16 follow-up: rotating the same (still in grace) credential twice left two live replacements, one of
        // them a secret nobody rolled out. Twice in a row, and twice at once (the row lock decides).
        String id = idp.createAgent("rotate-twice", "weather:read").getString("agentId");
        JsonObject old = idp.createCredential(id);
        String rotate = "/api/v1/agents/" + id + "/credentials/" + old.getString("credentialId") + "/rotate";
        JsonObject grace = new JsonObject().put("gracePeriodSeconds", 3600);
        HttpResponse<String> first = idp.call("POST", rotate, admin, grace);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
        for (JsonObject body : Arrays.asList(grace, null)) {
            HttpResponse<String> again = idp.call("POST", rotate, admin, body);
            assertThat(again.statusCode()).as(again.body()).isEqualTo(409);
            assertThat(new JsonObject(again.body()).getString("error")).isEqualTo("conflict");
            assertThat(new JsonObject(again.body()).getString("message")).contains("already rotated");
        }

        JsonObject other = idp.createCredential(id);
        String rotateOther = "/api/v1/agents/" + id + "/credentials/" + other.getString("credentialId") + "/rotate";
        List<CompletableFuture<Integer>> calls = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            calls.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return idp.call("POST", rotateOther, admin, grace).statusCode();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        assertThat(calls.stream().map(CompletableFuture::join)).containsExactlyInAnyOrder(201, 409, 409, 409);
        // The agent holds the two originals (in grace) and exactly two replacements.
        HttpResponse<String> listed = idp.call("GET", "/api/v1/agents/" + id + "/credentials", admin, null);
        assertThat(new JsonObject(listed.body()).getJsonArray("items")).hasSize(4);
    }

    @Test
    void revokeStopsTheSecretAndIsIdempotent() throws Exception {
        String id = idp.createAgent("revoke-cred", "weather:read").getString("agentId");
        JsonObject credential = idp.createCredential(id);
        String path = "/api/v1/agents/" + id + "/credentials/" + credential.getString("credentialId");
        assertThat(idp.call("DELETE", path, admin, null).statusCode()).isEqualTo(204);
        assertThat(idp.call("DELETE", path, admin, null).statusCode()).isEqualTo(204);
        assertThat(tokenStatus(id, credential.getString("clientSecret"))).isEqualTo(401);
        assertThat(idp.call("DELETE", "/api/v1/agents/" + id + "/credentials/" + UUID.randomUUID(), admin, null)
                        .statusCode())
                .isEqualTo(404);
    }

    @Test
    void expiresAtIsValidatedAndHonoured() throws Exception {
        String id = idp.createAgent("expiring", "weather:read").getString("agentId");
        String path = "/api/v1/agents/" + id + "/credentials";
        Instant in = Instant.now().plus(1, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
        HttpResponse<String> ok = idp.call("POST", path, admin, new JsonObject().put("expiresAt", in.toString()));
        assertThat(ok.statusCode()).isEqualTo(201);
        assertThat(Instant.parse(new JsonObject(ok.body()).getString("expiresAt")))
                .isEqualTo(in);

        for (String bad :
                new String[] {"yesterday", Instant.now().minusSeconds(60).toString(), "2999-01-01T00:00:00Z"}) {
            HttpResponse<String> response = idp.call("POST", path, admin, new JsonObject().put("expiresAt", bad));
            assertThat(response.statusCode()).as(bad).isEqualTo(400);
            assertThat(new JsonObject(response.body()).getString("message")).startsWith("expiresAt");
        }
        HttpResponse<String> unknownField = idp.call("POST", path, admin, new JsonObject().put("secret", "mine"));
        assertThat(unknownField.statusCode()).isEqualTo(400);
    }

    @Test
    void decommissionedAgentsGetNoCredentialsAndUnknownAgentsAre404() throws Exception {
        String id = idp.createAgent("gone", "weather:read").getString("agentId");
        String secret = idp.createCredential(id).getString("clientSecret");
        idp.call("DELETE", "/api/v1/agents/" + id, admin, null);
        HttpResponse<String> refused = idp.call("POST", "/api/v1/agents/" + id + "/credentials", admin, null);
        assertThat(refused.statusCode()).isEqualTo(409);
        assertThat(tokenStatus(id, secret)).isEqualTo(401);
        JsonObject listed = new JsonObject(idp.call("GET", "/api/v1/agents/" + id + "/credentials", admin, null)
                .body());
        assertThat(listed.getJsonArray("items").getJsonObject(0).getString("status"))
                .isEqualTo("revoked");

        assertThat(idp.call("POST", "/api/v1/agents/" + UUID.randomUUID() + "/credentials", admin, null)
                        .statusCode())
                .isEqualTo(404);
        assertThat(idp.call("GET", "/api/v1/agents/" + UUID.randomUUID() + "/credentials", admin, null)
                        .statusCode())
                .isEqualTo(404);
        assertThat(idp.call("POST", "/api/v1/agents/" + id + "/credentials/nope/rotate", admin, null)
                        .statusCode())
                .isEqualTo(400);
    }
}
