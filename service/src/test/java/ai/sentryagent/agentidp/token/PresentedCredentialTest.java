package ai.sentryagent.agentidp.token;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ai.sentryagent.agentidp.http.FormBody;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * How {@link ClientAuthenticator#credential} reads the credential a request presents (RFC 6749 §2.3), on the header
 * value and the parsed form alone: no server, microseconds each. The whole stack is {@code ClientAuthenticationTest}'s.
 */
class PresentedCredentialTest {
    @Test
    void basicPartsAreFormUrlDecodedAfterTheBase64() {
        // RFC 6749 §2.3.1: client id and secret are form-urlencoded before Basic joins them, so a ':' in either
        // travels as %3A and the first literal ':' separates them.
        ClientCredential credential = ClientAuthenticator.credential(basic("svc:reports", "p@ss:w rd"), form(""));

        assertThat(credential).isEqualTo(new ClientCredential.Secret("svc:reports", "p@ss:w rd", true));
        assertThat(credential.method()).isEqualTo("client_secret_basic");
        assertThat(credential.basicChallenge()).isTrue();
    }

    @Test
    void basicAndBodyCredentialsTogetherAreInvalidRequest() {
        // RFC 6749 §2.3: the client must not use more than one authentication method in each request.
        OAuthException refused = refused(basic("client-1", "s3cret"), "client_id=client-1&client_secret=s3cret");

        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.errorCode()).isEqualTo("invalid_request");
    }

    @Test
    void anAssertionBesideASecretIsInvalidRequest() {
        OAuthException refused = refused(
                basic("client-1", "s3cret"),
                "client_assertion_type=" + encode(ClientCredential.Assertion.TYPE) + "&client_assertion=a.b.c");

        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.errorCode()).isEqualTo("invalid_request");
    }

    @Test
    void aControlCharacterInTheBasicSecretIsRefusedBeforeItIsChecked() {
        OAuthException refused = refused(basic("client-1", "s3cret\n"), "");

        assertThat(refused.errorCode()).isEqualTo("invalid_request");
        assertThat(refused.error().message()).isEqualTo("the Basic client_secret contains a control character");
    }

    @Test
    void noCredentialIsInvalidClientWithABasicChallenge() {
        // RFC 6749 §5.2: 401 invalid_client, with WWW-Authenticate, when the client sent no authentication.
        OAuthException refused = refused(null, "grant_type=client_credentials");

        assertThat(refused.status()).isEqualTo(401);
        assertThat(refused.errorCode()).isEqualTo("invalid_client");
        assertThat(refused.basicChallenge()).isTrue();
    }

    @Test
    void optionalAuthenticationIsEmptyOnlyWhenNothingIsPresented() {
        assertThat(ClientAuthenticator.credentialIfAny(null, form("grant_type=x")))
                .isEmpty();
        // A client id alone is a credential presented, and read as strictly: without a secret it is refused.
        OAuthException refused = catchThrowableOfType(
                OAuthException.class, () -> ClientAuthenticator.credentialIfAny(null, form("client_id=client-1")));
        assertThat(refused.errorCode()).isEqualTo("invalid_client");
    }

    private static OAuthException refused(String authorization, String body) {
        OAuthException refused = catchThrowableOfType(
                OAuthException.class, () -> ClientAuthenticator.credential(authorization, form(body)));
        assertThat(refused).as("refused").isNotNull();
        return refused;
    }

    private static String basic(String clientId, String secret) {
        String pair = encode(clientId) + ":" + encode(secret);
        return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static FormBody form(String body) {
        return FormBody.parse(body);
    }
}
