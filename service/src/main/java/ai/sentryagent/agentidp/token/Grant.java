package ai.sentryagent.agentidp.token;

import io.vertx.core.Future;
import java.util.Optional;

/**
 * One grant type of the token endpoint (RFC 6749 §4, §4.5 for extension grants). A new grant is a class implementing
 * this and one entry in the token endpoint's table; the endpoint parses the form, picks the grant by
 * {@code grant_type} and maps its {@link GrantOutcome}.
 */
public interface Grant {
    /** The {@code grant_type} value this grant answers (an absolute URI for extension grants). */
    String grantType();

    /** Never a failed future for anything a client can send: every answer is an outcome. */
    Future<GrantOutcome> apply(Request request);

    /**
     * Whether the request must carry client authentication (RFC 6749 §3.2.1). A grant whose parameters are the
     * credential (RFC 7523 §3.1: the jwt-bearer assertion) answers false, and then authenticates a client only when
     * one is presented.
     */
    default boolean clientAuthenticationRequired() {
        return true;
    }

    /**
     * The authenticated-to-be client, if the request presented one, and the form's parameters (already checked for
     * repeats and controls).
     */
    record Request(Optional<ClientAuthenticator.Presented> presented, Parameters parameters) {
        public Request(ClientAuthenticator.Presented client, Parameters parameters) {
            this(Optional.of(client), parameters);
        }

        /** The presented client, for a grant that {@link #clientAuthenticationRequired() requires} one. */
        public ClientAuthenticator.Presented client() {
            return presented.orElseThrow(() -> new IllegalStateException("no client was presented"));
        }
    }

    /** The token request's form parameters. */
    interface Parameters {
        /** The value, empty when absent or sent empty (RFC 6749 §3.2: an empty parameter is omitted). */
        Optional<String> get(String name);

        /** Whether the parameter was sent at all, even empty. */
        boolean has(String name);

        /**
         * Every non-empty value of a parameter that may repeat — {@code resource} (RFC 8707 §2) and
         * {@code audience} (RFC 8693 §2.1) — in the order sent; for any other parameter the one value, if any.
         */
        java.util.List<String> all(String name);

        /** The value; {@code invalid_request} when absent or empty. */
        default String require(String name) {
            return get(name).orElseThrow(() -> OAuthException.invalidRequest("parameter " + name + " is required"));
        }

        /**
         * C0 controls (NUL, CR, LF, TAB …), DEL and C1 controls, which no OAuth parameter holds (RFC 6749 Appendix A
         * allows only %x20-7E in every parameter this service reads): the form parser refuses a parameter with one,
         * client authentication a Basic credential with one.
         */
        static boolean hasControlCharacter(String value) {
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) {
                    return true;
                }
            }
            return false;
        }
    }
}
