package ai.sentryagent.agentidp.token;

import ai.sentryagent.agentidp.audit.Audit;
import io.vertx.core.Future;

/**
 * Revoked access tokens, by {@code jti}, kept until the token would have expired anyway; and revoked delegations
 * (member {@code d:<delegationId>}, {@link AccessToken#delegationKey}), kept until the last token derived from them
 * would have expired. A check asks for a token's {@link AccessToken#revocationKeys() every key} at once, with any
 * other member the caller needs to know about (the delegation a token exchange would rest on).
 */
public interface RevocationStore {
    /** Fails with {@link NotPropagated} when the revocation is recorded but not yet in force on every task. */
    Future<Void> revoke(AccessToken token, Audit.Context context);

    /**
     * Which of these members (jtis, or {@link AccessToken#delegationKey delegation keys}) are revoked, in one
     * command however many there are.
     */
    Future<java.util.Set<String>> revokedAmong(java.util.List<String> members);

    /**
     * Puts a revocation already committed to {@code token_revocations} in force on every task; fails with
     * {@link NotPropagated} when it could not.
     */
    Future<Void> share(String member, java.time.Instant keepUntil);

    /**
     * Deletes the revocations whose tokens expired more than {@code grace} ago — no check can get past a token's
     * {@code exp}, so they protect nothing — in bounded batches; returns how many.
     */
    Future<Long> pruneExpired(java.time.Duration grace);

    /** A revocation recorded, but not yet seen by every task: it must not be acknowledged. */
    final class NotPropagated extends RuntimeException {
        public NotPropagated(Throwable cause) {
            super("the revocation is recorded but not yet shared with every task: " + cause, cause, false, false);
        }
    }
}
