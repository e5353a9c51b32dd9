package ai.sentryagent.agentidp.http;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.CheckResult;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.RoutingContext;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Pool;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Readiness: PostgreSQL and Redis both answer. The checks are vertx-health-check procedures; the answer keeps the
 * shape the load balancers, the infra tests and docs/api.md rely on ({@code {"status":"ok","checks":{"postgres":
 * {"status":"up"},…}}}, or 503 with a message naming each dependency that does not answer), which
 * {@code HealthCheckHandler}'s own {@code {"status":"UP","checks":[…],"outcome":…}} would change.
 */
public final class ReadinessHandler implements Handler<RoutingContext> {
    private static final long CHECK_TIMEOUT_MS = 2_000;
    /** The procedures' own deadline, past ours, so a slow dependency is reported with our reason. */
    private static final long PROCEDURE_TIMEOUT_MS = CHECK_TIMEOUT_MS + 1_000;

    /** In the order the message names them. */
    private static final List<String> DEPENDENCIES = List.of("postgres", "redis");

    private final Pool pool;
    private final Redis redis;
    private volatile HealthChecks checks;

    public ReadinessHandler(Pool pool, Redis redis) {
        this.pool = pool;
        this.redis = redis;
    }

    /** The readiness procedures: each pings one dependency. */
    static HealthChecks checks(Vertx vertx, Pool pool, Redis redis) {
        return HealthChecks.create(vertx)
                .register(
                        "postgres",
                        PROCEDURE_TIMEOUT_MS,
                        probe(() -> pool.query("SELECT 1").execute().mapEmpty()))
                .register(
                        "redis",
                        PROCEDURE_TIMEOUT_MS,
                        probe(() -> redis.send(Request.cmd(Command.PING)).mapEmpty()));
    }

    private static Handler<Promise<Status>> probe(Supplier<Future<Object>> ping) {
        return promise -> ping.get()
                .timeout(CHECK_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                .onSuccess(ignored -> promise.complete(Status.OK()))
                .onFailure(cause -> promise.complete(Status.KO(
                        new JsonObject().put("reason", cause.getClass().getSimpleName()))));
    }

    @Override
    public void handle(RoutingContext rc) {
        HealthChecks current = checks;
        if (current == null) {
            current = checks(rc.vertx(), pool, redis);
            checks = current;
        }
        current.checkStatus().onComplete(result -> {
            JsonObject byName = new JsonObject();
            List<String> failing = new ArrayList<>();
            for (String name : DEPENDENCIES) {
                CheckResult check = result.succeeded() ? find(result.result(), name) : null;
                boolean up = check != null && Boolean.TRUE.equals(check.getUp());
                JsonObject described = new JsonObject().put("status", up ? "up" : "down");
                if (!up) {
                    failing.add(name);
                    described.put("reason", reason(check));
                }
                byName.put(name, described);
            }
            boolean ready = failing.isEmpty();
            JsonObject body =
                    new JsonObject().put("status", ready ? "ok" : "unavailable").put("checks", byName);
            if (!ready) {
                body.put("message", "not ready: " + String.join(", ", failing) + " unavailable");
            }
            rc.response()
                    .setStatusCode(ready ? 200 : 503)
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                    .end(body.encode());
        });
    }

    private static CheckResult find(CheckResult root, String name) {
        if (root.getChecks() == null) {
            return null;
        }
        return root.getChecks().stream()
                .filter(check -> name.equals(check.getId()))
                .findFirst()
                .orElse(null);
    }

    private static String reason(CheckResult check) {
        if (check == null) {
            return "unknown";
        }
        if (check.getData() != null && check.getData().containsKey("reason")) {
            return check.getData().getString("reason");
        }
        return check.getFailure() == null
                ? "unknown"
                : check.getFailure().getClass().getSimpleName();
    }
}
