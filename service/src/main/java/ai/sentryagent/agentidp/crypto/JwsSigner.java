package ai.sentryagent.agentidp.crypto;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.Signature;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.conscrypt.Conscrypt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signs JWS signing inputs with the current key. The signature is the token path's floor, so the signer takes the
 * fastest JCA provider that loads and proves itself with this very key (its probe signature must verify with the
 * JDK): the Amazon Corretto Crypto Provider (AWS-LC, native on linux-x86_64), else Conscrypt (BoringSSL, native on
 * linux-x86_64, macOS and Windows), else the JDK. Which one signs is logged at startup and exported as a metric.
 */
public final class JwsSigner {
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
    private final ThreadLocal<Signature> signatures;

    private JwsSigner(SigningKeys keys, String providerName, Provider provider) {
        this.algorithm = keys.algorithm();
        this.providerName = providerName;
        this.signatures = ThreadLocal.withInitial(() -> {
            try {
                return initSign(keys, provider);
            } catch (GeneralSecurityException e) {
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
                Provider provider = candidate.provider().get();
                JwsSigner signer = new JwsSigner(keys, candidate.name(), provider);
                byte[] signature = signer.sign(PROBE);
                Signature verifier = Signature.getInstance(keys.algorithm().jdkVerifying());
                verifier.initVerify(keys.current().key());
                verifier.update(PROBE);
                if (verifier.verify(signature)) {
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

    /** The JWS signature of {@code signingInput}: PKCS#1 v1.5 for RS256, R‖S for ES256. */
    public byte[] sign(byte[] signingInput) {
        try {
            Signature signature = signatures.get();
            signature.update(signingInput);
            byte[] raw = signature.sign();
            return algorithm == JwsAlgorithm.ES256 ? derToConcatenated(raw) : raw;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(algorithm + " signing failed", e);
        }
    }

    public JwsAlgorithm algorithm() {
        return algorithm;
    }

    /** The provider that signs, for logs, metrics and benchmarks. */
    public String providerName() {
        return providerName;
    }

    private static Signature initSign(SigningKeys keys, Provider provider) throws GeneralSecurityException {
        String name = keys.algorithm().jcaSigning();
        Signature signature = provider == null ? Signature.getInstance(name) : Signature.getInstance(name, provider);
        signature.initSign(keys.privateKey());
        return signature;
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

    /**
     * An ASN.1 DER ECDSA-Sig-Value {r, s} as the fixed-length R‖S that JWS uses (RFC 7518 §3.4), with S in its low
     * form.
     */
    static byte[] derToConcatenated(byte[] der) {
        int position = 0;
        if (der.length < 8 || der[position++] != 0x30) {
            throw new IllegalStateException("not a DER ECDSA signature");
        }
        int length = der[position++] & 0xff;
        if (length == 0x81) {
            length = der[position++] & 0xff;
        }
        if (position + length != der.length) {
            throw new IllegalStateException("not a DER ECDSA signature");
        }
        byte[] out = new byte[2 * P256.FIELD_BYTES];
        for (int part = 0; part < 2; part++) {
            if (der[position++] != 0x02) {
                throw new IllegalStateException("not a DER ECDSA signature");
            }
            int size = der[position++] & 0xff;
            BigInteger value = new BigInteger(1, Arrays.copyOfRange(der, position, position + size));
            if (part == 1) {
                value = P256.lowS(value); // one spelling per signature: TokenCodec refuses the high-S twin
            }
            position += size;
            System.arraycopy(P256.fixedLength(value), 0, out, part * P256.FIELD_BYTES, P256.FIELD_BYTES);
        }
        return out;
    }
}
