package ai.sentryagent.agentidp.crypto;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Client secrets: 256 random bits from a CSPRNG with the recognisable prefix {@code sa_cs_}, stored only as
 * HMAC-SHA-256 keyed by {@code CREDENTIAL_HASH_KEY}. The secrets are high-entropy, so a keyed fast hash is the
 * right tool; a password hash (bcrypt, PBKDF2) would cost two orders of magnitude in token throughput for nothing.
 */
public final class CredentialHasher {
    public static final String SECRET_PREFIX = "sa_cs_";
    private static final int SECRET_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;
    private final ThreadLocal<Mac> mac;

    public CredentialHasher(byte[] hashKey) {
        this.key = new SecretKeySpec(hashKey.clone(), "HmacSHA256");
        this.mac = ThreadLocal.withInitial(() -> {
            try {
                Mac instance = Mac.getInstance("HmacSHA256");
                instance.init(key);
                return instance;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is not available", e);
            }
        });
    }

    /** A new secret, shown to the caller exactly once. */
    public static String newSecret() {
        byte[] bytes = new byte[SECRET_BYTES];
        RANDOM.nextBytes(bytes);
        return SECRET_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** Random bytes for keys and identifiers. */
    public static byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    /** The stored form of a secret. Costs the same for any input, so unknown clients cost what known ones do. */
    public byte[] hash(String secret) {
        Mac instance = mac.get();
        return instance.doFinal(secret.getBytes(StandardCharsets.UTF_8));
    }

    /** Constant-time comparison of two hashes. */
    public static boolean matches(byte[] expected, byte[] actual) {
        return MessageDigest.isEqual(expected, actual);
    }
}
