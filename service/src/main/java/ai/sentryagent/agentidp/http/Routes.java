package ai.sentryagent.agentidp.http;

import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.redis.client.Redis;
import io.vertx.sqlclient.Pool;

/** The one place that mounts every route, so tests mount exactly what production mounts. */
public final class Routes {
    private Routes() {}

    /** The collaborators the handlers need, built once per process and shared by every HTTP verticle. */
    public record Dependencies(Pool pool, Redis redis) {}

    public static Router create(Vertx vertx, Dependencies deps) {
        Router router = Router.router(vertx);
        router.get("/health").handler(new HealthHandler());
        router.get("/health/ready").handler(new ReadinessHandler(deps.pool(), deps.redis()));

        ErrorHandler errors = new ErrorHandler();
        router.route().failureHandler(errors);
        for (int status : new int[] {400, 404, 405, 413, 415, 500}) {
            router.errorHandler(status, errors);
        }
        return router;
    }
}
