package ai.sentryagent.agentidp.crypto;

import com.nimbusds.jose.jwk.Curve;
import java.math.BigInteger;
import java.util.Arrays;

/**
 * The one spelling of an ES256 signature this service makes and accepts. An ECDSA signature (R, S) also verifies
 * as (R, n−S), so a token could be re-spelled without the key; JOSE libraries accept both. The signer writes S in
 * its low form (S ≤ n/2) and the verifier refuses the other, so one token has one spelling. This is a rule of this
 * service, not of RFC 7518, which is why no library does it.
 */
public final class LowS {
    private static final BigInteger ORDER = Curve.P_256.toECParameterSpec().getOrder();
    private static final BigInteger HALF_ORDER = ORDER.shiftRight(1);
    private static final int HALF = 32;

    private LowS() {}

    /** Whether a JWS R‖S signature is 64 bytes with S at most n/2. */
    public static boolean isCanonical(byte[] concatenated) {
        return concatenated.length == 2 * HALF && s(concatenated).compareTo(HALF_ORDER) <= 0;
    }

    /** The same signature with S in its low form; {@code concatenated} is a 64-byte R‖S. */
    static byte[] normalise(byte[] concatenated) {
        BigInteger s = s(concatenated);
        if (s.compareTo(HALF_ORDER) <= 0) {
            return concatenated;
        }
        byte[] low = ORDER.subtract(s).toByteArray(); // < n/2, so at most 32 significant bytes
        byte[] out = Arrays.copyOf(concatenated, 2 * HALF);
        Arrays.fill(out, HALF, 2 * HALF, (byte) 0);
        int copy = Math.min(low.length, HALF);
        System.arraycopy(low, low.length - copy, out, 2 * HALF - copy, copy);
        return out;
    }

    private static BigInteger s(byte[] concatenated) {
        return new BigInteger(1, Arrays.copyOfRange(concatenated, HALF, 2 * HALF));
    }
}
