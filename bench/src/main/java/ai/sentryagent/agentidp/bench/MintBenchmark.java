package ai.sentryagent.agentidp.bench;

import ai.sentryagent.agentidp.agent.AgentStatus;
import ai.sentryagent.agentidp.credential.ClientRecord;
import ai.sentryagent.agentidp.crypto.JwsSigner;
import ai.sentryagent.agentidp.crypto.SigningKeys;
import ai.sentryagent.agentidp.token.Grant;
import ai.sentryagent.agentidp.token.GrantOutcome;
import ai.sentryagent.agentidp.token.TokenCodec;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
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
 * The whole minting function the token endpoint calls once a client is authenticated: scopes, claims, JSON,
 * base64url and the signature, with the provider the service picks at startup.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class MintBenchmark {
    @Param({"RS256", "ES256"})
    public String algorithm;

    private TokenCodec codec;
    private ClientRecord client;

    @Setup
    public void setUp() {
        SigningKeys keys = Keys.of(algorithm);
        JwsSigner signer = JwsSigner.create(keys);
        codec = new TokenCodec(
                keys,
                signer,
                "https://idp.example.com",
                "https://idp.example.com",
                Duration.ofHours(1),
                Clock.systemUTC());
        UUID agent = UUID.randomUUID();
        client = new ClientRecord(
                agent,
                agent.toString(),
                AgentStatus.ACTIVE,
                List.of("weather:read", "reports:read"),
                List.of(),
                Optional.empty(),
                List.of(),
                List.of());
    }

    /** A token request without {@code resource}: the common case, aud = TOKEN_AUDIENCE. */
    private static final Grant.Parameters NO_PARAMETERS = new Grant.Parameters() {
        @Override
        public Optional<String> get(String name) {
            return Optional.empty();
        }

        @Override
        public boolean has(String name) {
            return false;
        }

        @Override
        public List<String> all(String name) {
            return List.of();
        }
    };

    @Benchmark
    public String mint() {
        return ((GrantOutcome.Issued) codec.issue(client, client.scopes(), NO_PARAMETERS))
                .token()
                .jwt();
    }
}
