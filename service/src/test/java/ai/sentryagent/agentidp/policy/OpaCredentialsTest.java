package ai.sentryagent.agentidp.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sentryagent.agentidp.config.AppConfig;
import ai.sentryagent.agentidp.config.ConfigException;
import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RunningIdp;
import ai.sentryagent.agentidp.testing.TestServers;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * F-17: credentials in {@code OPA_URL} — user and password, or a token in the query — reach the policy engine and
 * nothing else: not the startup log, not the fail-closed warning, not a configuration error (CWE-532, OWASP ASVS
 * V7.1.1: no credentials in logs).
 */
@IntegrationTest
class OpaCredentialsTest {
    private static final String PASSWORD = "pw-never-logged-9c1f";
    private static final String TOKEN = "tok-never-logged-77ab";

    @Test
    void aMalformedOpaUrlIsNamedButNotEchoed() {
        for (String bad : List.of(
                "https://opa-user:" + PASSWORD + "@opa.internal:8181/v1/data/x?token=" + TOKEN + " trailing",
                "ftp://opa-user:" + PASSWORD + "@opa.internal/v1/data/x?token=" + TOKEN,
                "https://opa-user:" + PASSWORD + "@opa.internal/v1/data/x?token=" + TOKEN + "#frag",
                "https://opa-user:" + PASSWORD + "@@opa.internal/?token=" + TOKEN,
                "opa-user:" + PASSWORD + "@opa.internal?token=" + TOKEN)) {
            Map<String, String> variables = RunningIdp.defaultVariables();
            variables.put("OPA_URL", bad);
            assertThatThrownBy(() -> AppConfig.fromEnvironment(variables))
                    .as(bad)
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("OPA_URL")
                    .satisfies(e -> assertThat(e.getMessage())
                            .doesNotContain(PASSWORD)
                            .doesNotContain(TOKEN)
                            .doesNotContain("opa-user"));
        }
    }

    @Test
    void credentialsAreSentToOpaButNeverLogged() throws Exception {
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        logs.start();
        root.addAppender(logs);
        Vertx vertx = Vertx.vertx();
        List<String> seen = new CopyOnWriteArrayList<>();
        try {
            HttpServer opa = vertx.createHttpServer()
                    .requestHandler(request -> {
                        seen.add(request.getHeader("Authorization") + " " + request.query());
                        request.response()
                                .putHeader("Content-Type", "application/json")
                                .end(new JsonObject()
                                        .put("result", new JsonObject().put("allow", true))
                                        .encode());
                    })
                    .listen(0, "127.0.0.1")
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            String url = "http://opa-user:" + PASSWORD + "@127.0.0.1:" + opa.actualPort()
                    + "/v1/data/agentidp/authz?token=" + TOKEN;
            try (RunningIdp idp = RunningIdp.start(Map.of("OPA_URL", url))) {
                String admin = idp.adminToken();
                assertThat(idp.call("GET", "/api/v1/agents", admin, null).statusCode())
                        .isEqualTo(200);
                String basic = "Basic " + Base64.getEncoder().encodeToString(("opa-user:" + PASSWORD).getBytes());
                assertThat(seen).contains(basic + " token=" + TOKEN);

                opa.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
                assertThat(idp.call("GET", "/api/v1/agents", admin, null).statusCode())
                        .isEqualTo(503);
            }
            // A dead port as well: the connection error names the server, never the query.
            String dead = "http://opa-user:" + PASSWORD + "@127.0.0.1:" + TestServers.freePort()
                    + "/v1/data/agentidp/authz?token=" + TOKEN;
            try (RunningIdp idp = RunningIdp.start(Map.of("OPA_URL", dead))) {
                assertThat(idp.call("GET", "/api/v1/agents", idp.adminToken(), null)
                                .statusCode())
                        .isEqualTo(503);
            }
        } finally {
            root.detachAppender(logs);
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        List<String> lines = logs.list.stream()
                .map(event -> event.getFormattedMessage()
                        + (event.getThrowableProxy() == null
                                ? ""
                                : " " + event.getThrowableProxy().getMessage()))
                .toList();
        assertThat(lines)
                .anySatisfy(line -> assertThat(line)
                        .contains("decisions delegated to OPA at http://opa-user:***@127.0.0.1:")
                        .contains("/v1/data/agentidp/authz?***"))
                .anySatisfy(line -> assertThat(line).contains("denying (fail closed)"))
                .allSatisfy(line -> assertThat(line).doesNotContain(PASSWORD).doesNotContain(TOKEN));
    }
}
