package ai.sentryagent.agentidp.agent;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.http.FormBody;
import ai.sentryagent.agentidp.token.OAuthException;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

/** The resource rules on their own, in milliseconds: RFC 8707 §2 for one value, RFC 6749 §3.2 for the form. */
class ResourceIndicatorRuleTest {

    @Test
    void rfc8707AbsoluteUrisWithoutFragmentAreResources() {
        // RFC 8707 §2's own examples, and a port and path; a query is discouraged ("SHOULD NOT"), not forbidden.
        for (String good : new String[] {
            "https://api.example.com/app/",
            "https://cal.example.com/",
            "https://api.example.com:8443/mcp",
            "https://api.example.com/search?tenant=a"
        }) {
            assertThat(ResourceIndicator.problem(good)).as(good).isEmpty();
        }
    }

    @Test
    void fragmentsRelativeReferencesAndHostlessUrisAreNot() {
        // RFC 8707 §2: "MUST NOT include a fragment component" — an empty fragment is still one (RFC 3986 §3.5).
        assertThat(ResourceIndicator.problem("https://api.example.com/#"))
                .hasValueSatisfying(p -> assertThat(p).contains("fragment"));
        assertThat(ResourceIndicator.problem("https://api.example.com/#x"))
                .hasValueSatisfying(p -> assertThat(p).contains("fragment"));
        // RFC 3986 §4.2 relative references are not absolute URIs (§4.3).
        for (String relative : new String[] {"/api", "api.example.com/x", "//api.example.com/x"}) {
            assertThat(ResourceIndicator.problem(relative))
                    .as(relative)
                    .hasValueSatisfying(p -> assertThat(p).contains("absolute"));
        }
        assertThat(ResourceIndicator.problem("urn:example:resource"))
                .hasValueSatisfying(p -> assertThat(p).contains("host"));
        assertThat(ResourceIndicator.problem("https://exa mple.com/")).isPresent();
        assertThat(ResourceIndicator.problem("https://bücher.example/")).isPresent(); // an IRI, not a URI
        assertThat(ResourceIndicator.problem("https://a.example/" + "x".repeat(ResourceIndicator.MAX_LENGTH)))
                .isPresent();
    }

    @Test
    void onlyResourceMayRepeatInATokenRequest() {
        // RFC 8707 §2: "multiple resource parameters may be used"; RFC 6749 §3.2: nothing else may repeat.
        FormBody form = FormBody.parse("grant_type=client_credentials&resource=https%3A%2F%2Fa.example%2F"
                + "&resource=&resource=https%3A%2F%2Fb.example%2F");
        assertThat(form.all("resource")).containsExactly("https://a.example/", "https://b.example/");
        assertThat(form.all("grant_type")).containsExactly("client_credentials");
        // RFC 8693 §2.1: "multiple audience parameters may be used" in a token exchange.
        assertThat(FormBody.parse("audience=x&audience=&audience=y").all("audience"))
                .containsExactly("x", "y");
        for (String repeated : new String[] {
            "scope",
            "grant_type",
            "client_id",
            "subject_token",
            "subject_token_type",
            "actor_token",
            "actor_token_type",
            "requested_token_type"
        }) {
            Assertions.assertThatThrownBy(() -> FormBody.parse(repeated + "=a&" + repeated + "=b"))
                    .isInstanceOf(OAuthException.class)
                    .hasMessageContaining(repeated + " is repeated");
        }
    }
}
