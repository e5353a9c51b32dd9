package ai.sentryagent.agentidp.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RunningIdp;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * RFC 8707 resource indicators on the client-credentials grant, end to end: tokens are checked the way a resource
 * server checks them — by Nimbus, against the published JWKS, with RFC 9068's {@code typ} and its own identifier as
 * the audience it accepts.
 */
@IntegrationTest
class ResourceIndicatorTest {
    private static final String WEATHER = "https://weather.example.com/api";
    private static final String REPORTS = "https://reports.example.com/";

    private static RunningIdp idp;
    private static String admin;
    private static JWKSet jwks;

    @BeforeAll
    static void start() throws Exception {
        idp = RunningIdp.start();
        admin = idp.adminToken();
        jwks = JWKSet.parse(idp.get("/.well-known/jwks.json").body());
    }

    @AfterAll
    static void stop() throws Exception {
        idp.close();
    }

    private record Client(String id, String secret) {}

    private static Client agent(String name, String... resources) throws Exception {
        JsonObject body = new JsonObject()
                .put("name", name)
                .put("owner", "team-test")
                .put("scopes", new JsonArray().add("weather:read"))
                .put("resources", new JsonArray(List.of(resources)));
        HttpResponse<String> created = idp.call("POST", "/api/v1/agents", admin, body);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String id = new JsonObject(created.body()).getString("agentId");
        return new Client(id, idp.createCredential(id).getString("clientSecret"));
    }

    private static HttpResponse<String> token(Client client, String... extra) throws Exception {
        String form = Stream.concat(Stream.of("grant_type=client_credentials"), Stream.of(extra))
                .collect(Collectors.joining("&"));
        return idp.postForm("/api/v1/token", form, client.id(), client.secret());
    }

    private static String resource(String uri) {
        return "resource=" + URLEncoder.encode(uri, StandardCharsets.UTF_8);
    }

    private static String accessToken(HttpResponse<String> response) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return new JsonObject(response.body()).getString("access_token");
    }

    /** The resource server {@code audience} accepting a token: signature by a published key, RFC 9068 typ, aud. */
    private static JWTClaimsSet acceptedBy(String audience, String token) throws Exception {
        DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
        processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(new JOSEObjectType("at+jwt")));
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.RS256, new ImmutableJWKSet<>(jwks)));
        processor.setJWTClaimsSetVerifier(
                new DefaultJWTClaimsVerifier<>(Set.of(audience), null, Set.of("exp", "iat", "sub"), null));
        return processor.process(token, null);
    }

    private static Object rawAud(String token) {
        return new JsonObject(new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8))
                .getValue("aud");
    }

    private static void assertInvalidTarget(HttpResponse<String> response, String descriptionPart) {
        // RFC 8707 §2: "invalid_target" with HTTP 400 for a resource that is invalid, unknown or not the client's.
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        JsonObject body = new JsonObject(response.body());
        assertThat(body.getString("error")).isEqualTo("invalid_target");
        assertThat(body.getString("error_description")).contains(descriptionPart);
    }

    @Test
    void oneResourceIsTheWholeAudienceAsAString() throws Exception {
        Client client = agent("one-resource", WEATHER, REPORTS);
        String token = accessToken(token(client, resource(WEATHER)));

        assertThat(acceptedBy(WEATHER, token).getAudience()).containsExactly(WEATHER);
        // RFC 7519 §4.1.3: one audience "MAY be a single case-sensitive string".
        assertThat(rawAud(token)).isEqualTo(WEATHER);
        // The other registered resource, and the IdP's own audience, are not among it.
        assertThatThrownBy(() -> acceptedBy(REPORTS, token)).isInstanceOf(BadJOSEException.class);
        assertThatThrownBy(() -> acceptedBy(RunningIdp.ISSUER, token)).isInstanceOf(BadJOSEException.class);
    }

    @Test
    void twoResourcesAreAnArrayAudienceEachResourceServerAccepts() throws Exception {
        Client client = agent("two-resources", WEATHER, REPORTS);
        String token = accessToken(token(client, resource(REPORTS), resource(WEATHER)));

        assertThat(acceptedBy(WEATHER, token).getAudience()).containsExactlyInAnyOrder(WEATHER, REPORTS);
        assertThat(acceptedBy(REPORTS, token).getAudience()).containsExactlyInAnyOrder(WEATHER, REPORTS);
        assertThat(rawAud(token)).isInstanceOf(JsonArray.class);
    }

    @Test
    void withoutResourceTheAudienceStaysTheDefault() throws Exception {
        Client client = agent("no-resource", WEATHER);
        String token = accessToken(token(client));
        assertThat(acceptedBy(RunningIdp.ISSUER, token).getAudience()).containsExactly(RunningIdp.ISSUER);
        assertThatThrownBy(() -> acceptedBy(WEATHER, token)).isInstanceOf(BadJOSEException.class);
    }

    @Test
    void aResourceTheAgentDidNotRegisterIsInvalidTarget() throws Exception {
        Client client = agent("unregistered", WEATHER);
        assertInvalidTarget(token(client, resource(REPORTS)), "https://reports.example.com/");
        // One bad resource spoils the request: no token for the good one alone.
        assertInvalidTarget(token(client, resource(WEATHER), resource(REPORTS)), "not one of the client's");
        // Exact match (RFC 8707 defines no normalisation): a prefix or another case is another resource.
        assertInvalidTarget(token(client, resource("https://weather.example.com/")), "not one of the client's");
        assertInvalidTarget(token(client, resource("https://WEATHER.example.com/api")), "not one of the client's");
    }

    @Test
    void aFragmentOrARelativeUriIsInvalidTarget() throws Exception {
        Client client = agent("malformed-target", WEATHER);
        // RFC 8707 §2: an absolute URI (RFC 3986 §4.3) that "MUST NOT include a fragment component".
        assertInvalidTarget(token(client, resource(WEATHER + "#section")), "fragment");
        assertInvalidTarget(token(client, resource("/api")), "absolute URI");
        assertInvalidTarget(token(client, resource("weather.example.com/api")), "absolute URI");
    }

    @Test
    void registrationRefusesResourcesRfc8707Forbids() throws Exception {
        for (String bad : List.of(WEATHER + "#frag", "/relative", "urn:example:no-host", "https://a b.example/")) {
            JsonObject body = new JsonObject()
                    .put("name", "bad-resource")
                    .put("owner", "team-test")
                    .put("scopes", new JsonArray().add("weather:read"))
                    .put("resources", new JsonArray().add(bad));
            HttpResponse<String> response = idp.call("POST", "/api/v1/agents", admin, body);
            assertThat(response.statusCode()).as(bad + ": " + response.body()).isEqualTo(400);
            assertThat(new JsonObject(response.body()).getJsonObject("details").getString("field"))
                    .isEqualTo("resources");
        }
        JsonObject twice = new JsonObject()
                .put("name", "twice")
                .put("owner", "team-test")
                .put("scopes", new JsonArray().add("weather:read"))
                .put("resources", new JsonArray().add(WEATHER).add(WEATHER));
        assertThat(idp.call("POST", "/api/v1/agents", admin, twice).statusCode())
                .isEqualTo(400);
    }

    @Test
    void scopeMayNotRepeatButResourceMay() throws Exception {
        Client client = agent("repeats", WEATHER, REPORTS);
        // RFC 6749 §3.2: "Request and response parameters MUST NOT be included more than once" — RFC 8707 §2
        // makes resource the exception ("may use multiple resource parameters").
        HttpResponse<String> scopeTwice = token(client, "scope=weather:read", "scope=weather:read");
        assertThat(scopeTwice.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(scopeTwice.body()).getString("error")).isEqualTo("invalid_request");
        assertThat(new JsonObject(scopeTwice.body()).getString("error_description"))
                .contains("scope")
                .contains("repeated");

        String token = accessToken(token(client, "scope=weather:read", resource(WEATHER), resource(REPORTS)));
        assertThat(acceptedBy(REPORTS, token).getStringClaim("scope")).isEqualTo("weather:read");
    }

    @Test
    void removingAResourceByPatchRefusesItAtOnce() throws Exception {
        Client client = agent("patched", WEATHER, REPORTS);
        String reportsOnly = accessToken(token(client, resource(REPORTS))); // the client record is now cached
        String both = accessToken(token(client, resource(WEATHER), resource(REPORTS)));

        HttpResponse<String> patched = idp.call(
                "PATCH",
                "/api/v1/agents/" + client.id(),
                admin,
                new JsonObject().put("resources", new JsonArray().add(WEATHER)));
        assertThat(patched.statusCode()).as(patched.body()).isEqualTo(200);
        assertThat(new JsonObject(patched.body()).getJsonArray("resources")).containsExactly(WEATHER);
        assertThat(new JsonObject(idp.call("GET", "/api/v1/agents/" + client.id(), admin, null)
                                .body())
                        .getJsonArray("resources"))
                .containsExactly(WEATHER);

        assertInvalidTarget(token(client, resource(REPORTS)), "https://reports.example.com/");
        accessToken(token(client, resource(WEATHER)));

        // RFC 7662 §2.2: "active" means usable now. Like a removed scope, a removed resource is withdrawn from the
        // tokens already issued for it: a token for it alone is inactive, one for both is for the remaining one.
        assertThat(introspect(client, reportsOnly)).isEqualTo(new JsonObject().put("active", false));
        JsonObject narrowed = introspect(client, both);
        assertThat(narrowed.getBoolean("active")).isTrue();
        assertThat(narrowed.getValue("aud")).isEqualTo(WEATHER);
    }

    private static JsonObject introspect(Client client, String token) throws Exception {
        HttpResponse<String> response =
                idp.postForm("/api/v1/token/introspect", "token=" + token, client.id(), client.secret());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return new JsonObject(response.body());
    }

    @Test
    void aResourceBoundTokenIsNoKeyToTheIdpButIntrospectsWithItsAudience() throws Exception {
        Client client = agent("bound", WEATHER, REPORTS);
        String one = accessToken(token(client, resource(WEATHER)));
        String two = accessToken(token(client, resource(WEATHER), resource(REPORTS)));

        // RFC 9068 §4 / RFC 8707 §2: a resource server refuses a token whose aud does not name it — the IdP's
        // management API is one, and the token was asked for another.
        HttpResponse<String> own = idp.call("GET", "/api/v1/agents/" + client.id(), one, null);
        assertThat(own.statusCode()).as(own.body()).isEqualTo(401);

        // RFC 7662 §2.2: aud "as defined in JWT" — the audience the token was issued with.
        JsonObject first = introspect(client, one);
        assertThat(first.getBoolean("active")).isTrue();
        assertThat(first.getValue("aud")).isEqualTo(WEATHER);
        JsonObject second = introspect(client, two);
        assertThat(second.getBoolean("active")).isTrue();
        assertThat(second.getJsonArray("aud")).containsExactly(WEATHER, REPORTS);

        // RFC 7009: the client can revoke it, and then it is inactive.
        assertThat(idp.postForm("/api/v1/token/revoke", "token=" + one, client.id(), client.secret())
                        .statusCode())
                .isEqualTo(200);
        assertThat(introspect(client, one).getBoolean("active")).isFalse();
    }
}
