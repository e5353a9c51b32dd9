package ai.sentryagent.agentidp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.crypto.Pem;
import ai.sentryagent.agentidp.crypto.SigningKeys;
import ai.sentryagent.agentidp.testing.JarProcess;
import ai.sentryagent.agentidp.testing.RunningIdp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code keygen} and {@code migrate}, run from the packaged jar. */
class OperatorCommandsIT {
    @TempDir
    Path workDir;

    @Test
    void keygenWritesAUsablePairAndNeverPrintsThePrivateKey() throws Exception {
        try (JarProcess keygen = JarProcess.start(workDir, Map.of(), "keygen", "--out", "keys")) {
            assertThat(keygen.waitForExit(Duration.ofSeconds(60))).isZero();
            String output = String.join("\n", keygen.stdout());
            assertThat(output).contains("jwt_private.pem").doesNotContain("PRIVATE KEY-----");
            Path keys = workDir.resolve("keys");
            String privatePem = Files.readString(keys.resolve("jwt_private.pem"));
            String publicPem = Files.readString(keys.resolve("jwt_public.pem"));
            SigningKeys pair = SigningKeys.fromPem(privatePem, publicPem, List.of());
            assertThat(output).contains(pair.current().kid());
            assertThat(((RSAPublicKey) pair.current().key()).getModulus().bitLength())
                    .isEqualTo(2048);
            String oneLine = Files.readString(keys.resolve("jwt_private.oneline"));
            assertThat(oneLine).doesNotContain("\n");
            assertThat(Pem.privateKey(oneLine)).isEqualTo(pair.privateKey());
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keys.resolve("jwt_private.pem"))))
                    .isEqualTo("rw-------");
        }
        try (JarProcess again = JarProcess.start(workDir, Map.of(), "keygen", "--out", "keys")) {
            assertThat(again.waitForExit(Duration.ofSeconds(60))).isEqualTo(1);
            assertThat(again.stderr()).hasSize(1);
            assertThat(again.stderr().get(0)).contains("already exists; use --force");
        }
    }

    @Test
    void migrateAppliesTheSchemaAndExitsZeroTwice() throws Exception {
        Map<String, String> env =
                Map.of("DATABASE_URL", RunningIdp.defaultVariables().get("DATABASE_URL"));
        for (int run = 0; run < 2; run++) {
            try (JarProcess migrate = JarProcess.start(workDir, env, "migrate")) {
                assertThat(migrate.waitForExit(Duration.ofSeconds(120)))
                        .as(String.join("\n", migrate.stdout()))
                        .isZero();
                assertThat(migrate.stdout()).anyMatch(line -> line.contains("database schema at version"));
            }
        }
        try (JarProcess missing = JarProcess.start(workDir, Map.of(), "migrate")) {
            assertThat(missing.waitForExit(Duration.ofSeconds(60))).isEqualTo(2);
            assertThat(missing.stderr())
                    .containsExactly("agentidp: invalid configuration: DATABASE_URL is required"
                            + " (postgres://user:password@host:5432/database)");
        }
    }
}
