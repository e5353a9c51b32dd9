package ai.sentryagent.agentidp.token;

import ai.sentryagent.agentidp.agent.AgentStatus;
import ai.sentryagent.agentidp.audit.Audit;
import ai.sentryagent.agentidp.audit.AuditEvent;
import ai.sentryagent.agentidp.config.AppConfig;
import ai.sentryagent.agentidp.credential.ClientRecord;
import ai.sentryagent.agentidp.credential.CredentialStore;
import ai.sentryagent.agentidp.crypto.CredentialHasher;
import ai.sentryagent.agentidp.observability.Metrics;
import ai.sentryagent.agentidp.ratelimit.RateLimiter;
import io.vertx.core.Future;
import java.util.Optional;

/**
 * Client authentication for every OAuth endpoint (token, introspection, revocation): the same id checks, failure
 * limits and audit everywhere, so no endpoint is a cheaper place to guess secrets (RFC 6749 §2.3.1, §10.10).
 *
 * <p>The secret is checked first — in memory, against the client cache — then one limiter call counts the attempt
 * and decides, atomically, whether its result may be given: an attempt over a limit answers 429 whatever the secret
 * was, so concurrent guesses get at most the limit's worth of answers. A malformed client id is never looked up and
 * never becomes a key: it counts against one shared "malformed" client and the source address.
 *
 * <p>A guess costs the same whether or not the client exists: the secret is hashed before the lookup and compared in
 * constant time against every usable secret, an unknown client against a dummy hash, and unknown ids are cached like
 * known ones ({@code ClientCache}).
 */
public final class ClientAuthenticator {
    private static final int MAX_SECRET_LENGTH = 512;
    private static final byte[] DUMMY_HASH = new byte[32];
    /** Where malformed ids are counted: no client can have it (brackets are not in an id), so it collides with none. */
    private static final String MALFORMED_BUCKET = "[malformed]";

    /**
     * What a request presented, and from where. {@code basic}: sent with HTTP Basic (the 401 then carries a Basic
     * challenge). {@code endpoint}: the route template, for the audit event.
     */
    public record Presented(
            String clientId, String secret, boolean basic, String clientIp, String requestId, String endpoint) {
        @Override
        public String toString() {
            return "Presented[clientId=" + ClientIds.forAudit(clientId) + ", endpoint=" + endpoint + "]";
        }
    }

    /**
     * What came of one attempt. Java 17 has no pattern switch, so each alternative answers for itself: the compiler
     * still insists every one of them is handled.
     */
    private sealed interface Outcome {
        Future<ClientRecord> answer(ClientAuthenticator authenticator, Presented presented);
    }

    private record Authenticated(ClientRecord client) implements Outcome {
        @Override
        public Future<ClientRecord> answer(ClientAuthenticator authenticator, Presented presented) {
            return Future.succeededFuture(client);
        }
    }

    /** The id or secret was wrong, the id malformed, or the agent not active; the attempt was counted. */
    private record Refused(String reason) implements Outcome {
        @Override
        public Future<ClientRecord> answer(ClientAuthenticator authenticator, Presented presented) {
            authenticator.audit.enqueue(AuditEvent.of(
                    "client.authentication_failed",
                    AuditEvent.FAILURE,
                    null,
                    new Audit.Context(
                            ClientIds.forAudit(presented.clientId()), presented.clientIp(), presented.requestId()),
                    Audit.details(
                            "method",
                            presented.basic() ? "client_secret_basic" : "client_secret_post",
                            "endpoint",
                            presented.endpoint(),
                            "reason",
                            reason)));
            return Future.failedFuture(OAuthException.invalidClient("client authentication failed", presented.basic()));
        }
    }

    private record Limited(RateLimiter.Limit limit, long retryAfterSeconds) implements Outcome {
        @Override
        public Future<ClientRecord> answer(ClientAuthenticator authenticator, Presented presented) {
            authenticator.metrics.rateLimitRejection(limit.tag());
            return Future.failedFuture(OAuthException.rateLimited(
                    limit == RateLimiter.Limit.REQUESTS
                            ? "rate limit exceeded for this client"
                            : "too many failed authentications; retry later",
                    retryAfterSeconds));
        }
    }

    /** The shared limiter could not take the call now (its queue is full): 503 for this request. */
    private record Unavailable(Throwable cause) implements Outcome {
        @Override
        public Future<ClientRecord> answer(ClientAuthenticator authenticator, Presented presented) {
            return Future.failedFuture(cause); // the OAuth error handler answers 503 with Retry-After and logs it
        }
    }

    private final CredentialStore credentials;
    private final CredentialHasher hasher;
    private final RateLimiter limiter;
    private final RateLimiter.Limits tokenLimits;
    private final RateLimiter.Limits authenticationLimits;
    private final Metrics metrics;
    private final Audit audit;

    public ClientAuthenticator(
            CredentialStore credentials,
            CredentialHasher hasher,
            RateLimiter limiter,
            AppConfig.RateLimitConfig limits,
            Metrics metrics,
            Audit audit) {
        this.credentials = credentials;
        this.hasher = hasher;
        this.limiter = limiter;
        this.authenticationLimits = new RateLimiter.Limits(
                limits.authFailuresPerClient(), limits.authFailuresPerIp(), limits.authFailureCeilingPerClient(), 0);
        this.tokenLimits = new RateLimiter.Limits(
                limits.authFailuresPerClient(),
                limits.authFailuresPerIp(),
                limits.authFailureCeilingPerClient(),
                limits.maxRequests());
        this.metrics = metrics;
        this.audit = audit;
    }

    /**
     * The authenticated client, or a failed future with the OAuth error to answer. {@code tokenRequest}: a success
     * also counts against the client's {@code RATE_LIMIT_MAX_REQUESTS}, in the same limiter call.
     */
    public Future<ClientRecord> authenticate(Presented presented, boolean tokenRequest) {
        return attempt(presented, tokenRequest).compose(outcome -> outcome.answer(this, presented));
    }

    private Future<Outcome> attempt(Presented presented, boolean tokenRequest) {
        boolean wellFormed = ClientIds.wellFormed(presented.clientId());
        Future<Optional<ClientRecord>> verified =
                wellFormed && presented.secret().length() <= MAX_SECRET_LENGTH
                        ? verify(presented.clientId(), presented.secret())
                        : Future.succeededFuture(Optional.empty());
        return verified.compose(found -> {
            RateLimiter.Attempt attempt = RateLimiter.Attempt.of(
                    wellFormed ? presented.clientId() : MALFORMED_BUCKET, presented.clientIp(), found.isPresent());
            return limiter.attempt(attempt, tokenRequest ? tokenLimits : authenticationLimits)
                    .<Outcome>map(decision -> {
                        if (!decision.allowed()) {
                            return new Limited(decision.limitedBy(), decision.retryAfterSeconds());
                        }
                        return found.<Outcome>map(Authenticated::new)
                                .orElseGet(
                                        () -> new Refused(wellFormed ? "credentials_rejected" : "malformed_client_id"));
                    })
                    .recover(busy -> Future.succeededFuture(new Unavailable(busy)));
        });
    }

    /** The client when the secret matches one of its usable secrets and the agent is active. */
    private Future<Optional<ClientRecord>> verify(String clientId, String secret) {
        byte[] presented = hasher.hash(secret);
        return credentials.findClient(clientId).map(found -> {
            if (found.isEmpty()) {
                CredentialHasher.matches(DUMMY_HASH, presented);
                return Optional.empty();
            }
            ClientRecord client = found.get();
            boolean matched = false;
            for (ClientRecord.StoredSecret stored : client.secrets()) {
                matched |= CredentialHasher.matches(stored.hash(), presented);
            }
            return matched && client.status() == AgentStatus.ACTIVE ? Optional.of(client) : Optional.empty();
        });
    }
}
