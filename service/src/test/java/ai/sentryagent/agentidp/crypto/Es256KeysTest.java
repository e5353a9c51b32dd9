package ai.sentryagent.agentidp.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sentryagent.agentidp.config.AppConfig;
import ai.sentryagent.agentidp.config.ConfigException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** ES256 keys: EC P-256 in PEM, their JWK and kid, and the startup errors around them. */
class Es256KeysTest {
    private static final KeyPair PAIR = SigningKeys.generateP256();

    @Test
    void readsPkcs8AndSec1PrivateKeysAndSelectsEs256() {
        String pkcs8 = Pem.encodePrivate(PAIR.getPrivate());
        assertThat(Pem.privateKey(pkcs8)).isEqualTo(PAIR.getPrivate());
        assertThat(Pem.privateKey(Pem.escape(sec1(pkcs8)))).isEqualTo(PAIR.getPrivate());
        SigningKeys keys = SigningKeys.fromPem(sec1(pkcs8), Pem.encodePublic(PAIR.getPublic()), List.of());
        assertThat(keys.algorithm()).isEqualTo(JwsAlgorithm.ES256);
        assertThat(AppConfig.fromEnvironment(SigningKeysTest.env(pkcs8, Pem.encodePublic(PAIR.getPublic())))
                        .tokens()
                        .keys()
                        .algorithm())
                .isEqualTo(JwsAlgorithm.ES256);
    }

    @Test
    void jwkAndKidFollowRfc7518AndRfc7638() throws Exception {
        ECKey expected = new ECKey.Builder(Curve.P_256, (ECPublicKey) PAIR.getPublic()).build();
        SigningKeys.VerificationKey key = SigningKeys.VerificationKey.of(PAIR.getPublic());
        assertThat(key.kid()).isEqualTo(expected.computeThumbprint().toString());
        Map<String, String> jwk = key.jwk();
        assertThat(jwk)
                .containsEntry("kty", "EC")
                .containsEntry("crv", "P-256")
                .containsEntry("alg", "ES256")
                .containsEntry("use", "sig")
                .containsEntry("x", expected.getX().toString())
                .containsEntry("y", expected.getY().toString());
        assertThat(Base64.getUrlDecoder().decode(jwk.get("x"))).hasSize(32);
        assertThat(ECKey.parse(new io.vertx.core.json.JsonObject(Map.copyOf(jwk)).encode())
                        .toECPublicKey())
                .isEqualTo(PAIR.getPublic());
    }

    @Test
    void startupErrorsNameTheVariable() throws Exception {
        KeyPairGenerator p384 = KeyPairGenerator.getInstance("EC");
        p384.initialize(new ECGenParameterSpec("secp384r1"));
        KeyPair other = p384.generateKeyPair();
        assertThatThrownBy(() -> AppConfig.fromEnvironment(SigningKeysTest.env(
                        Pem.encodePrivate(other.getPrivate()), Pem.encodePublic(other.getPublic()))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("JWT_PRIVATE_KEY is an EC key on a curve other than P-256")
                .hasMessageContaining("JWT_PUBLIC_KEY is an EC key on a curve other than P-256");
        assertThatThrownBy(() ->
                        AppConfig.fromEnvironment(SigningKeysTest.env(Pem.encodePrivate(PAIR.getPrivate()), null)))
                .hasMessage("JWT_PUBLIC_KEY is required with an EC (ES256) JWT_PRIVATE_KEY");
        assertThatThrownBy(() -> AppConfig.fromEnvironment(SigningKeysTest.env(
                        Pem.encodePrivate(PAIR.getPrivate()),
                        Pem.encodePublic(SigningKeys.generateP256().getPublic()))))
                .hasMessage("JWT_PUBLIC_KEY does not match JWT_PRIVATE_KEY (they are not one key pair)");
        assertThatThrownBy(() -> AppConfig.fromEnvironment(SigningKeysTest.env(
                        Pem.encodePrivate(SigningKeys.generate(2048).getPrivate()),
                        Pem.encodePublic(PAIR.getPublic()))))
                .hasMessage("JWT_PUBLIC_KEY is an EC key but JWT_PRIVATE_KEY is an RSA key");
    }

    /** The SEC1 {@code EC PRIVATE KEY} inside a PKCS#8 one, as {@code openssl ecparam -genkey} writes it. */
    private static String sec1(String pkcs8Pem) {
        byte[] der = Base64.getMimeDecoder()
                .decode(pkcs8Pem.replaceAll("-----[A-Z ]+-----", "").strip());
        int position = 2; // SEQUENCE, short length
        position += 3; // INTEGER 0
        position += 2 + der[position + 1]; // AlgorithmIdentifier
        int length = der[position + 1];
        byte[] inner = Arrays.copyOfRange(der, position + 2, position + 2 + length);
        return "-----BEGIN EC PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(inner)
                + "\n-----END EC PRIVATE KEY-----\n";
    }
}
