package ai.sentryagent.agentidp.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RunningIdp;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

@IntegrationTest
class BootstrapTest {
    @Test
    void changingTheBootstrapSecretRotatesIt() throws Exception {
        String newSecret = "rotated-bootstrap-admin-secret-abcdefghijklmnop";
        try (RunningIdp idp = RunningIdp.start()) {
            assertThat(idp.adminToken()).isNotBlank();
        }
        try (RunningIdp idp = RunningIdp.start(Map.of("BOOTSTRAP_ADMIN_SECRET", newSecret))) {
            assertThat(idp.postForm(
                                    "/api/v1/token",
                                    "grant_type=client_credentials",
                                    RunningIdp.ADMIN_CLIENT_ID,
                                    RunningIdp.ADMIN_SECRET)
                            .statusCode())
                    .isEqualTo(401);
            assertThat(idp.token(RunningIdp.ADMIN_CLIENT_ID, newSecret, null)).isNotBlank();
        }
        // Back to the shared secret, so other test classes keep working; the restart is idempotent.
        try (RunningIdp idp = RunningIdp.start()) {
            assertThat(idp.adminToken()).isNotBlank();
            try (RunningIdp second = RunningIdp.start()) {
                assertThat(second.adminToken()).isNotBlank();
            }
        }
    }

    @Test
    void aCustomBootstrapClientIdIsHonouredAndTheOldOneRetired() throws Exception {
        String oldToken;
        try (RunningIdp idp = RunningIdp.start()) {
            oldToken = idp.adminToken();
        }
        try (RunningIdp idp = RunningIdp.start(Map.of("BOOTSTRAP_ADMIN_CLIENT_ID", "ops-root"))) {
            assertThat(idp.token("ops-root", RunningIdp.ADMIN_SECRET, "admin")).isNotBlank();
            // F-19: the client id no longer configured is a retired built-in, not a second administrator.
            assertThat(idp.call("GET", "/api/v1/agents", oldToken, null).statusCode())
                    .isEqualTo(401);
            assertThat(idp.postForm(
                                    "/api/v1/token",
                                    "grant_type=client_credentials",
                                    RunningIdp.ADMIN_CLIENT_ID,
                                    RunningIdp.ADMIN_SECRET)
                            .statusCode())
                    .isEqualTo(401);
        }
        try (RunningIdp idp = RunningIdp.start()) {
            assertThat(idp.adminToken()).isNotBlank();
        }
    }

    /**
     * F-19: unsetting BOOTSTRAP_ADMIN_SECRET retires the bootstrap administrator (the Keycloak model: a temporary
     * admin that goes away once real administrators exist). Before the fix the old secret still got tokens and its
     * tokens kept working.
     */
    @Test
    void unsettingTheBootstrapSecretRetiresTheAdministrator() throws Exception {
        String oldToken;
        long retiredBefore;
        try (RunningIdp idp = RunningIdp.start()) {
            oldToken = idp.adminToken();
            retiredBefore = retirements(idp, oldToken);
        }
        for (int restart = 0; restart < 2; restart++) {
            try (RunningIdp idp = RunningIdp.start(Map.of("BOOTSTRAP_ADMIN_SECRET", ""))) {
                assertThat(idp.call("GET", "/api/v1/agents", oldToken, null).statusCode())
                        .isEqualTo(401);
                assertThat(idp.postForm(
                                        "/api/v1/token/introspect",
                                        "token=" + oldToken,
                                        RunningIdp.ADMIN_CLIENT_ID,
                                        RunningIdp.ADMIN_SECRET)
                                .statusCode())
                        .isEqualTo(401); // the retired client cannot even authenticate to ask
                assertThat(idp.postForm(
                                        "/api/v1/token",
                                        "grant_type=client_credentials",
                                        RunningIdp.ADMIN_CLIENT_ID,
                                        RunningIdp.ADMIN_SECRET)
                                .statusCode())
                        .isEqualTo(401);
            }
        }
        // Set again, it comes back with the secret; the tokens from before the retirement stay dead.
        try (RunningIdp idp = RunningIdp.start()) {
            String admin = idp.adminToken();
            assertThat(idp.call("GET", "/api/v1/agents", oldToken, null).statusCode())
                    .isEqualTo(401);
            // One retirement: the second start without the secret found nothing left to retire.
            assertThat(retirements(idp, admin)).isEqualTo(retiredBefore + 1);
            HttpResponse<String> trail = idp.call("GET", "/api/v1/audit?action=agent.retired", admin, null);
            assertThat(new JsonObject(trail.body())
                            .getJsonArray("items")
                            .getJsonObject(0)
                            .getString("actor"))
                    .isEqualTo("system");
        }
    }

    private static long retirements(RunningIdp idp, String admin) throws Exception {
        HttpResponse<String> trail = idp.call("GET", "/api/v1/audit?action=agent.retired&limit=100", admin, null);
        return new JsonObject(trail.body())
                .getJsonArray("items").stream()
                        .map(JsonObject.class::cast)
                        .filter(event -> RunningIdp.ADMIN_CLIENT_ID.equals(
                                event.getJsonObject("details").getString("clientId")))
                        .count();
    }
}
