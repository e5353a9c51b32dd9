package ai.sentryagent.agentidp.token;

import ai.sentryagent.agentidp.audit.Audit;
import io.vertx.core.Future;

/** Revoked access tokens, by {@code jti}, kept until the token would have expired anyway. */
public interface RevocationStore {
    Future<Void> revoke(AccessToken token, Audit.Context context);

    Future<Boolean> isRevoked(AccessToken token);
}
