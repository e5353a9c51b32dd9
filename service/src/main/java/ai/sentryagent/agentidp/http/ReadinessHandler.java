package ai.sentryagent.agentidp.http;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Pool;
import java.util.concurrent.TimeUnit;

/** Readiness: PostgreSQL and Redis both answer. A 503 names each dependency that does not. */
public final class ReadinessHandler implements Handler<RoutingContext> {
    private static final long CHECK_TIMEOUT_MS = 2_000;

    private final Pool pool;
    private final Redis redis;

    public ReadinessHandler(Pool pool, Redis redis) {
        this.pool = pool;
        this.redis = redis;
    }

    @Override
    public void handle(RoutingContext rc) {
        Future<Void> postgres =
                pool.query("SELECT 1").execute().<Void>mapEmpty().timeout(CHECK_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        Future<Void> redisPing =
                redis.send(Request.cmd(Command.PING)).<Void>mapEmpty().timeout(CHECK_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        Future.join(postgres, redisPing).onComplete(ignored -> {
            JsonObject checks =
                    new JsonObject().put("postgres", describe(postgres)).put("redis", describe(redisPing));
            boolean ready = postgres.succeeded() && redisPing.succeeded();
            JsonObject body =
                    new JsonObject().put("status", ready ? "ok" : "unavailable").put("checks", checks);
            if (!ready) {
                StringBuilder failing = new StringBuilder();
                if (postgres.failed()) {
                    failing.append("postgres");
                }
                if (redisPing.failed()) {
                    failing.append(failing.length() == 0 ? "" : ", ").append("redis");
                }
                body.put("message", "not ready: " + failing + " unavailable");
            }
            rc.response()
                    .setStatusCode(ready ? 200 : 503)
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                    .end(body.encode());
        });
    }

    private static JsonObject describe(Future<Void> check) {
        if (check.succeeded()) {
            return new JsonObject().put("status", "up");
        }
        String reason =
                check.cause() == null ? "unknown" : check.cause().getClass().getSimpleName();
        return new JsonObject().put("status", "down").put("reason", reason);
    }
}
