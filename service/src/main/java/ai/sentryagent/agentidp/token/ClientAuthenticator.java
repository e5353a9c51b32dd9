package ai.sentryagent.agentidp.token;

import ai.sentryagent.agentidp.agent.AgentStatus;
import ai.sentryagent.agentidp.config.AppConfig;
import ai.sentryagent.agentidp.credential.ClientDirectory;
import ai.sentryagent.agentidp.credential.ClientRecord;
import ai.sentryagent.agentidp.crypto.CredentialHasher;
import ai.sentryagent.agentidp.ratelimit.RateLimiter;
import io.vertx.core.Future;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;

/**
 * Client authentication for every OAuth endpoint (token, introspection, revocation): the same id checks, failure
 * limits and audit everywhere, so no endpoint is a cheaper place to guess secrets (RFC 6749 §2.3.1, §10.10).
 * Each authentication method is one {@link ClientCredential} and one branch of {@code verify}: a secret, or a signed
 * {@code private_key_jwt} assertion ({@link ClientAssertions}, its {@code jti} claimed under {@link AssertionReplay}'s
 * key in the limiter's call: one Redis round trip for both). Both count against the same limits.
 *
 * <p>The secret is checked first — in memory, against the client directory — then one limiter call counts the attempt
 * and decides, atomically, whether its result may be given: an attempt over a limit answers 429 whatever the secret
 * was, so concurrent guesses get at most the limit's worth of answers. A malformed client id is never looked up and
 * never becomes a key: it counts against one shared "malformed" client and the source address.
 *
 * <p>The credential is read from the request here too ({@link #credential}), from the {@code Authorization} header
 * and the form the endpoint hands over, so every endpoint reads the same methods with the same rules.
 *
 * <p>The answer is a {@link ClientAuthentication}: the endpoints audit and count it in one place each and map it to
 * their RFC 6749 §5.2 answer; nothing here renders or audits.
 *
 * <p>A guess costs the same whether or not the client exists: the secret is hashed before the lookup and compared in
 * constant time against every usable secret, an unknown client against a dummy hash, and unknown ids are cached like
 * known ones ({@link ClientDirectory}). An assertion for an unknown client is refused before any signature check: a
 * client id is not a secret, and an assertion cannot be guessed the way a secret can, so there is nothing to hide.
 */
public final class ClientAuthenticator {
    private static final int MAX_SECRET_LENGTH = 512;
    private static final byte[] DUMMY_HASH = new byte[32];
    /** Where malformed ids are counted: no client can have it (brackets are not in an id), so it collides with none. */
    private static final String MALFORMED_BUCKET = "[malformed]";

    /** What a request presented, and from where; {@code endpoint} is the route template, for the audit event. */
    public record Presented(ClientCredential credential, String clientIp, String requestId, String endpoint) {}

    /**
     * Reads the client credential a request presents: {@code client_secret_basic} (RFC 6749 §2.3.1, both parts
     * form-urlencoded inside Basic), {@code client_secret_post}, or {@code private_key_jwt} ({@code client_assertion}
     * of type {@link ClientCredential.Assertion#TYPE}, RFC 7523 §2.2). Using two methods, or none, is an error (RFC
     * 6749 §2.3: a client must not use more than one method per request). Neither part of a Basic credential may hold
     * a control character, like any form parameter ({@link Grant.Parameters#hasControlCharacter}).
     *
     * @param authorization the request's {@code Authorization} header, null when it has none
     * @param form the request's form parameters
     */
    public static ClientCredential credential(String authorization, Grant.Parameters form) {
        if (form.has("client_assertion") || form.has("client_assertion_type")) {
            return assertion(authorization, form);
        }
        boolean bodyCredentials = form.has("client_secret") || form.has("client_id");
        if (authorization != null) {
            if (bodyCredentials) {
                throw OAuthException.invalidRequest(
                        "use one client authentication method: HTTP Basic or client_id and client_secret in the"
                                + " body, not both");
            }
            return basic(authorization);
        }
        if (form.has("client_secret")) {
            String clientId = form.require("client_id");
            String secret = form.require("client_secret");
            return new ClientCredential.Secret(clientId, secret, false);
        }
        throw OAuthException.invalidClient(
                "client authentication is required (HTTP Basic, client_id and client_secret, or client_assertion)",
                true);
    }

    /**
     * The presented credential, or empty when the request carries none at all (no {@code Authorization} header, no
     * {@code client_id}, {@code client_secret} or {@code client_assertion}): for grants where client authentication
     * is optional (RFC 7523 §3.1). Anything presented is read as strictly as by {@link #credential}.
     */
    public static Optional<ClientCredential> credentialIfAny(String authorization, Grant.Parameters form) {
        boolean none = authorization == null
                && !form.has("client_id")
                && !form.has("client_secret")
                && !form.has("client_assertion");
        return none ? Optional.empty() : Optional.of(credential(authorization, form));
    }

    private static ClientCredential assertion(String authorization, Grant.Parameters form) {
        if (authorization != null || form.has("client_secret")) {
            throw OAuthException.invalidRequest(
                    "use one client authentication method: a client_assertion or a client secret, not both");
        }
        String type = form.require("client_assertion_type");
        if (!type.equals(ClientCredential.Assertion.TYPE)) {
            throw OAuthException.invalidRequest("client_assertion_type must be " + ClientCredential.Assertion.TYPE);
        }
        return ClientCredential.Assertion.of(form.require("client_assertion"), form.get("client_id"));
    }

    private static ClientCredential basic(String header) {
        int space = header.indexOf(' ');
        String scheme = space < 0 ? header : header.substring(0, space);
        if (!scheme.toLowerCase(Locale.ROOT).equals("basic")) {
            throw OAuthException.invalidRequest("only HTTP Basic client authentication is accepted here");
        }
        try {
            String decoded = new String(
                    Base64.getDecoder().decode(header.substring(space + 1).trim()), StandardCharsets.UTF_8);
            int colon = decoded.indexOf(':');
            if (colon <= 0) {
                throw OAuthException.invalidRequest("the Basic credentials must be client_id:client_secret");
            }
            String clientId = URLDecoder.decode(decoded.substring(0, colon), StandardCharsets.UTF_8);
            String secret = URLDecoder.decode(decoded.substring(colon + 1), StandardCharsets.UTF_8);
            if (secret.isEmpty()) {
                throw OAuthException.invalidRequest("the Basic credentials have an empty client_secret");
            }
            if (Grant.Parameters.hasControlCharacter(clientId)) {
                throw OAuthException.invalidRequest("the Basic client_id contains a control character");
            }
            if (Grant.Parameters.hasControlCharacter(secret)) {
                throw OAuthException.invalidRequest("the Basic client_secret contains a control character");
            }
            return new ClientCredential.Secret(clientId, secret, true);
        } catch (IllegalArgumentException | StringIndexOutOfBoundsException e) {
            throw OAuthException.invalidRequest("the Authorization header is not valid HTTP Basic");
        }
    }

    private final ClientDirectory clients;
    private final CredentialHasher hasher;
    private final RateLimiter limiter;
    private final RateLimiter.Limits tokenLimits;
    private final RateLimiter.Limits authenticationLimits;
    private final ClientAssertions assertions;
    private final AssertionReplay replay;

    /**
     * What {@code verify} found: the client, or the audit trail's reason why not; and for an assertion, the
     * {@code jti} still to claim — the client stands only if that use is the first.
     */
    private record Verified(Optional<ClientRecord> client, String reason, Optional<RateLimiter.SingleUse> once) {
        static Verified of(Optional<ClientRecord> client) {
            return new Verified(client, "credentials_rejected", Optional.empty());
        }

        static Verified rejected(String reason) {
            return new Verified(Optional.empty(), reason, Optional.empty());
        }
    }

    public ClientAuthenticator(
            ClientDirectory clients,
            CredentialHasher hasher,
            RateLimiter limiter,
            AppConfig.RateLimitConfig limits,
            ClientAssertions assertions,
            AssertionReplay replay) {
        this.clients = clients;
        this.assertions = assertions;
        this.replay = replay;
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
        return (wellFormed ? verify(credential) : Future.succeededFuture(Verified.rejected("malformed_client_id")))
                .compose(verified -> {
                    RateLimiter.Attempt attempt = RateLimiter.Attempt.of(
                            wellFormed ? credential.clientId() : MALFORMED_BUCKET,
                            presented.clientIp(),
                            verified.client().isPresent());
                    RateLimiter.Limits limits = tokenRequest ? tokenLimits : authenticationLimits;
                    if (verified.once().isPresent()) {
                        // A replayed jti is counted as a failed authentication, in the same script that claims it.
                        return limiter.attempt(attempt, limits, verified.once().get())
                                .map(claimed -> decide(
                                        claimed.decision(),
                                        claimed.firstUse() ? verified : Verified.rejected("jti_replayed")));
                    }
                    return limiter.attempt(attempt, limits).map(decision -> decide(decision, verified));
                })
                .otherwise(ClientAuthentication.Unavailable::new);
    }

    private static ClientAuthentication decide(RateLimiter.Decision decision, Verified verified) {
        if (!decision.allowed()) {
            return new ClientAuthentication.RateLimited(decision.limitedBy(), decision.retryAfterSeconds());
        }
        if (verified.client().isPresent()) {
            return new ClientAuthentication.Authenticated(verified.client().get());
        }
        return new ClientAuthentication.InvalidClient(verified.reason());
    }

    /** One branch per authentication method. */
    private Future<Verified> verify(ClientCredential credential) {
        if (credential instanceof ClientCredential.Secret secret) {
            return secret.secret().length() <= MAX_SECRET_LENGTH
                    ? verifySecret(secret.clientId(), secret.secret()).map(Verified::of)
                    : Future.succeededFuture(Verified.of(Optional.empty()));
        }
        if (credential instanceof ClientCredential.Assertion assertion) {
            return verifyAssertion(assertion);
        }
        throw new IllegalStateException("no verifier for " + credential.method());
    }

    /**
     * The client when the assertion passes every check against its registered keys and its agent is active; its
     * {@code jti} is then claimed by the limiter's call — last, so a refused assertion does not use up its jti. A
     * failed Redis fails that call (503): replay protection that cannot be checked is not skipped.
     */
    private Future<Verified> verifyAssertion(ClientCredential.Assertion assertion) {
        return clients.findClient(assertion.clientId()).compose(found -> {
            if (found.isEmpty()) {
                return Future.succeededFuture(Verified.rejected("unknown_client"));
            }
            ClientRecord client = found.get();
            ClientAssertions.Checked checked = assertions.check(assertion, client);
            if (checked instanceof ClientAssertions.Invalid invalid) {
                return Future.succeededFuture(Verified.rejected(invalid.reason()));
            }
            if (client.status() != AgentStatus.ACTIVE) {
                return Future.succeededFuture(Verified.rejected("agent_not_active"));
            }
            ClientAssertions.Valid valid = (ClientAssertions.Valid) checked;
            return Future.succeededFuture(new Verified(
                    Optional.of(client),
                    null,
                    Optional.of(
                            replay.claim(AssertionReplay.client(client.clientId()), valid.jti(), valid.expiresAt()))));
        });
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
