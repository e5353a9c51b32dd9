package ai.sentryagent.agentidp.infra.aws;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;

/** Apps for tests that see the same context as {@code cdk synth}: the feature flags and settings of cdk.json. */
final class CdkContext {
    private CdkContext() {}

    static Path repositoryRoot() {
        return AgentIdpApp.repositoryRoot();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> fromCdkJson() {
        try {
            Map<String, Object> cdkJson = new ObjectMapper()
                    .readValue(repositoryRoot().resolve("cdk.json").toFile(), Map.class);
            return new HashMap<>((Map<String, Object>) cdkJson.get("context"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static App app(Map<String, Object> overrides) {
        Map<String, Object> context = fromCdkJson();
        context.putAll(overrides);
        return new App(AppProps.builder().context(context).build());
    }
}
