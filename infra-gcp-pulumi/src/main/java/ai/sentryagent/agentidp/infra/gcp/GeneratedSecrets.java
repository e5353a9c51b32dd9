package ai.sentryagent.agentidp.infra.gcp;

import com.pulumi.core.Output;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Secrets nobody types: each is HMAC-SHA-256 of its purpose keyed by its own seed ({@code
 * agentidp:databasePasswordSeed}, {@code credentialHashKeySeed}, {@code auditChainKeySeed}, {@code
 * bootstrapAdminSecretSeed}, each generated once with {@code openssl rand}). Derivation instead of a random provider
 * keeps every {@code pulumi up} stable and consistent — a replaced Cloud SQL user gets the same password the URL
 * secret holds — and yields URL-safe values whatever the seed; one seed per secret means changing one rotates that
 * secret alone. The values stay Pulumi secrets throughout.
 */
final class GeneratedSecrets {
    private GeneratedSecrets() {}

    /** 256 bits, base64url without padding: safe inside URLs and environment variables. */
    static Output<String> derive(Output<String> seed, String purpose) {
        return seed.applyValue(value -> hmac(value, purpose)).asSecret();
    }

    static String hmac(String seed, String purpose) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(seed.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] digest = mac.doFinal(("agentidp:" + purpose).getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }
}
