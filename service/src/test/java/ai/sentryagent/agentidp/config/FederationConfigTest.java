package ai.sentryagent.agentidp.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RunningIdp;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code FEDERATION_ALLOW_HTTP_LOOPBACK}: off unless asked for, a bad value stops startup naming the variable. */
@IntegrationTest
class FederationConfigTest {
    private static Map<String, String> with(String name, String value) {
        Map<String, String> variables = RunningIdp.defaultVariables();
        variables.put(name, value);
        return variables;
    }

    @Test
    void offByDefault() {
        assertThat(AppConfig.fromEnvironment(RunningIdp.defaultVariables()).federationAllowHttpLoopback())
                .isFalse();
        assertThat(AppConfig.fromEnvironment(with("FEDERATION_ALLOW_HTTP_LOOPBACK", "true"))
                        .federationAllowHttpLoopback())
                .isTrue();
    }

    @Test
    void aValueThatIsNotABooleanStopsStartup() {
        assertThatThrownBy(() -> AppConfig.fromEnvironment(with("FEDERATION_ALLOW_HTTP_LOOPBACK", "maybe")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("FEDERATION_ALLOW_HTTP_LOOPBACK must be true or false");
    }

    @Test
    void refusedInProduction() {
        // Keys fetched in clear text can be replaced by anyone on the path: production issuers must be HTTPS.
        Map<String, String> variables = with("FEDERATION_ALLOW_HTTP_LOOPBACK", "true");
        variables.put("NODE_ENV", "production");
        assertThatThrownBy(() -> AppConfig.fromEnvironment(variables))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("FEDERATION_ALLOW_HTTP_LOOPBACK must not be true when NODE_ENV is production");
    }
}
