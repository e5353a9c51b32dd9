package ai.sentryagent.agentidp.http;

import ai.sentryagent.agentidp.audit.Audit;
import ai.sentryagent.agentidp.audit.AuditEvent;
import ai.sentryagent.agentidp.error.ApiError;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The audit trail over HTTP: {@code /api/v1/audit}, {@code /api/v1/audit/{eventId}}, {@code /api/v1/audit/verify},
 * {@code /api/v1/audit/head}.
 */
public final class AuditApi {
    private static final Set<String> PARAMETERS =
            Set.of("agentId", "action", "outcome", "from", "to", "cursor", "limit");
    private static final Set<String> OUTCOMES = Set.of(AuditEvent.SUCCESS, AuditEvent.FAILURE, AuditEvent.DENIED);

    private final Audit audit;

    public AuditApi(Audit audit) {
        this.audit = audit;
    }

    public Handler<RoutingContext> list() {
        return rc -> {
            Audit.Query query = query(rc.queryParams());
            audit.list(query)
                    .onSuccess(page -> AgentsApi.json(rc, 200, json(page, query.limit())))
                    .onFailure(rc::fail);
        };
    }

    public Handler<RoutingContext> get() {
        return rc -> {
            UUID id = Paths.uuid(rc, "eventId");
            audit.find(id)
                    .onSuccess(event -> {
                        if (event.isEmpty()) {
                            rc.fail(new ApiError.NotFound("audit event " + id + " does not exist").failure());
                        } else {
                            AgentsApi.json(rc, 200, event.get().toJson());
                        }
                    })
                    .onFailure(rc::fail);
        };
    }

    /** {@code ?full=true} re-hashes from the newest checkpoint; by default only what was appended since. */
    public Handler<RoutingContext> verify() {
        return rc -> {
            MultiMap params = rc.queryParams();
            for (String name : params.names()) {
                if (!name.equals("full")) {
                    throw JsonBody.fieldError(name, "is not a parameter; only full=true|false");
                }
            }
            List<String> full = params.getAll("full");
            if (full.size() > 1 || (full.size() == 1 && !full.get(0).matches("true|false"))) {
                throw JsonBody.fieldError("full", "must be true or false, once");
            }
            (full.equals(List.of("true")) ? audit.verifyAll() : audit.verify())
                    .onSuccess(result -> AgentsApi.json(rc, 200, result.toJson()))
                    .onFailure(rc::fail);
        };
    }

    /** The newest verified head, signed; 409 when the chain does not verify (nothing trustworthy to sign). */
    public Handler<RoutingContext> head() {
        return rc -> audit.head()
                .onSuccess(head -> AgentsApi.json(rc, 200, head.toJson()))
                .onFailure(e -> rc.fail(
                        e instanceof Audit.ChainBroken broken
                                ? new ApiError.Conflict(
                                                "audit_chain_broken",
                                                broken.getMessage(),
                                                broken.verification().toJson())
                                        .failure()
                                : e));
    }

    private static JsonObject json(Audit.EventPage page, int limit) {
        JsonArray items = new JsonArray();
        page.items().forEach(event -> items.add(event.toJson()));
        return new JsonObject()
                .put("items", items)
                .put("limit", limit)
                .put("next", page.next().map(Audit.Cursor::encode).orElse(null));
    }

    private static Audit.Query query(MultiMap params) {
        for (String name : params.names()) {
            if (name.equals("page")) {
                throw JsonBody.fieldError(
                        name,
                        "is not supported: the listing pages with cursors; pass the previous page's next as cursor");
            }
            if (!PARAMETERS.contains(name)) {
                throw JsonBody.fieldError(
                        name, "is not a filter; use agentId, action, outcome, from, to, cursor or limit");
            }
            if (params.getAll(name).size() > 1) {
                throw JsonBody.fieldError(name, "is repeated");
            }
        }
        Optional<UUID> agentId = Optional.ofNullable(params.get("agentId")).map(value -> {
            try {
                return UUID.fromString(value);
            } catch (IllegalArgumentException e) {
                throw JsonBody.fieldError("agentId", "must be a UUID");
            }
        });
        Optional<String> outcome = Optional.ofNullable(params.get("outcome")).map(value -> {
            if (!OUTCOMES.contains(value)) {
                throw JsonBody.fieldError("outcome", "must be success, failure or denied");
            }
            return value;
        });
        Optional<String> action = Optional.ofNullable(params.get("action")).map(value -> {
            if (!value.matches("[a-z_.]{1,64}")) {
                throw JsonBody.fieldError("action", "must be an action name such as agent.registered");
            }
            return value;
        });
        return new Audit.Query(
                agentId,
                action,
                outcome,
                instant(params, "from"),
                instant(params, "to"),
                Optional.ofNullable(params.get("cursor"))
                        .map(value -> Audit.Cursor.parse(value)
                                .orElseThrow(() ->
                                        JsonBody.fieldError("cursor", "must be the next value of an earlier page"))),
                AgentsApi.number(params, "limit", 50, 1, 100));
    }

    private static Optional<Instant> instant(MultiMap params, String name) {
        return Optional.ofNullable(params.get(name)).map(value -> {
            try {
                return Instant.parse(value);
            } catch (DateTimeParseException e) {
                throw JsonBody.fieldError(name, "must be an ISO-8601 instant such as 2026-11-28T00:00:00Z");
            }
        });
    }
}
