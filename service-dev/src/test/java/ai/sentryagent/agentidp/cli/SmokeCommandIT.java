package ai.sentryagent.agentidp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.crypto.Pem;
import ai.sentryagent.agentidp.crypto.SigningKeys;
import ai.sentryagent.agentidp.testing.JarProcess;
import ai.sentryagent.agentidp.testing.RunningIdp;
import ai.sentryagent.agentidp.testing.TestServers;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code agentidp.jar smoke} against a local {@code dev} server (RS256), against a {@code serve} deployment that signs
 * ES256 and still publishes its previous RSA key, and against nothing.
 */
class SmokeCommandIT {
    @TempDir
    Path workDir;

    @Test
    void passesAgainstARunningDevServerAndFailsAgainstNothing() throws Exception {
        int port = TestServers.freePort();
        try (JarProcess dev = JarProcess.start(workDir, Map.of("PORT", Integer.toString(port)), "dev")) {
            dev.awaitStdout(
                    line -> line.equals("AgentIdP dev server listening on http://localhost:" + port),
                    Duration.ofSeconds(180));
            String secret = dev.awaitStdout(line -> line.startsWith("  client secret: "), Duration.ofSeconds(5))
                    .substring("  client secret: ".length());

            try (JarProcess smoke = JarProcess.start(
                    workDir,
                    Map.of("AGENTIDP_SMOKE_CLIENT_SECRET", secret),
                    "smoke",
                    "--url",
                    "http://localhost:" + port,
                    "--client-id",
                    "agentidp-admin")) {
                assertThat(smoke.waitForExit(Duration.ofSeconds(60)))
                        .as(String.join("\n", smoke.stdout()))
                        .isZero();
                assertThat(smoke.stdout())
                        .anyMatch(l -> l.matches("health\\s+PASS\\s+200.*"))
                        .anyMatch(l -> l.matches("readiness\\s+PASS.*"))
                        .anyMatch(l -> l.matches("metrics\\s+PASS.*"))
                        .anyMatch(l -> l.matches("jwks\\s+PASS\\s+1 key\\(s\\), RS256 kid .*"))
                        .anyMatch(l -> l.matches("token\\s+PASS\\s+200, RS256 signature verified.*"))
                        .anyMatch(l -> l.matches("tls\\s+SKIP\\s+not an https URL"))
                        .contains("smoke: all checks passed");
                assertThat(String.join("\n", smoke.stdout())).doesNotContain(secret);
            }
            try (JarProcess wrong = JarProcess.start(
                    workDir,
                    Map.of(),
                    "smoke",
                    "--url",
                    "http://localhost:" + port,
                    "--client-id",
                    "agentidp-admin",
                    "--client-secret",
                    "wrong")) {
                assertThat(wrong.waitForExit(Duration.ofSeconds(60))).isEqualTo(1);
                assertThat(wrong.stdout()).anyMatch(l -> l.matches("token\\s+FAIL\\s+token request answered 401.*"));
            }
            dev.signal("TERM");
            assertThat(dev.waitForExit(Duration.ofSeconds(60))).isZero();
        }
        try (JarProcess nothing = JarProcess.start(
                workDir, Map.of(), "smoke", "--url", "http://127.0.0.1:" + TestServers.freePort(), "--timeout", "2")) {
            assertThat(nothing.waitForExit(Duration.ofSeconds(60))).isEqualTo(1);
            assertThat(nothing.stdout())
                    .anyMatch(l -> l.matches("health\\s+FAIL.*"))
                    .contains("smoke: 5 check(s) failed");
        }
    }

    @Test
    void verifiesAnEs256DeploymentByKidWhileThePreviousRsaKeyIsStillPublished() throws Exception {
        // The case smoke used to fail ("first key is not a public RSA key"): the JWKS of a deployment that rotated
        // from RS256 to ES256 (RFC 7517 §5: a set of keys, selected by kid — RFC 7515 §4.1.4 — not by position).
        KeyPair ec = SigningKeys.generateP256();
        int port = TestServers.freePort();
        Map<String, String> env = new HashMap<>(RunningIdp.defaultVariables());
        env.put("PORT", Integer.toString(port));
        env.put("JWT_PRIVATE_KEY", Pem.escape(Pem.encodePrivate(ec.getPrivate())));
        env.put("JWT_PUBLIC_KEY", Pem.encodePublic(ec.getPublic()));
        env.put("JWT_PREVIOUS_PUBLIC_KEYS", Pem.encodePublic(RunningIdp.keys().getPublic()));
        try (JarProcess serve = JarProcess.start(workDir, env, "serve")) {
            serve.awaitStdout(line -> line.contains("AgentIdP listening on port " + port), Duration.ofSeconds(90));
            try (JarProcess smoke = JarProcess.start(
                    workDir,
                    Map.of("AGENTIDP_SMOKE_CLIENT_SECRET", RunningIdp.ADMIN_SECRET),
                    "smoke",
                    "--url",
                    "http://localhost:" + port,
                    "--client-id",
                    RunningIdp.ADMIN_CLIENT_ID)) {
                assertThat(smoke.waitForExit(Duration.ofSeconds(60)))
                        .as(String.join("\n", smoke.stdout()))
                        .isZero();
                assertThat(smoke.stdout())
                        .anyMatch(l -> l.matches("jwks\\s+PASS\\s+2 key\\(s\\), ES256 kid \\S+, RS256 kid .*"))
                        .anyMatch(l -> l.matches("token\\s+PASS\\s+200, ES256 signature verified against the JWKS.*"))
                        .contains("smoke: all checks passed");
            }
            serve.signal("TERM");
            assertThat(serve.waitForExit(Duration.ofSeconds(40))).isZero();
        }
    }
}
