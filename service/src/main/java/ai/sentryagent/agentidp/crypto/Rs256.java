package ai.sentryagent.agentidp.crypto;

import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.Signature;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code SHA256withRSA} from the fastest provider that loads: Conscrypt (BoringSSL; its native library ships in the
 * jar for linux-x86_64, macOS and Windows), else the JDK's. The signature is the token path's floor.
 */
public final class Rs256 {
    private static final Logger LOG = LoggerFactory.getLogger(Rs256.class);
    private static final Provider PROVIDER = load();

    private Rs256() {}

    public static Signature signature() throws GeneralSecurityException {
        return PROVIDER == null
                ? Signature.getInstance("SHA256withRSA")
                : Signature.getInstance("SHA256withRSA", PROVIDER);
    }

    /** The provider in use, for logs and benchmarks. */
    public static String providerName() {
        return PROVIDER == null ? "JDK" : PROVIDER.getName();
    }

    private static Provider load() {
        try {
            if (org.conscrypt.Conscrypt.isAvailable()) {
                Provider conscrypt = org.conscrypt.Conscrypt.newProvider();
                // Prove it signs with a JDK-generated key before trusting it on the token path.
                Signature probe = Signature.getInstance("SHA256withRSA", conscrypt);
                probe.initSign(SigningKeys.generate(2048).getPrivate());
                probe.update(new byte[] {1});
                probe.sign();
                return conscrypt;
            }
        } catch (Throwable e) {
            LOG.info("Conscrypt unavailable ({}); signing with the JDK provider", e.toString());
        }
        return null;
    }
}
