package ai.sentryagent.agentidp.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.Provider;
import java.security.Security;
import java.security.Signature;
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
    void theSignerSignsThroughTheProviderItChose() {
        AtomicInteger signatures = new AtomicInteger();
        // A provider that hands out the JDK's implementations and counts what it is asked for: whatever signs goes
        // through it, or the count stays where the probe left it.
        Provider counting = new Provider("Counting", "1", "counts Signature lookups") {
            @Override
            public synchronized Service getService(String type, String algorithm) {
                if (type.equals("Signature")) {
                    signatures.incrementAndGet();
                }
                for (Provider jdk : Security.getProviders()) {
                    Service service = jdk.getService(type, algorithm);
                    if (service != null) {
                        return service;
                    }
                }
                return null;
            }
        };
        for (KeyPair pair : List.of(RSA, EC)) {
            SigningKeys keys = SigningKeys.of(pair.getPrivate(), pair.getPublic(), List.of());
            JwsSigner signer = JwsSigner.create(keys, List.of(new JwsSigner.Candidate("Counting", () -> counting)));
            assertThat(signer.getJCAContext().getProvider()).isSameAs(counting);
            int before = signatures.get();
            signer.sign("eyJhbGciOi.e30".getBytes(StandardCharsets.US_ASCII));
            assertThat(signatures.get()).as(keys.algorithm().name()).isEqualTo(before + 1);
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
