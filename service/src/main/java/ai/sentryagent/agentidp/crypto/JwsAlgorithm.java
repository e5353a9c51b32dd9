package ai.sentryagent.agentidp.crypto;

import java.security.Key;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;

/** The JWS algorithms tokens are signed with (RFC 7518 §3.1); the signing key's type decides which. */
public enum JwsAlgorithm {
    /** RSASSA-PKCS1-v1_5 with SHA-256; RSA keys of at least 2048 bits. */
    RS256("SHA256withRSA", "SHA256withRSA"),
    /** ECDSA on P-256 with SHA-256; the signature is R‖S, 64 bytes (RFC 7518 §3.4). */
    ES256("SHA256withECDSA", "SHA256withECDSAinP1363Format");

    private final String jcaSigning;
    private final String jdkVerifying;

    JwsAlgorithm(String jcaSigning, String jdkVerifying) {
        this.jcaSigning = jcaSigning;
        this.jdkVerifying = jdkVerifying;
    }

    /** The JCA name signers are asked for (DER-encoded for ECDSA, which {@link JwsSigner} transcodes). */
    String jcaSigning() {
        return jcaSigning;
    }

    /** The JDK's name for verifying a JWS signature as it appears in the token. */
    String jdkVerifying() {
        return jdkVerifying;
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
