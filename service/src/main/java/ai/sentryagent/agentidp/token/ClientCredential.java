package ai.sentryagent.agentidp.token;

import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import java.text.ParseException;
import java.util.Optional;

/**
 * A credential a client presented to prove who it is (RFC 6749 §2.3). One record per authentication method: the
 * shared secret ({@code client_secret_basic}, {@code client_secret_post}) and the signed {@code client_assertion}
 * ({@code private_key_jwt}, RFC 7523 §2.2); each is one branch in {@link ClientAuthenticator}.
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

    /**
     * A {@code client_assertion} of type {@link #TYPE} (RFC 7523 §2.2). {@code clientId} is the assertion's
     * unverified {@code iss} — what the limits count against — or the {@code client_id} parameter when the
     * assertion has none; {@code declaredClientId} is that parameter, which must equal {@code iss} when sent.
     * {@code parsed} is the assertion as read for its {@code iss} when it is a JWS, so that the checks do not parse
     * it (header and claims JSON) a second time; unverified.
     */
    record Assertion(String clientId, String assertion, Optional<String> declaredClientId, Optional<SignedJWT> parsed)
            implements ClientCredential {
        public static final String TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

        /** An assertion the checks will parse themselves. */
        public Assertion(String clientId, String assertion, Optional<String> declaredClientId) {
            this(clientId, assertion, declaredClientId, Optional.empty());
        }

        /** Reads the claimed client id from the (not yet verified) assertion. */
        public static Assertion of(String assertion, Optional<String> declaredClientId) {
            String issuer = null;
            SignedJWT signed = null;
            try {
                JWT jwt = JWTParser.parse(assertion);
                signed = jwt instanceof SignedJWT s ? s : null;
                issuer = jwt.getJWTClaimsSet().getIssuer();
            } catch (ParseException | RuntimeException e) {
                // not a JWT: verification refuses it; the limits count it against the declared id or as malformed
            }
            return new Assertion(
                    issuer != null ? issuer : declaredClientId.orElse(""),
                    assertion,
                    declaredClientId,
                    Optional.ofNullable(signed));
        }

        @Override
        public String method() {
            return "private_key_jwt";
        }

        @Override
        public boolean basicChallenge() {
            return false;
        }

        @Override
        public String toString() {
            return "Assertion[clientId=" + ClientIds.forAudit(clientId) + "]";
        }
    }
}
