package ai.sentryagent.agentidp.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.util.Base64URL;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every provider the signer may pick produces JWS signatures that an independent implementation (Nimbus) accepts,
 * for both algorithms; the fastest one is picked where it loads, and a broken one is passed over.
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
    void signaturesVerifyWithNimbus(JwsSigner.Candidate candidate, KeyPair pair) throws Exception {
        SigningKeys keys = SigningKeys.of(pair.getPrivate(), pair.getPublic(), List.of());
        JwsSigner signer = JwsSigner.create(keys, List.of(candidate, JwsSigner.CANDIDATES.get(2)));
        if (!signer.providerName().equals(candidate.name())) {
            // Only the JDK is guaranteed everywhere; the native providers are asserted where CI runs, below.
            assertThat(nativeProvidersExpected()).isFalse();
        }
        JWSVerifier verifier = pair.getPublic() instanceof RSAPublicKey rsa
                ? new RSASSAVerifier(rsa)
                : new ECDSAVerifier((ECPublicKey) pair.getPublic());
        JWSHeader header = new JWSHeader(JWSAlgorithm.parse(keys.algorithm().name()));
        // ECDSA's DER integers are sometimes shorter than 32 bytes; enough signatures make R‖S padding certain.
        int rounds = keys.algorithm() == JwsAlgorithm.ES256 ? 600 : 20;
        for (int i = 0; i < rounds; i++) {
            byte[] input = ("eyJhbGciOi." + i).getBytes(StandardCharsets.US_ASCII);
            byte[] signature = signer.sign(input);
            if (keys.algorithm() == JwsAlgorithm.ES256) {
                assertThat(signature).hasSize(64);
            }
            assertThat(verifier.verify(header, input, Base64URL.encode(signature)))
                    .as("signature %d", i)
                    .isTrue();
            assertThat(keys.current().verifies(input, signature)).isTrue();
        }
    }

    @Test
    void onLinuxX8664TheCorrettoProviderSignsBothAlgorithms() {
        assumeTrue(nativeProvidersExpected(), "the native providers ship for linux-x86_64");
        for (KeyPair pair : List.of(RSA, EC)) {
            SigningKeys keys = SigningKeys.of(pair.getPrivate(), pair.getPublic(), List.of());
            assertThat(JwsSigner.create(keys).providerName()).isEqualTo("AmazonCorrettoCryptoProvider");
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
