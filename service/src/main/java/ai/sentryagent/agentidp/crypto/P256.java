package ai.sentryagent.agentidp.crypto;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.interfaces.ECKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;

/** The NIST P-256 curve (secp256r1), the only curve ES256 allows. */
final class P256 {
    static final ECParameterSpec PARAMETERS = parameters();
    /** Bytes of a field element: JWK coordinates and each half of a JWS signature have exactly this length. */
    static final int FIELD_BYTES = 32;

    private P256() {}

    static void require(ECKey key) {
        ECParameterSpec params = key.getParams();
        if (!params.getCurve().equals(PARAMETERS.getCurve())
                || !params.getGenerator().equals(PARAMETERS.getGenerator())
                || !params.getOrder().equals(PARAMETERS.getOrder())) {
            throw new IllegalArgumentException("is an EC key on a curve other than P-256; ES256 needs P-256");
        }
    }

    /** A non-negative integer as exactly {@link #FIELD_BYTES} big-endian bytes. */
    static byte[] fixedLength(BigInteger value) {
        byte[] raw = value.toByteArray();
        byte[] fixed = new byte[FIELD_BYTES];
        int copy = Math.min(raw.length, FIELD_BYTES);
        System.arraycopy(raw, raw.length - copy, fixed, FIELD_BYTES - copy, copy);
        return fixed;
    }

    private static ECParameterSpec parameters() {
        try {
            AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
            parameters.init(new ECGenParameterSpec("secp256r1"));
            return parameters.getParameterSpec(ECParameterSpec.class);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK does not know P-256", e);
        }
    }
}
