package ai.sentryagent.agentidp.bench;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Date;
import java.util.UUID;
import java.util.stream.IntStream;

/**
 * Assertions for the {@code private_key_jwt} and jwt-bearer load runs: each request needs one of its own, the
 * {@code jti} being single-use, and wrk cannot sign. {@code Assertions key <jwk-dir>} makes an ES256 key (private JWK
 * to {@code key.json}, public to {@code public.json}); {@code Assertions sign <jwk-dir> <issuer> <clientId> <count>
 * <out>} writes {@code count} client assertions, one per line, valid for 9 minutes (the service takes at most 10);
 * {@code Assertions bearer <jwk-dir> <iss> <aud> <sub> <count> <out>} writes {@code count} external identity tokens
 * for the jwt-bearer grant (RFC 7523 §2.1), as a CI job's OIDC token would be: issued by {@code iss} (whose JWK set
 * is {@code public.json} in a trust policy), for {@code aud}, with a {@code jti}, valid for 9 minutes.
 */
public final class Assertions {
    private static final AmazonCorrettoCryptoProvider ACCP = AmazonCorrettoCryptoProvider.INSTANCE;

    private Assertions() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("key")) {
            ECKey key = new ECKeyGenerator(Curve.P_256).keyID("bench").generate();
            Files.writeString(Path.of(args[1], "key.json"), key.toJSONString());
            Files.writeString(Path.of(args[1], "public.json"), key.toPublicJWK().toJSONString());
            return;
        }
        if (args.length == 6 && args[0].equals("sign")) {
            write(args[1], args[3], args[2] + "/api/v1/token", args[3], Integer.parseInt(args[4]), args[5]);
            return;
        }
        if (args.length == 7 && args[0].equals("bearer")) {
            write(args[1], args[2], args[3], args[4], Integer.parseInt(args[5]), args[6]);
            return;
        }
        System.err.println("usage: Assertions key <dir> | Assertions sign <dir> <issuer> <clientId> <count> <out>"
                + " | Assertions bearer <dir> <iss> <aud> <sub> <count> <out>");
        System.exit(2);
    }

    private static void write(String dir, String issuer, String audience, String subject, int count, String file)
            throws Exception {
        ECKey key = ECKey.parse(Files.readString(Path.of(dir, "key.json")));
        Instant now = Instant.now();
        JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("bench").build();
        String[] lines = IntStream.range(0, count)
                .parallel()
                .mapToObj(i -> {
                    try {
                        SignedJWT jwt = new SignedJWT(
                                header,
                                new JWTClaimsSet.Builder()
                                        .issuer(issuer)
                                        .subject(subject)
                                        .audience(audience)
                                        .issueTime(Date.from(now))
                                        .expirationTime(Date.from(now.plusSeconds(540)))
                                        .jwtID(UUID.randomUUID().toString())
                                        .build());
                        ECDSASigner signer = new ECDSASigner(key);
                        if (ACCP.getLoadingError() == null) {
                            // Native signing: tens of thousands per run, on the machine under test, before it.
                            signer.getJCAContext().setProvider(ACCP);
                        }
                        jwt.sign(signer);
                        return jwt.serialize();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                })
                .toArray(String[]::new);
        try (BufferedWriter out = Files.newBufferedWriter(Path.of(file), StandardCharsets.US_ASCII)) {
            for (String line : lines) {
                out.write(line);
                out.newLine();
            }
        }
    }
}
