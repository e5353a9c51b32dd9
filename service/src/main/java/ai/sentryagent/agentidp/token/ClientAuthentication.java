package ai.sentryagent.agentidp.token;

import ai.sentryagent.agentidp.credential.ClientRecord;
import ai.sentryagent.agentidp.ratelimit.RateLimiter;
import java.util.function.Function;

/**
 * What came of one client authentication (token, introspection and revocation share it): the client, or why not.
 * A refusal is also a {@link GrantOutcome}, so a grant hands it on unchanged.
 *
 * <p>Java 17 has no pattern {@code switch}; {@code fold} is its exhaustive form — one function per alternative,
 * every one required by the compiler.
 */
public sealed interface ClientAuthentication {

    <R> R fold(Function<Authenticated, R> authenticated, Function<Refused, R> refused);

    /** The client proved its identity, its agent is active, and the attempt was within every limit. */
    record Authenticated(ClientRecord client) implements ClientAuthentication {
        @Override
        public <R> R fold(Function<Authenticated, R> authenticated, Function<Refused, R> refused) {
            return authenticated.apply(this);
        }
    }

    /** No client for this request. */
    sealed interface Refused extends ClientAuthentication, GrantOutcome {
        <R> R fold(
                Function<InvalidClient, R> invalidClient,
                Function<RateLimited, R> rateLimited,
                Function<Unavailable, R> unavailable);

        @Override
        default <R> R fold(Function<Authenticated, R> authenticated, Function<Refused, R> refused) {
            return refused.apply(this);
        }

        @Override
        default <R> R fold(
                Function<GrantOutcome.Issued, R> issued,
                Function<GrantOutcome.InvalidScope, R> invalidScope,
                Function<GrantOutcome.InvalidRequest, R> invalidRequest,
                Function<GrantOutcome.InvalidTarget, R> invalidTarget,
                Function<GrantOutcome.InvalidGrant, R> invalidGrant,
                Function<GrantOutcome.UnauthorizedClient, R> unauthorizedClient,
                Function<Refused, R> refused) {
            return refused.apply(this);
        }
    }

    /**
     * Wrong id or secret, a malformed id, or an agent that is not active; the attempt was counted. {@code reason}
     * is for the audit trail only: RFC 6749 §5.2 gives the client one {@code invalid_client}, whatever failed.
     */
    record InvalidClient(String reason) implements Refused {
        @Override
        public <R> R fold(
                Function<InvalidClient, R> invalidClient,
                Function<RateLimited, R> rateLimited,
                Function<Unavailable, R> unavailable) {
            return invalidClient.apply(this);
        }
    }

    /** Over a limit: the answer is 429 whatever the credential was, so guesses learn nothing past the limit. */
    record RateLimited(RateLimiter.Limit limit, long retryAfterSeconds) implements Refused {
        @Override
        public <R> R fold(
                Function<InvalidClient, R> invalidClient,
                Function<RateLimited, R> rateLimited,
                Function<Unavailable, R> unavailable) {
            return rateLimited.apply(this);
        }
    }

    /**
     * A dependency could not answer (the client lookup, or the shared limiter's queue is full). The cause goes to
     * the error renderer, which tells an outage (503 with {@code Retry-After}) from a bug by its type.
     */
    record Unavailable(Throwable cause) implements Refused {
        @Override
        public <R> R fold(
                Function<InvalidClient, R> invalidClient,
                Function<RateLimited, R> rateLimited,
                Function<Unavailable, R> unavailable) {
            return unavailable.apply(this);
        }
    }
}
