package ai.sentryagent.agentidp.token;

import io.vertx.core.Future;

/** Revoked access tokens, by {@code jti}, kept until the token would have expired anyway. */
public interface RevocationStore {
    Future<Void> revoke(AccessToken token);

    Future<Boolean> isRevoked(AccessToken token);
}
