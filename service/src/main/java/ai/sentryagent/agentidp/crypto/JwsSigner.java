package ai.sentryagent.agentidp.crypto;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.impl.AlgorithmSupportMessage;
import com.nimbusds.jose.crypto.impl.ECDSA;
import com.nimbusds.jose.crypto.impl.RSASSA;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.util.Base64URL;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Signature;
import java.security.SignatureException;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.conscrypt.Conscrypt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signs JWS with the current key, as a Nimbus {@link com.nimbusds.jose.JWSSigner}: {@link com.nimbusds.jose.JWSObject}
 * builds the signing input and the compact form, Nimbus names the JCA algorithm and transcodes ECDSA's DER into
 * R‖S. The signature itself comes from the fastest JCA provider that loads and proves itself with this very key
 * (its probe signature must verify with the JDK), held in the {@link JCAContext}: the Amazon Corretto Crypto Provider
 * (AWS-LC, native on linux-x86_64), else Conscrypt (BoringSSL, native on linux-x86_64, macOS and Windows), else the
 * JDK. Which one signs is logged at startup and exported as a metric. ES256 signatures leave in their low-S form
 * ({@link LowS}).
 *
 * <p>Not Nimbus's own {@code RSASSASigner}/{@code ECDSASigner}: they look up and initialise a JCA {@link Signature}
 * for every token, which measured +28 % CPU per ES256 token (bench/results/jose-2026-12-02.txt); this keeps one
 * initialised {@code Signature} per thread, as the service always has.
 */
public final class JwsSigner implements com.nimbusds.jose.JWSSigner {
    private static final Logger LOG = LoggerFactory.getLogger(JwsSigner.class);
    private static final byte[] PROBE = "agentidp signer probe".getBytes(StandardCharsets.US_ASCII);
    /** The JDK's encoder: measurably cheaper per token than Nimbus's own {@code Base64URL.encode}. */
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    /** A provider to try; {@code null} from the supplier means the JDK's default providers. */
    public record Candidate(String name, Supplier<Provider> provider) {}

    /** The providers tried, fastest first. */
    public static final List<Candidate> CANDIDATES = List.of(
            new Candidate("AmazonCorrettoCryptoProvider", JwsSigner::accp),
            new Candidate("Conscrypt", JwsSigner::conscrypt),
            new Candidate("JDK", () -> null));

    private final JwsAlgorithm algorithm;
    private final String providerName;
    private final JCAContext context;
    private final JWSHeader bareHeader;
    private final Set<JWSAlgorithm> supported;
    private final ThreadLocal<Signature> signatures;

    private JwsSigner(SigningKeys keys, String providerName, Provider provider) {
        this.algorithm = keys.algorithm();
        this.providerName = providerName;
        this.context = new JCAContext(provider, null);
        this.bareHeader = new JWSHeader(algorithm.jose());
        this.supported = Set.of(algorithm.jose());
        PrivateKey key = keys.privateKey();
        this.signatures = ThreadLocal.withInitial(() -> {
            try {
                Signature signature = switch (algorithm) {
                    case RS256 -> RSASSA.getSignerAndVerifier(algorithm.jose(), context.getProvider());
                    case ES256 -> ECDSA.getSignerAndVerifier(algorithm.jose(), context.getProvider());
                };
                signature.initSign(key);
                return signature;
            } catch (JOSEException | GeneralSecurityException e) {
                throw new IllegalStateException(algorithm + " signing failed to initialise", e);
            }
        });
    }

    /** The signer on the fastest candidate that works with these keys. */
    public static JwsSigner create(SigningKeys keys) {
        return create(keys, CANDIDATES);
    }

    /** The signer on the first of {@code candidates} that works with these keys. */
    public static JwsSigner create(SigningKeys keys, List<Candidate> candidates) {
        for (Candidate candidate : candidates) {
            try {
                JwsSigner signer = new JwsSigner(
                        keys, candidate.name(), candidate.provider().get());
                JWSHeader header = new JWSHeader(keys.algorithm().jose());
                // Checked by the JDK's own provider: a native library that signs wrongly is never used.
                if (keys.current().verifier().verify(header, PROBE, signer.sign(header, PROBE))) {
                    return signer;
                }
                LOG.warn("{} produced an invalid {} signature; not using it", candidate.name(), keys.algorithm());
            } catch (Throwable e) {
                LOG.info(
                        "{} cannot sign {} here ({}); trying the next provider",
                        candidate.name(),
                        keys.algorithm(),
                        e.toString());
            }
        }
        throw new IllegalStateException("no JCA provider signs " + keys.algorithm() + " with this key");
    }

    /** The JWS signature over {@code signingInput}: PKCS#1 v1.5 for RS256, low-S R‖S for ES256. */
    @Override
    public Base64URL sign(JWSHeader header, byte[] signingInput) throws JOSEException {
        if (!algorithm.jose().equals(header.getAlgorithm())) {
            throw new JOSEException(
                    AlgorithmSupportMessage.unsupportedJWSAlgorithm(header.getAlgorithm(), supportedJWSAlgorithms()));
        }
        try {
            Signature signature = signatures.get();
            signature.update(signingInput);
            byte[] raw = signature.sign();
            return new Base64URL(B64.encodeToString(
                    algorithm == JwsAlgorithm.ES256
                            ? LowS.normalise(ECDSA.transcodeSignatureToConcat(
                                    raw, ECDSA.getSignatureByteArrayLength(algorithm.jose())))
                            : raw));
        } catch (SignatureException e) {
            throw new JOSEException(algorithm + " signing failed", e);
        }
    }

    /** The raw JWS signature bytes over {@code signingInput}, for callers that build the compact form themselves. */
    public byte[] sign(byte[] signingInput) {
        try {
            return sign(bareHeader, signingInput).decode();
        } catch (JOSEException e) {
            throw new IllegalStateException(algorithm + " signing failed", e);
        }
    }

    @Override
    public Set<JWSAlgorithm> supportedJWSAlgorithms() {
        return supported;
    }

    /** The provider that signs is this context's; it is read once per thread, when that thread first signs. */
    @Override
    public JCAContext getJCAContext() {
        return context;
    }

    public JwsAlgorithm algorithm() {
        return algorithm;
    }

    /** The provider that signs, for logs, metrics and benchmarks. */
    public String providerName() {
        return providerName;
    }

    private static Provider accp() {
        AmazonCorrettoCryptoProvider accp = AmazonCorrettoCryptoProvider.INSTANCE;
        if (accp.getLoadingError() != null) {
            throw new IllegalStateException("native library not loaded: " + accp.getLoadingError());
        }
        return accp;
    }

    private static Provider conscrypt() {
        if (!Conscrypt.isAvailable()) {
            throw new IllegalStateException("native library not loaded");
        }
        return Conscrypt.newProvider();
    }
}
