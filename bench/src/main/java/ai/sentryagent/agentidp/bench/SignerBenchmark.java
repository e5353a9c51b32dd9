package ai.sentryagent.agentidp.bench;

import ai.sentryagent.agentidp.crypto.JwsSigner;
import ai.sentryagent.agentidp.crypto.SigningKeys;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One JWS signature over a token-sized signing input, per provider the signer can pick: the floor of the token
 * path. Compare with {@code openssl speed rsa2048} / {@code ecdsap256} on the same machine.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class SignerBenchmark {
    /** A typical header.payload of an issued token (about 400 bytes). */
    static final byte[] SIGNING_INPUT = ("eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6IlQ5b1F2eGZ3bXJfbk1kMmZBNjlz"
                    + "Y0xfNk5RUjBsS2FNbWZ5cGNEcTRjUk0ifQ.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlLmNvbSIsInN1YiI6IjRmOGU3"
                    + "YjJhLTlkMWMtNGUzZi04YTZiLTJjNWQ3ZTlmMGExYiIsImNsaWVudF9pZCI6IjRmOGU3YjJhLTlkMWMtNGUzZi04YTZiLTJj"
                    + "NWQ3ZTlmMGExYiIsImF1ZCI6Imh0dHBzOi8vaWRwLmV4YW1wbGUuY29tIiwic2NvcGUiOiJ3ZWF0aGVyOnJlYWQgcmVwb3J0"
                    + "czpyZWFkIiwiaWF0IjoxNzk1ODQ5MjAwLCJleHAiOjE3OTU4NTI4MDAsImp0aSI6IjJiNmYwYzFlLTdhM2QtNGI5ZS04ZjFh")
            .getBytes(StandardCharsets.US_ASCII);

    @Param({"RS256", "ES256"})
    public String algorithm;

    @Param({"AmazonCorrettoCryptoProvider", "Conscrypt", "JDK"})
    public String provider;

    private JwsSigner signer;

    @Setup
    public void setUp() {
        SigningKeys keys = Keys.of(algorithm);
        JwsSigner.Candidate candidate = JwsSigner.CANDIDATES.stream()
                .filter(c -> c.name().equals(provider))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown provider " + provider));
        signer = JwsSigner.create(keys, List.of(candidate));
    }

    @Benchmark
    public byte[] sign() {
        return signer.sign(SIGNING_INPUT);
    }
}
