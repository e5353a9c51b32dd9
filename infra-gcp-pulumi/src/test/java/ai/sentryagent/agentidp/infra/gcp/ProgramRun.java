package ai.sentryagent.agentidp.infra.gcp;

import com.pulumi.test.PulumiTest;
import com.pulumi.test.TestOptions;
import com.pulumi.test.TestResult;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** One run of the real program under {@link GcpMocks}: what it registered and exported. */
record ProgramRun(GcpMocks mocks, Map<String, Object> outputs, PlanWriter.Dependencies dependencies) {

    static ProgramRun of(GcpConfig config) {
        GcpMocks mocks = new GcpMocks();
        PlanWriter.Dependencies dependencies = new PlanWriter.Dependencies();
        TestResult result = PulumiTest.withMocks(mocks)
                .withOptions(TestOptions.builder()
                        .projectName("agentidp")
                        .stackName(config.stack())
                        .resourceTransformations(List.of(dependencies))
                        .build())
                .runTest(ctx -> AgentIdpGcp.define(ctx, config))
                .throwOnError();
        Map<String, Object> outputs = new HashMap<>();
        result.outputs().forEach((name, output) -> outputs.put(name, PulumiTest.extractValue(output)));
        return new ProgramRun(mocks, outputs, dependencies);
    }

    Map<String, Object> inputs(String type) {
        return mocks.single(type).inputs();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object value) {
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object value) {
        return (List<Object>) value;
    }
}
