package ai.sentryagent.agentidp.crypto;

import com.nimbusds.jose.JWSAlgorithm;
import java.security.Key;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;

/** The JWS algorithms tokens are signed with (RFC 7518 §3.1); the signing key's type decides which. */
public enum JwsAlgorithm {
    /** RSASSA-PKCS1-v1_5 with SHA-256; RSA keys of at least 2048 bits. */
    RS256(JWSAlgorithm.RS256),
    /** ECDSA on P-256 with SHA-256; the signature is R‖S, 64 bytes (RFC 7518 §3.4). */
    ES256(JWSAlgorithm.ES256);

    private final JWSAlgorithm jose;

    JwsAlgorithm(JWSAlgorithm jose) {
        this.jose = jose;
    }

    /** The same algorithm as Nimbus names it. */
    public JWSAlgorithm jose() {
        return jose;
    }

    /** The algorithm a key signs with. */
    public static JwsAlgorithm of(Key key) {
        if (key instanceof RSAKey) {
            return RS256;
        }
        if (key instanceof ECKey) {
            return ES256;
        }
        throw new IllegalArgumentException("is a " + key.getAlgorithm() + " key; expected RSA or EC P-256");
    }
}
