package ai.sentryagent.agentidp.token;

/**
 * A credential a client presented to prove who it is (RFC 6749 §2.3). One record per authentication method: today
 * the shared secret ({@code client_secret_basic}, {@code client_secret_post}); a signed {@code client_assertion}
 * ({@code private_key_jwt}, RFC 7523 §2.2) becomes a second record here and a second branch in
 * {@link ClientAuthenticator}, and nothing else changes.
 */
public sealed interface ClientCredential {
    /** The client id the credential claims; not yet authenticated. */
    String clientId();

    /** The method's registered name (RFC 7591 §2 {@code token_endpoint_auth_method}), for audit and metrics. */
    String method();

    /** Whether a refusal should carry {@code WWW-Authenticate: Basic} (RFC 6749 §5.2: the client used Basic). */
    boolean basicChallenge();

    /** A client id and shared secret, sent with HTTP Basic ({@code basic}) or in the form body. */
    record Secret(String clientId, String secret, boolean basic) implements ClientCredential {
        @Override
        public String method() {
            return basic ? "client_secret_basic" : "client_secret_post";
        }

        @Override
        public boolean basicChallenge() {
            return basic;
        }

        @Override
        public String toString() {
            return "Secret[clientId=" + ClientIds.forAudit(clientId) + ", method=" + method() + "]";
        }
    }
}
