package ai.sentryagent.agentidp.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.crypto.Pem;
import ai.sentryagent.agentidp.crypto.SigningKeys;
import ai.sentryagent.agentidp.testing.RunningIdp;
import com.nimbusds.jose.jwk.JWKSet;
import io.vertx.core.json.JsonObject;
import java.security.KeyPair;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The documented JWT key rotation: the new key signs, the old public key keeps verifying until its tokens expire. */
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
}
