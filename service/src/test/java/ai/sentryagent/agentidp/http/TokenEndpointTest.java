package ai.sentryagent.agentidp.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RunningIdp;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code POST /api/v1/token}, JWKS and metadata, through HTTP against real PostgreSQL and Redis. */
@IntegrationTest
class TokenEndpointTest {
    private static RunningIdp idp;
    private static String agentId;
    private static String secret;

    @BeforeAll
    static void start() throws Exception {
        idp = RunningIdp.start();
        agentId =
                idp.createAgent("weather-bot", "weather:read", "weather:write").getString("agentId");
        secret = idp.createCredential(agentId).getString("clientSecret");
    }

    @AfterAll
    static void stop() throws Exception {
        idp.close();
    }

    private static HttpResponse<String> tokenRequest(String form, String basicId, String basicSecret) throws Exception {
        return idp.postForm("/api/v1/token", form, basicId, basicSecret);
    }

    private static void assertOAuthError(HttpResponse<String> response, int status, String error) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonObject body = new JsonObject(response.body());
        assertThat(body.getString("error")).isEqualTo(error);
        assertThat(body.getString("error_description")).matches("[\\x20\\x21\\x23-\\x5B\\x5D-\\x7E]+");
        assertThat(response.headers().firstValue("cache-control")).hasValue("no-store");
        assertThat(response.headers().firstValue("pragma")).hasValue("no-cache");
    }

    @Test
    void basicAuthGetsAVerifiableRfc9068Token() throws Exception {
        HttpResponse<String> response = tokenRequest("grant_type=client_credentials", agentId, secret);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("cache-control")).hasValue("no-store");
        assertThat(response.headers().firstValue("pragma")).hasValue("no-cache");
        JsonObject body = new JsonObject(response.body());
        assertThat(body.fieldNames()).containsExactlyInAnyOrder("access_token", "token_type", "expires_in", "scope");
        assertThat(body.getString("token_type")).isEqualTo("Bearer");
        assertThat(body.getLong("expires_in")).isEqualTo(3600);
        assertThat(body.getString("scope")).isEqualTo("weather:read weather:write");

        JWTClaimsSet claims = verifyLikeAResourceServer(body.getString("access_token"));
        assertThat(claims.getIssuer()).isEqualTo(RunningIdp.ISSUER);
        assertThat(claims.getSubject()).isEqualTo(agentId);
        assertThat(claims.getStringClaim("client_id")).isEqualTo(agentId);
        assertThat(claims.getAudience()).containsExactly(RunningIdp.ISSUER);
        assertThat(claims.getStringClaim("scope")).isEqualTo("weather:read weather:write");
        assertThat(claims.getJWTID()).isNotBlank();
        assertThat(claims.getExpirationTime().getTime() - claims.getIssueTime().getTime())
                .isEqualTo(3_600_000);
        assertThat(claims.getIssueTime().toInstant()).isBetween(Instant.now().minusSeconds(30), Instant.now());
    }

    @Test
    void postAuthWithANarrowedScope() throws Exception {
        HttpResponse<String> response = tokenRequest(
                "grant_type=client_credentials&scope=weather%3Aread&client_id=" + agentId + "&client_secret=" + secret,
                null,
                null);
        assertThat(response.statusCode()).isEqualTo(200);
        JsonObject body = new JsonObject(response.body());
        assertThat(body.getString("scope")).isEqualTo("weather:read");
        assertThat(verifyLikeAResourceServer(body.getString("access_token")).getStringClaim("scope"))
                .isEqualTo("weather:read");
    }

    @Test
    void everyTokenHasItsOwnJti() throws Exception {
        String first = idp.token(agentId, secret, null);
        String second = idp.token(agentId, secret, null);
        assertThat(verifyLikeAResourceServer(first).getJWTID())
                .isNotEqualTo(verifyLikeAResourceServer(second).getJWTID());
    }

    /** Verifies a token the way an independent resource server would: JWKS over HTTP, Nimbus, RFC 9068 typ. */
    static JWTClaimsSet verifyLikeAResourceServer(String token) throws Exception {
        HttpResponse<String> jwks = idp.get("/.well-known/jwks.json");
        DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
        processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(new JOSEObjectType("at+jwt")));
        processor.setJWSKeySelector(
                new JWSVerificationKeySelector<>(JWSAlgorithm.RS256, new ImmutableJWKSet<>(JWKSet.parse(jwks.body()))));
        processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(
                RunningIdp.ISSUER,
                new JWTClaimsSet.Builder().issuer(RunningIdp.ISSUER).build(),
                Set.of("sub", "client_id", "iat", "exp", "jti", "scope")));
        return processor.process(token, null);
    }

    @Test
    void jwksPublishesOnlyThePublicKeyWithAThumbprintKid() throws Exception {
        HttpResponse<String> response = idp.get("/.well-known/jwks.json");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("cache-control"))
                .hasValueSatisfying(v -> assertThat(v).contains("max-age"));
        JWKSet set = JWKSet.parse(response.body());
        assertThat(set.getKeys()).hasSize(1);
        var key = set.getKeys().get(0).toRSAKey();
        assertThat(key.isPrivate()).isFalse();
        assertThat(key.getKeyID()).isEqualTo(key.computeThumbprint().toString());
        assertThat(key.getAlgorithm().getName()).isEqualTo("RS256");
        assertThat(key.getKeyUse().identifier()).isEqualTo("sig");
        assertThat(new JsonObject(response.body())
                        .getJsonArray("keys")
                        .getJsonObject(0)
                        .fieldNames())
                .containsExactlyInAnyOrder("kty", "use", "alg", "kid", "n", "e");
    }

    @Test
    void metadataDocumentsTheEndpoints() throws Exception {
        for (String path : List.of("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration")) {
            HttpResponse<String> response = idp.get(path);
            assertThat(response.statusCode()).isEqualTo(200);
            JsonObject metadata = new JsonObject(response.body());
            assertThat(metadata.getString("issuer")).isEqualTo(RunningIdp.ISSUER);
            assertThat(metadata.getString("token_endpoint")).isEqualTo(RunningIdp.ISSUER + "/api/v1/token");
            assertThat(metadata.getString("jwks_uri")).isEqualTo(RunningIdp.ISSUER + "/.well-known/jwks.json");
            assertThat(metadata.getString("introspection_endpoint"))
                    .isEqualTo(RunningIdp.ISSUER + "/api/v1/token/introspect");
            assertThat(metadata.getString("revocation_endpoint")).isEqualTo(RunningIdp.ISSUER + "/api/v1/token/revoke");
            assertThat(metadata.getJsonArray("grant_types_supported"))
                    // Issue 17: grant_types_supported adds token exchange (RFC 8693 §2.1's grant type).
                    .containsExactly(
                            "client_credentials",
                            "urn:ietf:params:oauth:grant-type:jwt-bearer",
                            "urn:ietf:params:oauth:grant-type:token-exchange");
            assertThat(metadata.getJsonArray("token_endpoint_auth_methods_supported"))
                    .containsExactly("client_secret_basic", "client_secret_post", "private_key_jwt");
            assertThat(metadata.getJsonArray("scopes_supported").getList())
                    .contains("agents:read", "agents:write", "admin", "weather:read");
        }
    }

    @Test
    void unknownClientAndWrongSecretAreInvalidClient() throws Exception {
        HttpResponse<String> unknown =
                tokenRequest("grant_type=client_credentials", "00000000-0000-0000-0000-000000000000", secret);
        assertOAuthError(unknown, 401, "invalid_client");
        assertThat(unknown.headers().firstValue("www-authenticate"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("Basic"));

        HttpResponse<String> wrong = tokenRequest("grant_type=client_credentials", agentId, secret + "x");
        assertOAuthError(wrong, 401, "invalid_client");
        assertThat(wrong.headers().firstValue("www-authenticate")).isPresent();

        HttpResponse<String> wrongPost =
                tokenRequest("grant_type=client_credentials&client_id=" + agentId + "&client_secret=nope", null, null);
        assertOAuthError(wrongPost, 401, "invalid_client");
        assertThat(wrongPost.headers().firstValue("www-authenticate")).isEmpty();
    }

    @Test
    void noClientAuthenticationIsInvalidClient() throws Exception {
        assertOAuthError(tokenRequest("grant_type=client_credentials", null, null), 401, "invalid_client");
    }

    @Test
    void suspendedAndDecommissionedAgentsGetNoTokens() throws Exception {
        String id = idp.createAgent("suspend-me", "weather:read").getString("agentId");
        String s = idp.createCredential(id).getString("clientSecret");
        assertThat(tokenRequest("grant_type=client_credentials", id, s).statusCode())
                .isEqualTo(200);

        idp.call("PATCH", "/api/v1/agents/" + id, idp.adminToken(), new JsonObject().put("status", "suspended"));
        assertOAuthError(tokenRequest("grant_type=client_credentials", id, s), 401, "invalid_client");

        idp.call("PATCH", "/api/v1/agents/" + id, idp.adminToken(), new JsonObject().put("status", "active"));
        assertThat(tokenRequest("grant_type=client_credentials", id, s).statusCode())
                .isEqualTo(200);

        assertThat(idp.call("DELETE", "/api/v1/agents/" + id, idp.adminToken(), null)
                        .statusCode())
                .isEqualTo(204);
        assertOAuthError(tokenRequest("grant_type=client_credentials", id, s), 401, "invalid_client");
    }

    @Test
    void revokedAndExpiredCredentialsAreInvalidClient() throws Exception {
        String id = idp.createAgent("revoke-me", "weather:read").getString("agentId");
        JsonObject credential = idp.createCredential(id);
        String s = credential.getString("clientSecret");
        idp.call(
                "DELETE",
                "/api/v1/agents/" + id + "/credentials/" + credential.getString("credentialId"),
                idp.adminToken(),
                null);
        assertOAuthError(tokenRequest("grant_type=client_credentials", id, s), 401, "invalid_client");

        String expired;
        try (var db = ai.sentryagent.agentidp.testing.TestServers.get().jdbc();
                var statement = db.createStatement()) {
            JsonObject fresh = idp.createCredential(id);
            expired = fresh.getString("clientSecret");
            statement.execute("UPDATE credentials SET expires_at = now() - interval '1 second' WHERE credential_id = '"
                    + fresh.getString("credentialId") + "'");
        }
        assertOAuthError(tokenRequest("grant_type=client_credentials", id, expired), 401, "invalid_client");
    }

    @Test
    void bothAuthenticationMethodsAtOnceIsInvalidRequest() throws Exception {
        assertOAuthError(
                tokenRequest(
                        "grant_type=client_credentials&client_id=" + agentId + "&client_secret=" + secret,
                        agentId,
                        secret),
                400,
                "invalid_request");
    }

    @Test
    void missingAndRepeatedParametersAreInvalidRequest() throws Exception {
        assertOAuthError(tokenRequest("scope=weather%3Aread", agentId, secret), 400, "invalid_request");
        HttpResponse<String> repeated =
                tokenRequest("grant_type=client_credentials&grant_type=client_credentials", agentId, secret);
        assertOAuthError(repeated, 400, "invalid_request");
        assertThat(new JsonObject(repeated.body()).getString("error_description"))
                .contains("grant_type");
        assertOAuthError(
                tokenRequest(
                        "grant_type=client_credentials&scope=weather%3Aread&scope=weather%3Awrite", agentId, secret),
                400,
                "invalid_request");
    }

    @Test
    void credentialsInTheQueryStringAreInvalidRequest() throws Exception {
        HttpResponse<String> response =
                idp.send(idp.request("/api/v1/token?client_id=" + agentId + "&client_secret=" + secret)
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials"))
                        .build());
        assertOAuthError(response, 400, "invalid_request");
    }

    @Test
    void malformedBasicHeaderIsInvalidRequest() throws Exception {
        for (String header : List.of(
                "Basic !!!notbase64",
                "Basic " + java.util.Base64.getEncoder().encodeToString("no-colon".getBytes()),
                "Bearer abc",
                "Basic")) {
            HttpResponse<String> response = idp.send(idp.request("/api/v1/token")
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .header("Authorization", header)
                    .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials"))
                    .build());
            assertOAuthError(response, 400, "invalid_request");
        }
    }

    @Test
    void wrongContentTypeIsInvalidRequest() throws Exception {
        HttpResponse<String> response = idp.send(idp.request("/api/v1/token")
                .header("Content-Type", "application/json")
                .header("Authorization", RunningIdp.basic(agentId, secret))
                .POST(HttpRequest.BodyPublishers.ofString("{\"grant_type\":\"client_credentials\"}"))
                .build());
        assertOAuthError(response, 400, "invalid_request");
    }

    @Test
    void otherGrantTypesAreUnsupported() throws Exception {
        assertOAuthError(
                tokenRequest("grant_type=password&username=a&password=b", agentId, secret),
                400,
                "unsupported_grant_type");
        assertOAuthError(
                tokenRequest("grant_type=authorization_code&code=x", agentId, secret), 400, "unsupported_grant_type");
    }

    @Test
    void scopesOutsideTheAgentsAreInvalidScope() throws Exception {
        HttpResponse<String> outside = tokenRequest("grant_type=client_credentials&scope=admin", agentId, secret);
        assertOAuthError(outside, 400, "invalid_scope");
        assertThat(new JsonObject(outside.body()).getString("error_description"))
                .contains("admin");
        assertOAuthError(tokenRequest("grant_type=client_credentials&scope=", agentId, secret), 400, "invalid_scope");
        assertOAuthError(
                tokenRequest("grant_type=client_credentials&scope=weather%3Aread%20%22quoted%22", agentId, secret),
                400,
                "invalid_scope");
    }

    @Test
    void wrongMethodIs405WithTheOAuthShape() throws Exception {
        HttpResponse<String> response = idp.get("/api/v1/token");
        assertOAuthError(response, 405, "invalid_request");
        assertThat(response.headers().firstValue("allow")).hasValue("POST");
    }

    @Test
    void oversizedBodyIs413() throws Exception {
        // F-17: the OAuth forms' whole-body limit is 16 KiB, each field under the 8 KiB field limit.
        String huge = "grant_type=client_credentials" + ("&pad=" + "a".repeat(4_000)).repeat(5);
        HttpResponse<String> response = tokenRequest(huge, agentId, secret);
        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(response.headers().firstValue("cache-control")).hasValue("no-store");
    }

    @Test
    void bootstrapAdministratorGetsAnAdminToken() throws Exception {
        JWTClaimsSet claims = verifyLikeAResourceServer(idp.adminToken());
        assertThat(claims.getStringClaim("client_id")).isEqualTo(RunningIdp.ADMIN_CLIENT_ID);
        assertThat(claims.getStringClaim("scope")).isEqualTo("admin");
        assertThat(claims.getSubject()).matches("[0-9a-f-]{36}");
    }

    @Test
    void agentWithoutScopesGetsAnEmptyScope() throws Exception {
        String id = idp.createAgent("no-scopes").getString("agentId");
        String s = idp.createCredential(id).getString("clientSecret");
        HttpResponse<String> response = tokenRequest("grant_type=client_credentials", id, s);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(new JsonObject(response.body()).getString("scope")).isEmpty();
    }
}
