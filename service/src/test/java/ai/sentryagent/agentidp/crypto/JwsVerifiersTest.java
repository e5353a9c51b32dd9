package ai.sentryagent.agentidp.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.sentryagent.agentidp.credential.ClientRecord;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureSpi;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The verifiers of client and issuer keys: on the fast native provider where it ships (the JDK's ES256 verify cost
 * ~800 µs a token, most of a private_key_jwt token's CPU), never on a provider that accepts what it should refuse,
 * and still refusing every signature RFC 7515 says is not valid. The signatures are made with the JDK's own
 * {@link Signature}, not with Nimbus, so the check is independent of the library under test.
 */
class JwsVerifiersTest {
    private static final byte[] INPUT = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhZ2VudCJ9".getBytes(StandardCharsets.US_ASCII);
    private static final RSAKey RSA = generate(() -> new RSAKeyGenerator(2048).generate());
    private static final RSAKey OTHER_RSA = generate(() -> new RSAKeyGenerator(2048).generate());
    private static final ECKey P256 = generate(() -> new ECKeyGenerator(Curve.P_256).generate());
    private static final ECKey P384 = generate(() -> new ECKeyGenerator(Curve.P_384).generate());
    private static final ECKey P521 = generate(() -> new ECKeyGenerator(Curve.P_521).generate());

    @Test
    void onLinuxX8664EveryAlgorithmIsVerifiedByTheCorrettoProvider() {
        assumeTrue(nativeProvidersExpected(), "the native providers ship for linux-x86_64");
        // The regression this guards: Nimbus's verifiers default to the JDK, ~20 times slower for ES256.
        assertThat(JwsVerifiers.get().providerNames())
                .containsOnlyKeys(JwsVerifiers.ALGORITHMS.stream()
                        .map(JWSAlgorithm::getName)
                        .toArray(String[]::new))
                .allSatisfy((alg, provider) -> assertThat(provider).isEqualTo("AmazonCorrettoCryptoProvider"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"})
    void aJdkSignatureVerifiesAndATamperedOneDoesNot(String name) throws Exception {
        JWSAlgorithm alg = JWSAlgorithm.parse(name);
        JWK key = keyFor(alg);
        JWSVerifier verifier = JwsVerifiers.get().verifier(key.toPublicJWK());
        JWSHeader header = new JWSHeader(alg);
        byte[] signature = jdkSign(alg, key, INPUT);
        assertThat(verifier.verify(header, INPUT, Base64URL.encode(signature))).isTrue();
        // RFC 7515 §5.2: the signature is over the exact signing input; one changed byte of either fails it.
        byte[] otherInput = INPUT.clone();
        otherInput[otherInput.length - 1] ^= 1;
        assertThat(verifier.verify(header, otherInput, Base64URL.encode(signature)))
                .isFalse();
        byte[] flipped = signature.clone();
        flipped[flipped.length / 2] ^= 1;
        assertThat(verifier.verify(header, INPUT, Base64URL.encode(flipped))).isFalse();
        // Another key's signature over the same input.
        JWK other = alg.getName().startsWith("ES")
                ? new ECKeyGenerator(Curve.forJWSAlgorithm(alg).iterator().next()).generate()
                : OTHER_RSA;
        assertThat(verifier.verify(header, INPUT, Base64URL.encode(jdkSign(alg, other, INPUT))))
                .isFalse();
    }

    @Test
    void aKeyVerifiesOnlyTheAlgorithmsOfItsType() throws Exception {
        JWSVerifier ec = JwsVerifiers.get().verifier(P256.toPublicJWK());
        assertThat(ec.supportedJWSAlgorithms()).containsExactly(JWSAlgorithm.ES256);
        // RFC 7518 §3.4: ES384 is P-384 only; an RS256 header on an EC key is no signature of that key.
        byte[] es256 = jdkSign(JWSAlgorithm.ES256, P256, INPUT);
        assertThatThrownBy(() -> ec.verify(new JWSHeader(JWSAlgorithm.ES384), INPUT, Base64URL.encode(es256)))
                .isInstanceOf(JOSEException.class);
        assertThatThrownBy(() -> ec.verify(new JWSHeader(JWSAlgorithm.RS256), INPUT, Base64URL.encode(es256)))
                .isInstanceOf(JOSEException.class);
        JWSVerifier rsa = JwsVerifiers.get().verifier(RSA.toPublicJWK());
        assertThat(rsa.supportedJWSAlgorithms())
                .containsExactlyInAnyOrder(
                        JWSAlgorithm.RS256,
                        JWSAlgorithm.RS384,
                        JWSAlgorithm.RS512,
                        JWSAlgorithm.PS256,
                        JWSAlgorithm.PS384,
                        JWSAlgorithm.PS512);
        // An HMAC key is never a verifier here: a secret must not become an HS256 key (RFC 8725 §2.1).
        OctetSequenceKey oct = new OctetSequenceKeyGenerator(256).generate();
        assertThatThrownBy(() -> JwsVerifiers.get().verifier(oct)).isInstanceOf(JOSEException.class);
        assertThat(JwsVerifiers.get().cached(oct)).isEmpty();
    }

    @Test
    void aCriticalHeaderIsRefused() throws Exception {
        // RFC 7515 §4.1.11: a crit parameter the recipient does not understand makes the JWS invalid.
        JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.ES256)
                .criticalParams(Set.of("exp"))
                .customParam("exp", 1)
                .build();
        byte[] signature = jdkSign(JWSAlgorithm.ES256, P256, INPUT);
        assertThat(JwsVerifiers.get().verifier(P256.toPublicJWK()).verify(header, INPUT, Base64URL.encode(signature)))
                .isFalse();
    }

    @Test
    void anIssuersKeyIsTurnedIntoAVerifierOnce() {
        JWK key = P256.toPublicJWK();
        assertThat(JwsVerifiers.get().cached(key).orElseThrow())
                .isSameAs(JwsVerifiers.get().cached(key).orElseThrow());
    }

    @Test
    void aClientsStoredKeyVerifiesThroughTheseVerifiers() throws Exception {
        ClientRecord.StoredKey stored = new ClientRecord.StoredKey("k", P256.toPublicJWK());
        byte[] signature = jdkSign(JWSAlgorithm.ES256, P256, INPUT);
        assertThat(stored.verifier().verify(new JWSHeader(JWSAlgorithm.ES256), INPUT, Base64URL.encode(signature)))
                .isTrue();
        assertThat(stored.verifier().getClass().getEnclosingClass()).isEqualTo(JwsVerifiers.class);
    }

    @Test
    void aProviderThatAcceptsEverySignatureIsNeverUsed() {
        Provider lying = new AcceptingProvider();
        JwsVerifiers verifiers = JwsVerifiers.probe(
                List.of(new JwsSigner.Candidate("Lying", () -> lying), new JwsSigner.Candidate("JDK", () -> null)));
        assertThat(verifiers.providerNames().values().stream().collect(Collectors.toSet()))
                .containsExactly("JDK");
    }

    @Test
    void aProviderThatDoesNotLoadIsPassedOver() {
        JwsVerifiers verifiers = JwsVerifiers.probe(List.of(
                new JwsSigner.Candidate("Broken", () -> {
                    throw new IllegalStateException("no native library");
                }),
                new JwsSigner.Candidate("JDK", () -> null)));
        assertThat(verifiers.providerNames())
                .allSatisfy((alg, provider) -> assertThat(provider).isEqualTo("JDK"));
    }

    private static JWK keyFor(JWSAlgorithm alg) {
        return switch (alg.getName()) {
            case "ES256" -> P256;
            case "ES384" -> P384;
            case "ES512" -> P521;
            default -> RSA;
        };
    }

    /** The JWS signature as RFC 7518 §3 defines it, made by the JDK's providers alone. */
    private static byte[] jdkSign(JWSAlgorithm alg, JWK key, byte[] input) throws Exception {
        String bits = alg.getName().substring(2);
        String hash = "SHA-" + bits;
        Signature signature;
        PrivateKey privateKey;
        if (alg.getName().startsWith("ES")) {
            signature = Signature.getInstance("SHA" + bits + "withECDSAinP1363Format");
            privateKey = ((ECKey) key).toPrivateKey();
        } else if (alg.getName().startsWith("PS")) {
            signature = Signature.getInstance("RSASSA-PSS");
            signature.setParameter(
                    new PSSParameterSpec(hash, "MGF1", new MGF1ParameterSpec(hash), Integer.parseInt(bits) / 8, 1));
            privateKey = ((RSAKey) key).toPrivateKey();
        } else {
            signature = Signature.getInstance("SHA" + bits + "withRSA");
            privateKey = ((RSAKey) key).toPrivateKey();
        }
        signature.initSign(privateKey);
        signature.update(input);
        return signature.sign();
    }

    /** Linux on x86-64 — this machine and the production image — ships both native providers. */
    private static boolean nativeProvidersExpected() {
        return System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux")
                && System.getProperty("os.arch").equals("amd64");
    }

    private interface KeySupplier<K> {
        K get() throws JOSEException;
    }

    private static <K> K generate(KeySupplier<K> supplier) {
        try {
            return supplier.get();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A JCA provider whose every verification succeeds: a broken native library at its worst. */
    private static final class AcceptingProvider extends Provider {
        AcceptingProvider() {
            super("Lying", "1", "accepts every signature");
            for (String algorithm : List.of(
                    "SHA256withRSA",
                    "SHA384withRSA",
                    "SHA512withRSA",
                    "RSASSA-PSS",
                    "SHA256withECDSA",
                    "SHA384withECDSA",
                    "SHA512withECDSA")) {
                putService(new Service(this, "Signature", algorithm, Accepting.class.getName(), null, null) {
                    @Override
                    public Object newInstance(Object parameter) {
                        return new Accepting();
                    }
                });
            }
        }
    }

    private static final class Accepting extends SignatureSpi {
        @Override
        protected void engineInitSign(PrivateKey key) {}

        @Override
        protected void engineInitVerify(PublicKey key) throws InvalidKeyException {}

        @Override
        protected void engineUpdate(byte b) {}

        @Override
        protected void engineUpdate(byte[] b, int off, int len) {}

        @Override
        protected byte[] engineSign() {
            return new byte[0];
        }

        @Override
        protected boolean engineVerify(byte[] sigBytes) {
            return true;
        }

        @Override
        protected void engineSetParameter(java.security.spec.AlgorithmParameterSpec params) {}

        @Override
        @Deprecated
        protected void engineSetParameter(String param, Object value) {}

        @Override
        @Deprecated
        protected Object engineGetParameter(String param) {
            return null;
        }
    }
}
