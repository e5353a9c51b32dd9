package ai.sentryagent.agentidp.token;

import ai.sentryagent.agentidp.crypto.JwsSigner;
import ai.sentryagent.agentidp.crypto.SigningKeys;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.util.Base64URL;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.Provider;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Not a test: the CPU cost of signing and serialising one access token, and of verifying its signature, with the hand-written JOSE this service had
 * until issue 15 ("old", reproduced below as it was, on the same provider) and with Nimbus ("new", {@link
 * TokenCodec#sign}), in one JVM, alternating old and new so that a neighbour's load hits both. Reports thread CPU
 * µs per token for each round and the median new/old ratio. Run on demand:
 *
 * <pre>
 * ./mvnw -o -q -B -pl service test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * java -cp service/target/classes:service/target/test-classes:$(cat /tmp/cp.txt) \
 *     ai.sentryagent.agentidp.token.JoseOverhead [rounds]
 * </pre>
 */
public final class JoseOverhead {
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        System.out.printf(
                Locale.ROOT,
                "%s, %s %s, %d cores%n",
                java.time.Instant.now(),
                System.getProperty("java.vm.name"),
                System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors());
        for (KeyPair pair : List.of(SigningKeys.generate(2048), SigningKeys.generateP256())) {
            SigningKeys keys = SigningKeys.of(pair.getPrivate(), pair.getPublic(), List.of());
            JwsSigner signer = JwsSigner.create(keys);
            TokenCodec codec = new TokenCodec(
                    keys,
                    signer,
                    "https://idp.example.com",
                    "https://idp.example.com",
                    Duration.ofHours(1),
                    Clock.systemUTC());
            LegacyCodec legacy = new LegacyCodec(keys, signer.getJCAContext().getProvider());
            AccessToken token = codec.newToken(
                    "4f8e7b2a-9d1c-4e3f-8a6b-2c5d7e9f0a1b",
                    "4f8e7b2a-9d1c-4e3f-8a6b-2c5d7e9f0a1b",
                    List.of("weather:read", "reports:read"),
                    Optional.empty(),
                    List.of());
            if (codec.verify(legacy.sign(token)).isEmpty()
                    || codec.verify(codec.sign(token)).isEmpty()) {
                throw new IllegalStateException("a token does not verify");
            }
            int n = keys.algorithm().name().equals("RS256") ? 1_500 : 15_000;
            measure(() -> legacy.sign(token), n); // warm-up of both paths
            measure(() -> codec.sign(token), n);
            List<Double> ratios = new ArrayList<>();
            System.out.printf(
                    Locale.ROOT, "%s on %s, %d tokens per round%n", keys.algorithm(), signer.providerName(), n);
            for (int round = 0; round < rounds; round++) {
                boolean oldFirst = round % 2 == 0;
                double a = measure(oldFirst ? () -> legacy.sign(token) : () -> codec.sign(token), n);
                double b = measure(oldFirst ? () -> codec.sign(token) : () -> legacy.sign(token), n);
                double old = oldFirst ? a : b;
                double now = oldFirst ? b : a;
                ratios.add(now / old);
                System.out.printf(
                        Locale.ROOT,
                        "  round %d: old %.2f µs, new %.2f µs per token, new/old %.3f%n",
                        round + 1,
                        old,
                        now,
                        now / old);
            }
            report(keys.algorithm() + " sign", ratios);

            // Verification (introspection, bearer tokens on the management API): the JDK Signature the service
            // used to call directly against the Nimbus verifier it calls now, on the same signed bytes.
            String signed = codec.sign(token);
            int dot = signed.lastIndexOf('.');
            byte[] input = signed.substring(0, dot).getBytes(StandardCharsets.US_ASCII);
            Base64URL signature = new Base64URL(signed.substring(dot + 1));
            byte[] signatureBytes = signature.decode();
            JWSVerifier verifier = keys.current().verifier();
            JWSHeader header = new JWSHeader(keys.algorithm().jose());
            String jdkName = keys.algorithm().name().equals("ES256") ? "SHA256withECDSAinP1363Format" : "SHA256withRSA";
            Sign legacyVerify = () -> {
                try {
                    Signature jdk = Signature.getInstance(jdkName);
                    jdk.initVerify(keys.current().key());
                    jdk.update(input);
                    return jdk.verify(signatureBytes) ? "y" : "";
                } catch (GeneralSecurityException e) {
                    throw new IllegalStateException(e);
                }
            };
            Sign nimbusVerify = () -> {
                try {
                    return verifier.verify(header, input, signature) ? "y" : "";
                } catch (JOSEException e) {
                    throw new IllegalStateException(e);
                }
            };
            int m = keys.algorithm().name().equals("RS256") ? 20_000 : 5_000;
            measure(legacyVerify, m);
            measure(nimbusVerify, m);
            List<Double> verifyRatios = new ArrayList<>();
            for (int round = 0; round < rounds; round++) {
                boolean oldFirst = round % 2 == 0;
                double a = measure(oldFirst ? legacyVerify : nimbusVerify, m);
                double b = measure(oldFirst ? nimbusVerify : legacyVerify, m);
                double old = oldFirst ? a : b;
                double now = oldFirst ? b : a;
                verifyRatios.add(now / old);
                System.out.printf(
                        Locale.ROOT,
                        "  verify round %d: old %.2f µs, new %.2f µs per token, new/old %.3f%n",
                        round + 1,
                        old,
                        now,
                        now / old);
            }
            report(keys.algorithm() + " verify", verifyRatios);
        }
    }

    private static void report(String what, List<Double> ratios) {
        ratios.sort(Double::compare);
        System.out.printf(
                Locale.ROOT,
                "  %s median new/old %.3f (min %.3f, max %.3f)%n",
                what,
                ratios.get(ratios.size() / 2),
                ratios.get(0),
                ratios.get(ratios.size() - 1));
    }

    private interface Sign {
        String run();
    }

    private static long sink;

    /** Thread CPU µs per token. */
    private static double measure(Sign sign, int n) {
        long start = CPU.getCurrentThreadCpuTime();
        for (int i = 0; i < n; i++) {
            sink += sign.run().length();
        }
        return (CPU.getCurrentThreadCpuTime() - start) / 1_000.0 / n;
    }

    /** The signing half of TokenCodec and JwsSigner before issue 15, unchanged but for names: the baseline. */
    private static final class LegacyCodec {
        private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
        private static final BigInteger ORDER =
                com.nimbusds.jose.jwk.Curve.P_256.toECParameterSpec().getOrder();
        private final boolean ec;
        private final String encodedHeader;
        private final ThreadLocal<Signature> signatures;

        LegacyCodec(SigningKeys keys, Provider provider) {
            this.ec = keys.algorithm().name().equals("ES256");
            JsonObject header = new JsonObject()
                    .put("alg", keys.algorithm().name())
                    .put("typ", "at+jwt")
                    .put("kid", keys.current().kid());
            this.encodedHeader = B64.encodeToString(header.encode().getBytes(StandardCharsets.UTF_8));
            String name = ec ? "SHA256withECDSA" : "SHA256withRSA";
            this.signatures = ThreadLocal.withInitial(() -> {
                try {
                    Signature signature =
                            provider == null ? Signature.getInstance(name) : Signature.getInstance(name, provider);
                    signature.initSign(keys.privateKey());
                    return signature;
                } catch (GeneralSecurityException e) {
                    throw new IllegalStateException(e);
                }
            });
        }

        String sign(AccessToken token) {
            String payload = B64.encodeToString(token.toClaims().encode().getBytes(StandardCharsets.UTF_8));
            String signingInput = encodedHeader + "." + payload;
            try {
                Signature signature = signatures.get();
                signature.update(signingInput.getBytes(StandardCharsets.US_ASCII));
                byte[] raw = signature.sign();
                return signingInput + "." + B64.encodeToString(ec ? derToConcatenated(raw) : raw);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }

        private static byte[] derToConcatenated(byte[] der) {
            int position = 2;
            if ((der[1] & 0xff) == 0x81) {
                position = 3;
            }
            byte[] out = new byte[64];
            for (int part = 0; part < 2; part++) {
                position++; // INTEGER
                int size = der[position++] & 0xff;
                BigInteger value = new BigInteger(1, Arrays.copyOfRange(der, position, position + size));
                if (part == 1 && value.compareTo(ORDER.shiftRight(1)) > 0) {
                    value = ORDER.subtract(value);
                }
                position += size;
                byte[] raw = value.toByteArray();
                int copy = Math.min(raw.length, 32);
                System.arraycopy(raw, raw.length - copy, out, part * 32 + 32 - copy, copy);
            }
            return out;
        }
    }
}
