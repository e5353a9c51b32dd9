package ai.sentryagent.agentidp.crypto;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.util.Base64URL;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Provider;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.conscrypt.Conscrypt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signs JWS with the current key: a Nimbus {@link com.nimbusds.jose.JWSSigner} whose JCA context holds the fastest
 * provider that loads and proves itself with this very key (its probe signature must verify with the JDK). The
 * signature is the token path's floor, hence the order: the Amazon Corretto Crypto Provider (AWS-LC, native on
 * linux-x86_64), else Conscrypt (BoringSSL, native on linux-x86_64, macOS and Windows), else the JDK. Which one signs
 * is logged at startup and exported as a metric. ES256 signatures leave in their low-S form ({@link LowS}).
 */
public final class JwsSigner implements com.nimbusds.jose.JWSSigner {
    private static final Logger LOG = LoggerFactory.getLogger(JwsSigner.class);
    private static final byte[] PROBE = "agentidp signer probe".getBytes(StandardCharsets.US_ASCII);

    /** A provider to try; {@code null} from the supplier means the JDK's default providers. */
    public record Candidate(String name, Supplier<Provider> provider) {}

    /** The providers tried, fastest first. */
    public static final List<Candidate> CANDIDATES = List.of(
            new Candidate("AmazonCorrettoCryptoProvider", JwsSigner::accp),
            new Candidate("Conscrypt", JwsSigner::conscrypt),
            new Candidate("JDK", () -> null));

    private final JwsAlgorithm algorithm;
    private final String providerName;
    private final com.nimbusds.jose.JWSSigner signer;
    private final JWSHeader bareHeader;

    private JwsSigner(SigningKeys keys, String providerName, Provider provider) throws JOSEException {
        this.algorithm = keys.algorithm();
        this.providerName = providerName;
        PrivateKey key = inProvider(keys.privateKey(), provider);
        this.signer = switch (algorithm) {
            case RS256 -> new RSASSASigner(key);
            case ES256 -> new ECDSASigner(key, Curve.P_256);
        };
        signer.getJCAContext().setProvider(provider);
        this.bareHeader = new JWSHeader(algorithm.jose());
    }

    /** The signer on the fastest candidate that works with these keys. */
    public static JwsSigner create(SigningKeys keys) {
        return create(keys, CANDIDATES);
    }

    /** The signer on the first of {@code candidates} that works with these keys. */
    public static JwsSigner create(SigningKeys keys, List<Candidate> candidates) {
        for (Candidate candidate : candidates) {
            try {
                JwsSigner signer = new JwsSigner(keys, candidate.name(), candidate.provider().get());
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
        Base64URL signature = signer.sign(header, signingInput);
        if (algorithm != JwsAlgorithm.ES256) {
            return signature;
        }
        byte[] concatenated = signature.decode();
        byte[] low = LowS.normalise(concatenated);
        return low == concatenated ? signature : Base64URL.encode(low);
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
        return Set.of(algorithm.jose());
    }

    @Override
    public JCAContext getJCAContext() {
        return signer.getJCAContext();
    }

    public JwsAlgorithm algorithm() {
        return algorithm;
    }

    /** The provider that signs, for logs, metrics and benchmarks. */
    public String providerName() {
        return providerName;
    }

    /**
     * The key as the provider's own key object. Native providers otherwise re-import a JDK key on every
     * {@code initSign}, which Nimbus calls once per signature.
     */
    private static PrivateKey inProvider(PrivateKey key, Provider provider) {
        if (provider == null) {
            return key;
        }
        try {
            return (PrivateKey) KeyFactory.getInstance(key.getAlgorithm(), provider).translateKey(key);
        } catch (GeneralSecurityException | RuntimeException e) {
            return key;
        }
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
