package ai.sentryagent.agentidp.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sentryagent.agentidp.config.AppConfig;
import ai.sentryagent.agentidp.config.ConfigException;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ES256 keys: EC P-256 in PEM, their JWK and kid, and the startup errors around them. */
class Es256KeysTest {
    private static final KeyPair PAIR = SigningKeys.generateP256();

    @Test
    void readsPkcs8PrivateKeysAndSelectsEs256() {
        String pkcs8 = Pem.encodePrivate(PAIR.getPrivate());
        assertThat(Pem.privateKey(pkcs8)).isEqualTo(PAIR.getPrivate());
        assertThat(Pem.privateKey(Pem.escape(pkcs8))).isEqualTo(PAIR.getPrivate());
        SigningKeys keys = SigningKeys.fromPem(pkcs8, Pem.encodePublic(PAIR.getPublic()), List.of());
        assertThat(keys.algorithm()).isEqualTo(JwsAlgorithm.ES256);
        assertThat(AppConfig.fromEnvironment(SigningKeysTest.env(pkcs8, Pem.encodePublic(PAIR.getPublic())))
                        .tokens()
                        .keys()
                        .algorithm())
                .isEqualTo(JwsAlgorithm.ES256);
    }

    @Test
    void aSec1PrivateKeyStopsStartupWithTheCommandThatConvertsIt() {
        // What `openssl ecparam -genkey` writes, even in OpenSSL 3: read only as PKCS#8.
        assertThatThrownBy(() -> AppConfig.fromEnvironment(SigningKeysTest.env(
                        Pem.escape(sec1(Pem.encodePrivate(PAIR.getPrivate()))), Pem.encodePublic(PAIR.getPublic()))))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("JWT_PRIVATE_KEY is a SEC1 EC PRIVATE KEY; only PKCS#8")
                .hasMessageContaining("openssl pkcs8 -topk8 -nocrypt");
    }

    @Test
    void jwkAndKidFollowRfc7518AndRfc7638() throws Exception {
        ECPublicKey ec = (ECPublicKey) PAIR.getPublic();
        SigningKeys.VerificationKey key = SigningKeys.VerificationKey.of(ec);
        JsonObject jwk = new JsonObject(key.jwk().toJSONString());
        // RFC 7518 §6.2.1: crv P-256, x and y the full 32-byte big-endian coordinates, base64url.
        assertThat(jwk.getString("kty")).isEqualTo("EC");
        assertThat(jwk.getString("crv")).isEqualTo("P-256");
        assertThat(jwk.getString("alg")).isEqualTo("ES256");
        assertThat(jwk.getString("use")).isEqualTo("sig");
        assertThat(jwk.containsKey("d")).isFalse();
        byte[] x = Base64.getUrlDecoder().decode(jwk.getString("x"));
        byte[] y = Base64.getUrlDecoder().decode(jwk.getString("y"));
        assertThat(x).hasSize(32);
        assertThat(y).hasSize(32);
        assertThat(new BigInteger(1, x)).isEqualTo(ec.getW().getAffineX());
        assertThat(new BigInteger(1, y)).isEqualTo(ec.getW().getAffineY());
        // RFC 7638 §3.2-3.3, computed here with the JDK alone: SHA-256 over the required members, sorted, no space.
        String canonical = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" + jwk.getString("x") + "\",\"y\":\""
                + jwk.getString("y") + "\"}";
        String thumbprint = Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(
                        MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8)));
        assertThat(key.kid()).isEqualTo(thumbprint);
        assertThat(jwk.getString("kid")).isEqualTo(thumbprint);
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
