package ai.sentryagent.agentidp.http;

import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import java.util.regex.Pattern;

/** Path parameters. */
final class Paths {
    private static final Pattern UUID_TEXT =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private Paths() {}

    /** A UUID path parameter; a malformed one is a 400 naming the parameter. */
    static UUID uuid(RoutingContext rc, String name) {
        String raw = rc.pathParam(name);
        if (raw == null || !UUID_TEXT.matcher(raw).matches()) {
            throw JsonBody.fieldError(name, "must be a UUID");
        }
        return UUID.fromString(raw);
    }
}
