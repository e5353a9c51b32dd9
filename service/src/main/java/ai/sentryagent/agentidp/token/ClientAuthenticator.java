package ai.sentryagent.agentidp.token;

import ai.sentryagent.agentidp.agent.AgentStatus;
import ai.sentryagent.agentidp.config.AppConfig;
import ai.sentryagent.agentidp.credential.ClientDirectory;
import ai.sentryagent.agentidp.credential.ClientRecord;
import ai.sentryagent.agentidp.crypto.CredentialHasher;
import ai.sentryagent.agentidp.ratelimit.RateLimiter;
import io.vertx.core.Future;
import java.util.Optional;

/**
 * Client authentication for every OAuth endpoint (token, introspection, revocation): the same id checks, failure
 * limits and audit everywhere, so no endpoint is a cheaper place to guess secrets (RFC 6749 §2.3.1, §10.10).
 * Each authentication method is one {@link ClientCredential} and one branch of {@code verify}.
 *
 * <p>The secret is checked first — in memory, against the client directory — then one limiter call counts the attempt
 * and decides, atomically, whether its result may be given: an attempt over a limit answers 429 whatever the secret
 * was, so concurrent guesses get at most the limit's worth of answers. A malformed client id is never looked up and
 * never becomes a key: it counts against one shared "malformed" client and the source address.
 *
 * <p>The answer is a {@link ClientAuthentication}: the endpoints audit and count it in one place each and map it to
 * their RFC 6749 §5.2 answer; nothing here renders or audits.
 *
 * <p>A guess costs the same whether or not the client exists: the secret is hashed before the lookup and compared in
 * constant time against every usable secret, an unknown client against a dummy hash, and unknown ids are cached like
 * known ones ({@link ClientDirectory}).
 */
public final class ClientAuthenticator {
    private static final int MAX_SECRET_LENGTH = 512;
    private static final byte[] DUMMY_HASH = new byte[32];
    /** Where malformed ids are counted: no client can have it (brackets are not in an id), so it collides with none. */
    private static final String MALFORMED_BUCKET = "[malformed]";

    /** What a request presented, and from where; {@code endpoint} is the route template, for the audit event. */
    public record Presented(ClientCredential credential, String clientIp, String requestId, String endpoint) {}

    private final ClientDirectory clients;
    private final CredentialHasher hasher;
    private final RateLimiter limiter;
    private final RateLimiter.Limits tokenLimits;
    private final RateLimiter.Limits authenticationLimits;

    public ClientAuthenticator(
            ClientDirectory clients, CredentialHasher hasher, RateLimiter limiter, AppConfig.RateLimitConfig limits) {
        this.clients = clients;
        this.hasher = hasher;
        this.limiter = limiter;
        this.authenticationLimits = new RateLimiter.Limits(
                limits.authFailuresPerClient(), limits.authFailuresPerIp(), limits.authFailureCeilingPerClient(), 0);
        this.tokenLimits = new RateLimiter.Limits(
                limits.authFailuresPerClient(),
                limits.authFailuresPerIp(),
                limits.authFailureCeilingPerClient(),
                limits.maxRequests());
    }

    /**
     * The outcome of one attempt; the future does not fail (a dependency failure is {@code Unavailable}).
     * {@code tokenRequest}: a success also counts against the client's {@code RATE_LIMIT_MAX_REQUESTS}, in the same
     * limiter call.
     */
    public Future<ClientAuthentication> authenticate(Presented presented, boolean tokenRequest) {
        ClientCredential credential = presented.credential();
        boolean wellFormed = ClientIds.wellFormed(credential.clientId());
        return (wellFormed ? verify(credential) : Future.succeededFuture(Optional.<ClientRecord>empty()))
                .compose(found -> {
                    RateLimiter.Attempt attempt = RateLimiter.Attempt.of(
                            wellFormed ? credential.clientId() : MALFORMED_BUCKET,
                            presented.clientIp(),
                            found.isPresent());
                    return limiter.attempt(attempt, tokenRequest ? tokenLimits : authenticationLimits)
                            .map(decision -> decide(decision, found, wellFormed));
                })
                .otherwise(ClientAuthentication.Unavailable::new);
    }

    private ClientAuthentication decide(
            RateLimiter.Decision decision, Optional<ClientRecord> found, boolean wellFormed) {
        if (!decision.allowed()) {
            return new ClientAuthentication.RateLimited(decision.limitedBy(), decision.retryAfterSeconds());
        }
        if (found.isPresent()) {
            return new ClientAuthentication.Authenticated(found.get());
        }
        return new ClientAuthentication.InvalidClient(wellFormed ? "credentials_rejected" : "malformed_client_id");
    }

    /** One branch per authentication method; {@code private_key_jwt} adds the second. */
    private Future<Optional<ClientRecord>> verify(ClientCredential credential) {
        if (credential instanceof ClientCredential.Secret secret) {
            return secret.secret().length() <= MAX_SECRET_LENGTH
                    ? verifySecret(secret.clientId(), secret.secret())
                    : Future.succeededFuture(Optional.empty());
        }
        throw new IllegalStateException("no verifier for " + credential.method());
    }

    /** The client when the secret matches one of its usable secrets and the agent is active. */
    private Future<Optional<ClientRecord>> verifySecret(String clientId, String secret) {
        byte[] presented = hasher.hash(secret);
        return clients.findClient(clientId).map(found -> {
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
