package ai.sentryagent.agentidp.infra.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cdklabs.cdknag.AwsSolutionsChecks;
import io.github.cdklabs.cdknag.NagPackProps;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.App;
import software.amazon.awscdk.Aspects;
import software.amazon.awscdk.assertions.Annotations;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.cxapi.SynthesisMessage;

/** cdk-nag's AWS Solutions pack over both environments: no finding left unacknowledged. */
class NagTest {
    @Test
    void productionAndStagingHaveNoUnacknowledgedFindings() {
        for (String env : List.of("production", "staging")) {
            App app = CdkContext.app(Map.of("env", env));
            AgentIdpStack stack = AgentIdpApp.build(app, CdkContext.repositoryRoot());
            Aspects.of(app)
                    .add(new AwsSolutionsChecks(
                            NagPackProps.builder().verbose(true).build()));
            List<SynthesisMessage> errors =
                    Annotations.fromStack(stack).findError("*", Match.stringLikeRegexp("AwsSolutions-.*"));
            List<SynthesisMessage> warnings =
                    Annotations.fromStack(stack).findWarning("*", Match.stringLikeRegexp("AwsSolutions-.*"));
            assertThat(describe(errors)).as(env + " errors").isEmpty();
            assertThat(describe(warnings)).as(env + " warnings").isEmpty();
            if (app.getNode().tryFindChild(Registry.STACK) instanceof Registry registry) {
                assertThat(describe(Annotations.fromStack(registry)
                                .findError("*", Match.stringLikeRegexp("AwsSolutions-.*"))))
                        .as("registry errors")
                        .isEmpty();
            }
        }
    }

    private static List<String> describe(List<SynthesisMessage> messages) {
        return messages.stream()
                .map(m -> m.getId() + ": "
                        + String.valueOf(m.getEntry().getData()).split("\n")[0])
                .collect(Collectors.toList());
    }
}
