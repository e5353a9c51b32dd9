package ai.sentryagent.agentidp.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.crypto.Pem;
import ai.sentryagent.agentidp.crypto.SigningKeys;
import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RunningIdp;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import io.vertx.core.json.JsonObject;
import java.security.KeyPair;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The documented JWT key rotation: the new key signs, the old public key keeps verifying until its tokens expire. */
@IntegrationTest
class KeyRotationTest {
    @Test
    void tokensSignedByThePreviousKeyStayValidWhileItIsPublished() throws Exception {
        String id;
        String secret;
        String oldToken;
        try (RunningIdp idp = RunningIdp.start()) {
            id = idp.createAgent("rotation", "weather:read").getString("agentId");
            secret = idp.createCredential(id).getString("clientSecret");
            oldToken = idp.token(id, secret, null);
        }
        KeyPair next = SigningKeys.generate(2048);
        try (RunningIdp idp = RunningIdp.start(Map.of(
                "JWT_PRIVATE_KEY", Pem.encodePrivate(next.getPrivate()),
                "JWT_PUBLIC_KEY", Pem.encodePublic(next.getPublic()),
                "JWT_PREVIOUS_PUBLIC_KEYS", Pem.encodePublic(RunningIdp.keys().getPublic())))) {
            JWKSet jwks = JWKSet.parse(idp.get("/.well-known/jwks.json").body());
            assertThat(jwks.getKeys()).hasSize(2);
            String newToken = idp.token(id, secret, null);
            String newKid = new JsonObject(
                            new String(java.util.Base64.getUrlDecoder().decode(newToken.split("\\.")[0])))
                    .getString("kid");
            assertThat(jwks.getKeys().get(0).getKeyID()).isEqualTo(newKid);
            JsonObject old = new JsonObject(idp.postForm("/api/v1/token/introspect", "token=" + oldToken, id, secret)
                    .body());
            assertThat(old.getBoolean("active")).isTrue();
        }
        // Once the old key is no longer published, its tokens are no longer accepted.
        try (RunningIdp idp = RunningIdp.start(Map.of(
                "JWT_PRIVATE_KEY", Pem.encodePrivate(next.getPrivate()),
                "JWT_PUBLIC_KEY", Pem.encodePublic(next.getPublic())))) {
            JsonObject old = new JsonObject(idp.postForm("/api/v1/token/introspect", "token=" + oldToken, id, secret)
                    .body());
            assertThat(old).isEqualTo(new JsonObject().put("active", false));
        }
    }

    @Test
    void rotatingFromRs256ToEs256KeepsOldTokensValidAndNewOnesVerifyAgainstTheJwks() throws Exception {
        String id;
        String secret;
        String rsaToken;
        try (RunningIdp idp = RunningIdp.start()) {
            id = idp.createAgent("to-es256", "weather:read").getString("agentId");
            secret = idp.createCredential(id).getString("clientSecret");
            rsaToken = idp.token(id, secret, null);
        }
        KeyPair ec = SigningKeys.generateP256();
        try (RunningIdp idp = RunningIdp.start(Map.of(
                "JWT_PRIVATE_KEY", Pem.escape(Pem.encodePrivate(ec.getPrivate())),
                "JWT_PUBLIC_KEY", Pem.encodePublic(ec.getPublic()),
                "JWT_PREVIOUS_PUBLIC_KEYS", Pem.encodePublic(RunningIdp.keys().getPublic())))) {
            JWKSet jwks = JWKSet.parse(idp.get("/.well-known/jwks.json").body());
            assertThat(jwks.getKeys())
                    .extracting(key -> key.getKeyType().getValue() + " " + key.getAlgorithm())
                    .containsExactly("EC ES256", "RSA RS256");
            String ecToken = idp.token(id, secret, "weather:read");
            SignedJWT jwt = SignedJWT.parse(ecToken);
            assertThat(jwt.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.ES256);
            assertThat(jwt.getHeader().getType().toString()).isEqualTo("at+jwt");
            ECKey published = (ECKey) jwks.getKeyByKeyId(jwt.getHeader().getKeyID());
            assertThat(jwt.verify(new ECDSAVerifier(published))).isTrue();
            assertThat(jwt.getJWTClaimsSet().getSubject()).isEqualTo(id);
            for (String token : List.of(ecToken, rsaToken)) {
                JsonObject introspected =
                        new JsonObject(idp.postForm("/api/v1/token/introspect", "token=" + token, id, secret)
                                .body());
                assertThat(introspected.getBoolean("active")).as(token).isTrue();
            }
            // A token that claims the other algorithm for the EC key is refused.
            String[] parts = ecToken.split("\\.");
            String forgedHeader = java.util.Base64.getUrlEncoder()
                    .withoutPadding()
                    .encodeToString(new JsonObject(
                                    new String(java.util.Base64.getUrlDecoder().decode(parts[0])))
                            .put("alg", "RS256")
                            .encode()
                            .getBytes());
            JsonObject forged = new JsonObject(idp.postForm(
                            "/api/v1/token/introspect",
                            "token=" + forgedHeader + "." + parts[1] + "." + parts[2],
                            id,
                            secret)
                    .body());
            assertThat(forged).isEqualTo(new JsonObject().put("active", false));
        }
    }
}
