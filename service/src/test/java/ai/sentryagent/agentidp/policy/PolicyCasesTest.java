package ai.sentryagent.agentidp.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sentryagent.agentidp.config.Scopes;
import ai.sentryagent.agentidp.http.Routes;
import ai.sentryagent.agentidp.testing.RunningIdp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The policy unit-test runner: every case in {@code policies/tests/*.cases} against the shipped policy, so a policy
 * change that breaks a case fails the build; plus the loader's error paths.
 */
class PolicyCasesTest {
    private static final Scopes SCOPES = new Scopes(Set.of("weather:read"));

    record Case(String file, int line, String method, String path, Set<String> scopes, String agent, boolean allow) {}

    static Policy shipped() {
        return PolicyLoader.load(RunningIdp.policyDirectory(), Routes.MANAGEMENT_ENDPOINTS, SCOPES);
    }

    static List<Case> cases() throws Exception {
        List<Case> cases = new ArrayList<>();
        try (Stream<Path> files = Files.list(RunningIdp.policyDirectory().resolve("tests"))) {
            for (Path file :
                    files.filter(f -> f.toString().endsWith(".cases")).sorted().toList()) {
                List<String> lines = Files.readAllLines(file);
                for (int i = 0; i < lines.size(); i++) {
                    String line = lines.get(i).strip();
                    if (line.isEmpty() || line.startsWith("#")) {
                        continue;
                    }
                    String[] sides = line.split("->");
                    String[] fields = sides[0].trim().split("\\s+");
                    String scopes = fields[2].substring("scopes=".length());
                    String agent = fields.length > 3 ? fields[3].substring("agent=".length()) : "caller";
                    cases.add(new Case(
                            file.getFileName().toString(),
                            i + 1,
                            fields[0],
                            fields[1],
                            scopes.equals("-") ? Set.of() : new HashSet<>(Arrays.asList(scopes.split(","))),
                            agent,
                            sides[1].trim().equals("allow")));
                }
            }
        }
        return cases;
    }

    @TestFactory
    Stream<DynamicTest> everyCaseHolds() throws Exception {
        Policy policy = shipped();
        return cases().stream()
                .map(c -> DynamicTest.dynamicTest(c.file() + ":" + c.line() + " " + c.method() + " " + c.path(), () -> {
                    Policy.Decision decision =
                            policy.decide(new Policy.Request(c.method(), c.path(), c.scopes(), c.agent(), c.agent()));
                    assertThat(decision.allow()).as(decision.reason()).isEqualTo(c.allow());
                }));
    }

    @Test
    void everyRuleOfTheShippedPolicyHasAnAllowingCase() throws Exception {
        Policy policy = shipped();
        List<Case> cases = cases();
        for (Policy.Rule rule : policy.rules()) {
            boolean covered = cases.stream()
                    .anyMatch(c -> c.allow()
                            && c.method().equals(rule.method())
                            && Policy.fits(rule.pathTemplate(), c.path()));
            assertThat(covered)
                    .as(rule.file() + ":" + rule.line() + " has no allow case")
                    .isTrue();
        }
    }

    @Test
    void aDenialSaysWhichScopeIsMissing() {
        Policy.Decision decision =
                shipped().decide(new Policy.Request("POST", "/api/v1/agents", Set.of("agents:read"), "a", "a"));
        assertThat(decision).isEqualTo(Policy.Decision.deny("requires scope agents:write"));
    }

    @TempDir
    Path dir;

    private Policy load(String content) throws Exception {
        Files.writeString(dir.resolve("test.policy"), content);
        return PolicyLoader.load(dir, Set.of("GET /api/v1/agents"), SCOPES);
    }

    @Test
    void loaderErrorsNameTheFileAndLine() {
        assertThatThrownBy(() -> PolicyLoader.load(dir.resolve("missing"), Set.of(), SCOPES))
                .hasMessageContaining("POLICY_DIR")
                .hasMessageContaining("is not a directory");
        assertThatThrownBy(() -> PolicyLoader.load(dir, Set.of(), SCOPES)).hasMessageContaining("holds no *.policy");
        assertThatThrownBy(() -> load("GET /api/v1/agents agents:read\n"))
                .hasMessageContaining("test.policy:1: the first rule line must be 'version 1'");
        assertThatThrownBy(() -> load("version 1\n# comment\nGET /api/v1/agents\n"))
                .hasMessageContaining("test.policy:3: expected 'METHOD /path/template grant");
        assertThatThrownBy(() -> load("version 1\nGET /api/v1/agents agents:raed\n"))
                .hasMessageContaining("test.policy:2: unknown scope 'agents:raed'");
        assertThatThrownBy(() -> load("version 1\nFETCH /api/v1/agents agents:read\n"))
                .hasMessageContaining("test.policy:2: unknown method 'FETCH'");
        assertThatThrownBy(() -> load("version 1\nGET /api/v1/agents self\n"))
                .hasMessageContaining("'self' needs a path with {agentId}");
        assertThatThrownBy(() -> load("version 1\nPOST /api/v1/agents agents:write\n"))
                .hasMessageContaining("no rule for GET /api/v1/agents");
    }

    @Test
    void aCustomScopeCanGrantAnEndpoint() throws Exception {
        Policy policy = load("version 1\nGET /api/v1/agents agents:read | weather:read\n");
        assertThat(policy.decide(new Policy.Request("GET", "/api/v1/agents", Set.of("weather:read"), "a", "a"))
                        .allow())
                .isTrue();
    }
}
