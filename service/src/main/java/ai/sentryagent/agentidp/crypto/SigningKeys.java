package ai.sentryagent.agentidp.crypto;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The RS256 signing key and the public keys tokens are verified with: the current one and any still-valid
 * previous ones (key rotation). Each public key is named by its RFC 7638 JWK thumbprint.
 */
public record SigningKeys(RSAPrivateCrtKey privateKey, VerificationKey current, List<VerificationKey> previous) {

    public static final int MIN_KEY_BITS = 2048;

    /** A public key with its {@code kid}. */
    public record VerificationKey(String kid, RSAPublicKey key) {
        public static VerificationKey of(RSAPublicKey key) {
            return new VerificationKey(thumbprint(key), key);
        }
    }

    public SigningKeys {
        previous = List.copyOf(previous);
    }

    /**
     * Builds the key set from PEM text, checking that the private and public key belong together and are long
     * enough. Messages name what is wrong, never the key.
     */
    public static SigningKeys fromPem(String privatePem, String publicPem, List<RSAPublicKey> previousKeys) {
        RSAPrivateCrtKey privateKey = Pem.privateKey(privatePem);
        RSAPublicKey publicKey = Pem.publicKey(publicPem);
        return of(privateKey, publicKey, previousKeys);
    }

    public static SigningKeys of(RSAPrivateCrtKey privateKey, RSAPublicKey publicKey, List<RSAPublicKey> previousKeys) {
        int bits = publicKey.getModulus().bitLength();
        if (bits < MIN_KEY_BITS) {
            throw new IllegalArgumentException(
                    "is a " + bits + "-bit RSA key; at least " + MIN_KEY_BITS + " bits are required");
        }
        if (!privateKey.getModulus().equals(publicKey.getModulus())
                || !privateKey.getPublicExponent().equals(publicKey.getPublicExponent())) {
            throw new IllegalArgumentException("does not match JWT_PRIVATE_KEY (they are not one key pair)");
        }
        VerificationKey current = VerificationKey.of(publicKey);
        List<VerificationKey> previous = new ArrayList<>();
        for (RSAPublicKey key : previousKeys) {
            VerificationKey verification = VerificationKey.of(key);
            if (!verification.kid().equals(current.kid())) {
                previous.add(verification);
            }
        }
        return new SigningKeys(privateKey, current, previous);
    }

    /** A fresh RSA key pair. */
    public static KeyPair generate(int bits) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(bits);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("RSA is not available", e);
        }
    }

    /** Every key a token may be verified with, current first. */
    public List<VerificationKey> verificationKeys() {
        List<VerificationKey> all = new ArrayList<>();
        all.add(current);
        all.addAll(previous);
        return all;
    }

    /** RFC 7638: SHA-256 over {@code {"e":…,"kty":"RSA","n":…}}, base64url without padding. */
    public static String thumbprint(RSAPublicKey key) {
        String canonical = "{\"e\":\"" + base64Url(key.getPublicExponent()) + "\",\"kty\":\"RSA\",\"n\":\""
                + base64Url(key.getModulus()) + "\"}";
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /** The unsigned big-endian bytes of a JWK integer, base64url without padding (RFC 7518 §6.3.1). */
    public static String base64Url(BigInteger value) {
        byte[] bytes = value.toByteArray();
        if (bytes.length > 1 && bytes[0] == 0) {
            byte[] trimmed = new byte[bytes.length - 1];
            System.arraycopy(bytes, 1, trimmed, 0, trimmed.length);
            bytes = trimmed;
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    @Override
    public String toString() {
        return "SigningKeys[kid=" + current.kid() + ", previous=" + previous.size() + "]";
    }
}
