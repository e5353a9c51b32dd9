package ai.sentryagent.agentidp.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sentryagent.agentidp.config.AppConfig;
import ai.sentryagent.agentidp.config.ConfigException;
import java.math.BigInteger;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAPublicKeySpec;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SigningKeysTest {
    private static final KeyPair PAIR = SigningKeys.generate(2048);

    /** The variables a config needs, with these keys; shared with the ES256 tests. */
    static Map<String, String> env(String privatePem, String publicPem) {
        Map<String, String> env = new HashMap<>();
        env.put("DATABASE_URL", "postgres://u@h/d");
        env.put("REDIS_URL", "redis://h");
        env.put("ISSUER_URL", "https://idp.example.com");
        env.put("CREDENTIAL_HASH_KEY", "0123456789abcdef0123456789abcdef");
        env.put("AUDIT_CHAIN_KEY", "fedcba9876543210fedcba9876543210");
        env.put("JWT_PRIVATE_KEY", privatePem);
        if (publicPem != null) {
            env.put("JWT_PUBLIC_KEY", publicPem);
        }
        return env;
    }

    @Test
    void readsPkcs8PrivateKeysWithRealOrEscapedNewlines() {
        String pkcs8 = Pem.encodePrivate(PAIR.getPrivate());
        RSAPrivateCrtKey fromPkcs8 = (RSAPrivateCrtKey) Pem.privateKey(pkcs8);
        RSAPrivateCrtKey fromEscaped = (RSAPrivateCrtKey) Pem.privateKey(Pem.escape(pkcs8));
        assertThat(fromPkcs8).isEqualTo(PAIR.getPrivate());
        assertThat(fromEscaped.getModulus()).isEqualTo(fromPkcs8.getModulus());
        assertThat(Pem.escape(pkcs8)).doesNotContain("\n").contains("\\n");
    }

    @Test
    void aPkcs1PrivateKeyStopsStartupWithTheCommandThatConvertsIt() {
        // What `openssl genrsa` wrote before OpenSSL 3 (and -traditional still writes): read only as PKCS#8.
        assertThatThrownBy(() -> AppConfig.fromEnvironment(
                        env(pkcs1((RSAPrivateCrtKey) PAIR.getPrivate()), Pem.encodePublic(PAIR.getPublic()))))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("JWT_PRIVATE_KEY is a PKCS#1 RSA PRIVATE KEY; only PKCS#8")
                .hasMessageContaining("openssl pkcs8 -topk8 -nocrypt");
    }

    @Test
    void readsX509PublicKeysAndNamesTheConversionForPkcs1() {
        RSAPublicKey key = (RSAPublicKey) PAIR.getPublic();
        assertThat(Pem.publicKey(Pem.encodePublic(key))).isEqualTo(key);
        String pkcs1 = "-----BEGIN RSA PUBLIC KEY-----\n"
                + Base64.getMimeEncoder().encodeToString(derSequence(key.getModulus(), key.getPublicExponent()))
                + "\n-----END RSA PUBLIC KEY-----\n";
        assertThatThrownBy(() -> AppConfig.fromEnvironment(env(Pem.encodePrivate(PAIR.getPrivate()), pkcs1)))
                .hasMessageStartingWith("JWT_PUBLIC_KEY is a PKCS#1 RSA PUBLIC KEY")
                .hasMessageContaining("openssl rsa -RSAPublicKey_in -pubout");
    }

    @Test
    void kidIsTheRfc7638Thumbprint() throws Exception {
        // RFC 7638 §3.1: the example RSA key (RFC 7517 Appendix A.1) and the thumbprint the RFC gives for it.
        RSAPublicKey example = (RSAPublicKey) KeyFactory.getInstance("RSA")
                .generatePublic(new RSAPublicKeySpec(
                        new BigInteger(1, Base64.getUrlDecoder().decode(RFC7638_N)), BigInteger.valueOf(65537)));
        assertThat(SigningKeys.thumbprint(example)).isEqualTo("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    private static final String RFC7638_N =
            "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR"
                    + "1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY3"
                    + "68QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XP"
                    + "ksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

    @Test
    void aMismatchedPairStopsStartupNamingThePublicKey() {
        KeyPair other = SigningKeys.generate(2048);
        assertThatThrownBy(() -> AppConfig.fromEnvironment(
                        env(Pem.encodePrivate(PAIR.getPrivate()), Pem.encodePublic(other.getPublic()))))
                .isInstanceOf(ConfigException.class)
                .hasMessage("JWT_PUBLIC_KEY does not match JWT_PRIVATE_KEY (they are not one key pair)");
    }

    @Test
    void aShortKeyStopsStartup() {
        KeyPair small = SigningKeys.generate(1024);
        assertThatThrownBy(() -> AppConfig.fromEnvironment(env(Pem.encodePrivate(small.getPrivate()), null)))
                .hasMessage("JWT_PRIVATE_KEY is a 1024-bit RSA key; at least 2048 bits are required");
    }

    @Test
    void garbageKeysAreNamedWithoutEchoingThem() {
        assertThatThrownBy(() -> AppConfig.fromEnvironment(env("not a key SECRETSTUFF", null)))
                .hasMessageStartingWith("JWT_PRIVATE_KEY is not PEM")
                .hasMessageNotContaining("SECRETSTUFF");
        assertThatThrownBy(() -> AppConfig.fromEnvironment(
                        env(Pem.encodePrivate(PAIR.getPrivate()), Pem.encodePrivate(PAIR.getPrivate()))))
                .hasMessage("JWT_PUBLIC_KEY holds a PRIVATE KEY, expected a public key");
        assertThatThrownBy(() -> AppConfig.fromEnvironment(env(Pem.encodePublic(PAIR.getPublic()), null)))
                .hasMessage("JWT_PRIVATE_KEY holds a PUBLIC KEY, expected a private key");
    }

    @Test
    void thePublicKeyIsDerivedWhenOmittedAndPreviousKeysAreKept() {
        KeyPair previous = SigningKeys.generate(2048);
        Map<String, String> env = env(Pem.encodePrivate(PAIR.getPrivate()), null);
        env.put(
                "JWT_PREVIOUS_PUBLIC_KEYS",
                Pem.encodePublic(previous.getPublic()) + Pem.encodePublic(PAIR.getPublic()));
        SigningKeys keys = AppConfig.fromEnvironment(env).tokens().keys();
        assertThat(keys.current().key()).isEqualTo(PAIR.getPublic());
        assertThat(keys.previous())
                .extracting(SigningKeys.VerificationKey::kid)
                .containsExactly(SigningKeys.thumbprint((RSAPublicKey) previous.getPublic()));
        assertThat(keys.verificationKeys()).hasSize(2);
        assertThat(keys.toString())
                .doesNotContain(((RSAPrivateCrtKey) keys.privateKey())
                        .getPrivateExponent()
                        .toString(16));
    }

    @Test
    void secretsAreRandomPrefixedAndHashedDeterministically() {
        String a = CredentialHasher.newSecret();
        String b = CredentialHasher.newSecret();
        assertThat(a).startsWith("sa_cs_").hasSize(6 + 43).isNotEqualTo(b);
        CredentialHasher hasher = new CredentialHasher("k".repeat(32).getBytes());
        assertThat(hasher.hash(a)).hasSize(32).isEqualTo(hasher.hash(a)).isNotEqualTo(hasher.hash(b));
        assertThat(new CredentialHasher("j".repeat(32).getBytes()).hash(a)).isNotEqualTo(hasher.hash(a));
        assertThat(List.of(
                        CredentialHasher.matches(hasher.hash(a), hasher.hash(a)),
                        CredentialHasher.matches(hasher.hash(a), hasher.hash(b))))
                .containsExactly(true, false);
    }

    /** PKCS#1 RSAPrivateKey DER of a CRT key, as `openssl genrsa` (1.x) writes it. */
    private static String pkcs1(RSAPrivateCrtKey key) {
        byte[] der = derSequence(
                BigInteger.ZERO,
                key.getModulus(),
                key.getPublicExponent(),
                key.getPrivateExponent(),
                key.getPrimeP(),
                key.getPrimeQ(),
                key.getPrimeExponentP(),
                key.getPrimeExponentQ(),
                key.getCrtCoefficient());
        return "-----BEGIN RSA PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(der)
                + "\n-----END RSA PRIVATE KEY-----\n";
    }

    private static byte[] derSequence(BigInteger... values) {
        java.io.ByteArrayOutputStream content = new java.io.ByteArrayOutputStream();
        for (BigInteger value : values) {
            byte[] bytes = value.toByteArray();
            content.write(0x02);
            writeLength(content, bytes.length);
            content.writeBytes(bytes);
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(0x30);
        writeLength(out, content.size());
        out.writeBytes(content.toByteArray());
        return out.toByteArray();
    }

    private static void writeLength(java.io.ByteArrayOutputStream out, int length) {
        if (length < 0x80) {
            out.write(length);
        } else if (length < 0x100) {
            out.write(0x81);
            out.write(length);
        } else {
            out.write(0x82);
            out.write(length >> 8);
            out.write(length);
        }
    }
}
