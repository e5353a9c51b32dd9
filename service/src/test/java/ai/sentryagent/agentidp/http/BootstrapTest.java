package ai.sentryagent.agentidp.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.testing.RunningIdp;
import java.util.Map;
import org.junit.jupiter.api.Test;

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
    void aCustomBootstrapClientIdIsHonoured() throws Exception {
        try (RunningIdp idp = RunningIdp.start(Map.of("BOOTSTRAP_ADMIN_CLIENT_ID", "ops-root"))) {
            assertThat(idp.token("ops-root", RunningIdp.ADMIN_SECRET, "admin")).isNotBlank();
        }
    }
}
