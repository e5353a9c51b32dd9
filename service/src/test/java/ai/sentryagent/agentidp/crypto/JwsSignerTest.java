package ai.sentryagent.agentidp.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.SignatureSpi;
import java.security.interfaces.ECPublicKey;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every provider the signer may pick produces JWS signatures that the JDK's own {@link Signature} accepts, for both
 * algorithms; the fastest one is picked where it loads and really signs, and a broken one is passed over. The
 * signer is Nimbus: checking it with Nimbus's verifiers would not be independent, so these tests check with the
 * JDK — {@code SHA256withRSA} for RS256 and {@code SHA256withECDSAinP1363Format}, the R‖S form RFC 7518 §3.4
 * prescribes, for ES256.
 */
class JwsSignerTest {
    private static final KeyPair RSA = SigningKeys.generate(2048);
    private static final KeyPair EC = SigningKeys.generateP256();

    static Stream<Arguments> providersAndAlgorithms() {
        return JwsSigner.CANDIDATES.stream()
                .flatMap(candidate -> Stream.of(Arguments.of(candidate, RSA), Arguments.of(candidate, EC)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("providersAndAlgorithms")
    void signaturesVerifyWithTheJdk(JwsSigner.Candidate candidate, KeyPair pair) throws Exception {
        SigningKeys keys = SigningKeys.of(pair.getPrivate(), pair.getPublic(), List.of());
        JwsSigner signer = JwsSigner.create(keys, List.of(candidate, JwsSigner.CANDIDATES.get(2)));
        if (!signer.providerName().equals(candidate.name())) {
            // Only the JDK is guaranteed everywhere; the native providers are asserted where CI runs, below.
            assertThat(nativeProvidersExpected()).isFalse();
        }
        boolean es256 = keys.algorithm() == JwsAlgorithm.ES256;
        Signature verifier = Signature.getInstance(es256 ? "SHA256withECDSAinP1363Format" : "SHA256withRSA");
        // ECDSA's DER integers are sometimes shorter than 32 bytes, and half of all S are high: enough signatures
        // make both the R‖S padding and the low-S rewrite certain to be exercised.
        int rounds = es256 ? 600 : 20;
        for (int i = 0; i < rounds; i++) {
            byte[] input = ("eyJhbGciOi." + i).getBytes(StandardCharsets.US_ASCII);
            byte[] signature = signer.sign(input);
            verifier.initVerify(pair.getPublic());
            verifier.update(input);
            assertThat(verifier.verify(signature)).as("signature %d", i).isTrue();
            if (es256) {
                // RFC 7518 §3.4: R‖S, each 32 bytes; this service's rule: S ≤ n/2 (one spelling per signature).
                assertThat(signature).hasSize(64);
                BigInteger order = ((ECPublicKey) pair.getPublic()).getParams().getOrder();
                assertThat(new BigInteger(1, Arrays.copyOfRange(signature, 32, 64)))
                        .isLessThanOrEqualTo(order.shiftRight(1));
            }
        }
    }

    @Test
    void theSignerSignsThroughTheProviderItChose() throws Exception {
        AtomicInteger signatures = new AtomicInteger();
        Provider counting = new CountingProvider(signatures);
        for (KeyPair pair : List.of(RSA, EC)) {
            SigningKeys keys = SigningKeys.of(pair.getPrivate(), pair.getPublic(), List.of());
            JwsSigner signer = JwsSigner.create(keys, List.of(new JwsSigner.Candidate("Counting", () -> counting)));
            assertThat(signer.getJCAContext().getProvider()).isSameAs(counting);
            int before = signatures.get();
            byte[] input = "eyJhbGciOi.e30".getBytes(StandardCharsets.US_ASCII);
            byte[] signature = signer.sign(input);
            signer.sign(input);
            assertThat(signatures.get()).as(keys.algorithm().name()).isEqualTo(before + 2);
            // And what it signed is a real signature, not the provider's word for it.
            Signature jdk = Signature.getInstance(
                    keys.algorithm() == JwsAlgorithm.ES256 ? "SHA256withECDSAinP1363Format" : "SHA256withRSA");
            jdk.initVerify(pair.getPublic());
            jdk.update(input);
            assertThat(jdk.verify(signature)).isTrue();
        }
    }

    /**
     * A JCA provider whose signatures are the JDK's, counted as they are made: if the signer signed through anything
     * else (Nimbus's defaults, the JDK's providers directly), the count would not move.
     */
    private static final class CountingProvider extends Provider {
        CountingProvider(AtomicInteger signatures) {
            super("Counting", "1", "counts signatures");
            for (String algorithm : List.of("SHA256withRSA", "SHA256withECDSA")) {
                putService(new Service(this, "Signature", algorithm, CountingSignature.class.getName(), null, null) {
                    @Override
                    public Object newInstance(Object parameter) throws NoSuchAlgorithmException {
                        return new CountingSignature(Signature.getInstance(algorithm), signatures);
                    }
                });
            }
        }
    }

    private static final class CountingSignature extends SignatureSpi {
        private final Signature jdk;
        private final AtomicInteger signatures;

        CountingSignature(Signature jdk, AtomicInteger signatures) {
            this.jdk = jdk;
            this.signatures = signatures;
        }

        @Override
        protected void engineInitSign(PrivateKey key) throws InvalidKeyException {
            jdk.initSign(key);
        }

        @Override
        protected void engineInitVerify(PublicKey key) throws InvalidKeyException {
            jdk.initVerify(key);
        }

        @Override
        protected void engineUpdate(byte b) throws SignatureException {
            jdk.update(b);
        }

        @Override
        protected void engineUpdate(byte[] b, int off, int len) throws SignatureException {
            jdk.update(b, off, len);
        }

        @Override
        protected byte[] engineSign() throws SignatureException {
            signatures.incrementAndGet();
            return jdk.sign();
        }

        @Override
        protected boolean engineVerify(byte[] sigBytes) throws SignatureException {
            return jdk.verify(sigBytes);
        }

        @Override
        @Deprecated
        protected void engineSetParameter(String param, Object value) {
            throw new UnsupportedOperationException();
        }

        @Override
        @Deprecated
        protected Object engineGetParameter(String param) {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void onLinuxX8664TheCorrettoProviderSignsBothAlgorithms() {
        assumeTrue(nativeProvidersExpected(), "the native providers ship for linux-x86_64");
        for (KeyPair pair : List.of(RSA, EC)) {
            SigningKeys keys = SigningKeys.of(pair.getPrivate(), pair.getPublic(), List.of());
            JwsSigner signer = JwsSigner.create(keys);
            assertThat(signer.providerName()).isEqualTo("AmazonCorrettoCryptoProvider");
            assertThat(signer.getJCAContext().getProvider()).isSameAs(AmazonCorrettoCryptoProvider.INSTANCE);
        }
    }

    @Test
    void aProviderThatFailsIsPassedOver() {
        SigningKeys keys = SigningKeys.of(EC.getPrivate(), EC.getPublic(), List.of());
        JwsSigner.Candidate broken = new JwsSigner.Candidate("Broken", () -> {
            throw new IllegalStateException("no native library");
        });
        assertThat(JwsSigner.create(keys, List.of(broken, JwsSigner.CANDIDATES.get(2)))
                        .providerName())
                .isEqualTo("JDK");
        assertThatThrownBy(() -> JwsSigner.create(keys, List.of(broken)))
                .hasMessage("no JCA provider signs ES256 with this key");
    }

    /** Linux on x86-64 — this machine and the production image — ships both native providers. */
    private static boolean nativeProvidersExpected() {
        return System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux")
                && System.getProperty("os.arch").equals("amd64");
    }
}
