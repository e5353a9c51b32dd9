package ai.sentryagent.agentidp.infra.aws;

import io.github.cdklabs.cdknag.NagPackSuppression;
import io.github.cdklabs.cdknag.NagSuppressions;
import java.util.List;
import software.constructs.IConstruct;

/**
 * Acknowledged cdk-nag findings. Each one names the rule and says why it does not apply here; the tests fail on
 * any finding that is not acknowledged.
 */
final class Nag {
    private Nag() {}

    static void acknowledge(IConstruct construct, String rule, String reason) {
        NagSuppressions.addResourceSuppressions(
                construct,
                List.of(NagPackSuppression.builder().id(rule).reason(reason).build()),
                true);
    }

    /** For wildcard findings: acknowledges only the listed finding details (e.g. {@code Resource::*}). */
    static void acknowledge(IConstruct construct, String rule, String reason, List<String> appliesTo) {
        NagSuppressions.addResourceSuppressions(
                construct,
                List.of(NagPackSuppression.builder()
                        .id(rule)
                        .reason(reason)
                        .appliesTo(List.copyOf(appliesTo))
                        .build()),
                true);
    }
}
