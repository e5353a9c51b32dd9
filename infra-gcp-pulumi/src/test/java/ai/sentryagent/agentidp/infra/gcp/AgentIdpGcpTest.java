package ai.sentryagent.agentidp.infra.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.pulumi.gcp.compute.Network;
import com.pulumi.gcp.compute.Subnetwork;
import com.pulumi.test.Mocks;
import com.pulumi.test.PulumiTest;
import com.pulumi.test.TestOptions;
import com.pulumi.test.TestResult;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AgentIdpGcpTest {
    private static final GcpConfig CONFIG = GcpConfig.parse(
            "production",
            key -> Optional.ofNullable(Map.of("gcp:project", "agentidp-prod-1234", "gcp:region", "us-central1")
                    .get(key)));

    /** Echoes inputs and fills in what GCP computes (here: the resource name). */
    static final class GcpMocks implements Mocks {
        @Override
        public CompletableFuture<ResourceResult> newResourceAsync(ResourceArgs args) {
            Map<String, Object> state = new HashMap<>(args.inputs);
            state.putIfAbsent("name", args.name);
            return CompletableFuture.completedFuture(ResourceResult.of(Optional.of(args.name + "-id"), state));
        }
    }

    @AfterEach
    void cleanup() {
        PulumiTest.cleanup();
    }

    @Test
    void declaresACustomModeNetworkAndSubnet() {
        TestResult result = PulumiTest.withMocks(new GcpMocks())
                .withOptions(TestOptions.builder()
                        .projectName("agentidp")
                        .stackName("production")
                        .build())
                .runTest(ctx -> AgentIdpGcp.define(ctx, CONFIG))
                .throwOnError();
        Network network = result.resources().stream()
                .filter(Network.class::isInstance)
                .map(Network.class::cast)
                .findFirst()
                .orElseThrow();
        assertThat(PulumiTest.extractValue(network.name())).isEqualTo("sentryagent-agentidp-production");
        assertThat(PulumiTest.extractValue(network.autoCreateSubnetworks())).contains(false);
        Subnetwork subnet = result.resources().stream()
                .filter(Subnetwork.class::isInstance)
                .map(Subnetwork.class::cast)
                .findFirst()
                .orElseThrow();
        assertThat(PulumiTest.extractValue(subnet.region())).isEqualTo("us-central1");
        assertThat(PulumiTest.extractValue(subnet.privateIpGoogleAccess())).isEqualTo(true);
    }

    @Test
    void missingProjectIsNamed() {
        assertThatThrownBy(() -> GcpConfig.parse("production", key -> Optional.empty()))
                .hasMessageContaining("gcp:project is required")
                .hasMessageContaining("gcp:region is required");
    }
}
