package ai.sentryagent.agentidp.bench;

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
 * Client assertions for the {@code private_key_jwt} load run: each request needs one of its own, the {@code jti}
 * being single-use, and wrk cannot sign. {@code Assertions key <jwk-dir>} makes an ES256 key (private JWK to
 * {@code key.json}, public to {@code public.json}); {@code Assertions sign <jwk-dir> <issuer> <clientId> <count>
 * <out>} writes {@code count} assertions, one per line, valid for 9 minutes (the service takes at most 10).
 */
public final class Assertions {
    private Assertions() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("key")) {
            ECKey key = new ECKeyGenerator(Curve.P_256).keyID("bench").generate();
            Files.writeString(Path.of(args[1], "key.json"), key.toJSONString());
            Files.writeString(Path.of(args[1], "public.json"), key.toPublicJWK().toJSONString());
            return;
        }
        if (args.length != 6 || !args[0].equals("sign")) {
            System.err.println("usage: Assertions key <dir> | Assertions sign <dir> <issuer> <clientId> <count> <out>");
            System.exit(2);
        }
        ECKey key = ECKey.parse(Files.readString(Path.of(args[1], "key.json")));
        String audience = args[2] + "/api/v1/token";
        String clientId = args[3];
        int count = Integer.parseInt(args[4]);
        Instant now = Instant.now();
        JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("bench").build();
        String[] lines = IntStream.range(0, count)
                .parallel()
                .mapToObj(i -> {
                    try {
                        SignedJWT jwt = new SignedJWT(
                                header,
                                new JWTClaimsSet.Builder()
                                        .issuer(clientId)
                                        .subject(clientId)
                                        .audience(audience)
                                        .issueTime(Date.from(now))
                                        .expirationTime(Date.from(now.plusSeconds(540)))
                                        .jwtID(UUID.randomUUID().toString())
                                        .build());
                        jwt.sign(new ECDSASigner(key));
                        return jwt.serialize();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                })
                .toArray(String[]::new);
        try (BufferedWriter out = Files.newBufferedWriter(Path.of(args[5]), StandardCharsets.US_ASCII)) {
            for (String line : lines) {
                out.write(line);
                out.newLine();
            }
        }
    }
}
