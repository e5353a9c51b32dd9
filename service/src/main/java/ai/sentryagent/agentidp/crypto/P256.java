package ai.sentryagent.agentidp.crypto;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.interfaces.ECKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.util.Arrays;

/** The NIST P-256 curve (secp256r1), the only curve ES256 allows. */
final class P256 {
    static final ECParameterSpec PARAMETERS = parameters();
    /** Bytes of a field element: JWK coordinates and each half of a JWS signature have exactly this length. */
    static final int FIELD_BYTES = 32;
    /** n/2: an ECDSA signature (R, S) also verifies as (R, n−S); only the S ≤ n/2 spelling is made and accepted. */
    static final BigInteger HALF_ORDER = PARAMETERS.getOrder().shiftRight(1);

    private P256() {}

    static void require(ECKey key) {
        ECParameterSpec params = key.getParams();
        if (!params.getCurve().equals(PARAMETERS.getCurve())
                || !params.getGenerator().equals(PARAMETERS.getGenerator())
                || !params.getOrder().equals(PARAMETERS.getOrder())) {
            throw new IllegalArgumentException("is an EC key on a curve other than P-256; ES256 needs P-256");
        }
    }

    /** The low-S form of a signature's S (see {@link #HALF_ORDER}). */
    static BigInteger lowS(BigInteger s) {
        return s.compareTo(HALF_ORDER) > 0 ? PARAMETERS.getOrder().subtract(s) : s;
    }

    /** Whether a JWS R‖S signature is the one spelling this service makes: 64 bytes, S at most n/2. */
    static boolean canonicalSignature(byte[] concatenated) {
        return concatenated.length == 2 * FIELD_BYTES
                && new BigInteger(1, Arrays.copyOfRange(concatenated, FIELD_BYTES, 2 * FIELD_BYTES))
                                .compareTo(HALF_ORDER)
                        <= 0;
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
