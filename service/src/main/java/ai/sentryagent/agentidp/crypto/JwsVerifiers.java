package ai.sentryagent.agentidp.crypto;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import java.nio.charset.StandardCharsets;
import java.security.Provider;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signature verifiers for keys presented from outside — a client's registered keys ({@code private_key_jwt}), an
 * external issuer's ({@code jwt-bearer}) — on the fastest JCA provider that verifies each algorithm correctly here.
 * Nimbus's verifiers default to the JDK's providers, and the JDK 17 provider verifies ES256 in about 800 µs where
 * AWS-LC takes about 40 µs (bench/results/2026-12-02T1030-paths-issue16.txt): on the assertion paths that was most
 * of a token's CPU.
 *
 * <p>Each algorithm is probed once per process, per candidate of {@link JwsSigner#CANDIDATES} (fastest first): a
 * signature made by the JDK's provider with a fresh key must verify, and the same signature over other bytes must
 * not. The first candidate that passes both verifies that algorithm; the JDK verifies the rest. A native library
 * that accepts what it should refuse is never used.
 *
 * <p>Verification itself stays Nimbus's ({@link RSASSAVerifier}, {@link ECDSAVerifier}): the JCA algorithm names,
 * the PSS parameters, the R‖S to DER transcoding and ECDSA's signature checks, and the refusal of any {@code crit}
 * header (RFC 7515 §4.1.11); only the {@link JCAContext}'s provider is chosen here.
 */
public final class JwsVerifiers {
    private static final Logger LOG = LoggerFactory.getLogger(JwsVerifiers.class);
    private static final byte[] PROBE = "agentidp verifier probe".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OTHER = "agentidp verifier probf".getBytes(StandardCharsets.US_ASCII);

    /** Every algorithm an outside key may be used with (the union of both assertion paths' lists). */
    static final List<JWSAlgorithm> ALGORITHMS = List.of(
            JWSAlgorithm.RS256,
            JWSAlgorithm.RS384,
            JWSAlgorithm.RS512,
            JWSAlgorithm.PS256,
            JWSAlgorithm.PS384,
            JWSAlgorithm.PS512,
            JWSAlgorithm.ES256,
            JWSAlgorithm.ES384,
            JWSAlgorithm.ES512);

    private static final class Holder {
        static final JwsVerifiers INSTANCE = probe(JwsSigner.CANDIDATES);
    }

    /** Which candidate verifies each algorithm, by name, in {@link #ALGORITHMS} order. */
    private final Map<String, String> names;
    /** The provider of each algorithm a candidate verifies; absent: the JDK's default providers. */
    private final Map<JWSAlgorithm, Provider> providers;
    /** Verifiers of keys that come and go (an issuer's key set), by key instance: built once per key, not per token. */
    private final Cache<JWK, Optional<JWSVerifier>> cache =
            Caffeine.newBuilder().weakKeys().maximumSize(4096).build();

    private JwsVerifiers(Map<String, String> names, Map<JWSAlgorithm, Provider> providers) {
        this.names = Collections.unmodifiableMap(names);
        this.providers = providers;
    }

    /**
     * The process's verifiers. The first call probes the providers (key generation and probe signatures: 0.1 to 0.8 s
     * on a cold JVM); the service makes it on a worker at startup, and a caller that comes while it runs waits for
     * it (class initialisation), once.
     */
    public static JwsVerifiers get() {
        return Holder.INSTANCE;
    }

    /** The provider that verifies each algorithm, by candidate name, for logs and tests. */
    public Map<String, String> providerNames() {
        return names;
    }

    /**
     * A verifier for an RSA or EC public key, for every algorithm its type allows (RSA: RS* and PS*; EC: the ES* of
     * its curve); each algorithm on its own provider. Throws when the key is neither, or Nimbus refuses it.
     */
    public JWSVerifier verifier(JWK key) throws JOSEException {
        Map<JWSAlgorithm, JWSVerifier> byAlgorithm = new HashMap<>();
        Map<Provider, JWSVerifier> byProvider = new HashMap<>();
        JWSVerifier jdk = null;
        for (JWSAlgorithm algorithm : ALGORITHMS) {
            if (!fits(key, algorithm)) {
                continue;
            }
            Provider provider = providers.get(algorithm);
            JWSVerifier verifier;
            if (provider == null) {
                verifier = jdk == null ? (jdk = nimbus(key, null)) : jdk;
            } else {
                verifier = byProvider.get(provider);
                if (verifier == null) {
                    verifier = nimbus(key, provider);
                    byProvider.put(provider, verifier);
                }
            }
            byAlgorithm.put(algorithm, verifier);
        }
        if (byAlgorithm.isEmpty()) {
            throw new JOSEException("neither an RSA nor an EC key of a JWS curve");
        }
        return new KeyVerifier(Map.copyOf(byAlgorithm));
    }

    /**
     * {@link #verifier}, kept for as long as {@code key} (the instance) is in use; empty when the key has none. For
     * key sets held elsewhere (an issuer's), so that a key is turned into a Java key once, not per assertion.
     */
    public Optional<JWSVerifier> cached(JWK key) {
        return cache.get(key, k -> {
            try {
                return Optional.of(verifier(k));
            } catch (JOSEException | RuntimeException e) {
                return Optional.empty();
            }
        });
    }

    private static boolean fits(JWK key, JWSAlgorithm algorithm) {
        if (key instanceof RSAKey) {
            return JWSAlgorithm.Family.RSA.contains(algorithm);
        }
        if (key instanceof ECKey ec) {
            return JWSAlgorithm.Family.EC.contains(algorithm)
                    && Curve.forJWSAlgorithm(algorithm).contains(ec.getCurve());
        }
        return false;
    }

    private static JWSVerifier nimbus(JWK key, Provider provider) throws JOSEException {
        JWSVerifier verifier = key instanceof RSAKey rsa ? new RSASSAVerifier(rsa) : new ECDSAVerifier((ECKey) key);
        verifier.getJCAContext().setProvider(provider);
        return verifier;
    }

    /** One key's verifiers by algorithm; an algorithm the key does not fit is refused as Nimbus refuses it. */
    private record KeyVerifier(Map<JWSAlgorithm, JWSVerifier> byAlgorithm) implements JWSVerifier {
        @Override
        public boolean verify(JWSHeader header, byte[] signingInput, Base64URL signature) throws JOSEException {
            JWSVerifier verifier = byAlgorithm.get(header.getAlgorithm());
            if (verifier == null) {
                throw new JOSEException("the key does not verify " + header.getAlgorithm());
            }
            return verifier.verify(header, signingInput, signature);
        }

        @Override
        public Set<JWSAlgorithm> supportedJWSAlgorithms() {
            return byAlgorithm.keySet();
        }

        @Override
        public JCAContext getJCAContext() {
            return new JCAContext();
        }
    }

    /** Tries each candidate on each algorithm, fastest first; the JDK is the last candidate and always kept. */
    static JwsVerifiers probe(List<JwsSigner.Candidate> candidates) {
        long started = System.nanoTime();
        Map<String, String> names = new LinkedHashMap<>();
        Map<JWSAlgorithm, Provider> providers = new HashMap<>();
        List<String> refused = new ArrayList<>();
        Map<String, Provider> loaded = new LinkedHashMap<>();
        for (JwsSigner.Candidate candidate : candidates) {
            try {
                Provider provider = candidate.provider().get();
                if (provider != null) {
                    loaded.put(candidate.name(), provider);
                }
            } catch (Throwable e) {
                refused.add(candidate.name() + " (" + e.getMessage() + ")");
            }
        }
        Map<String, JWK> keys;
        try {
            keys = Map.of(
                    "RSA", rsaKey(loaded.values()),
                    "P-256", new ECKeyGenerator(Curve.P_256).generate(),
                    "P-384", new ECKeyGenerator(Curve.P_384).generate(),
                    "P-521", new ECKeyGenerator(Curve.P_521).generate());
        } catch (JOSEException e) {
            throw new IllegalStateException("the JDK cannot make probe keys", e);
        }
        for (JWSAlgorithm algorithm : ALGORITHMS) {
            JWK key = keys.get(
                    JWSAlgorithm.Family.RSA.contains(algorithm)
                            ? "RSA"
                            : Curve.forJWSAlgorithm(algorithm).iterator().next().getName());
            names.put(algorithm.getName(), "JDK");
            for (Map.Entry<String, Provider> candidate : loaded.entrySet()) {
                if (verifiesCorrectly(key, algorithm, candidate.getValue())) {
                    names.put(algorithm.getName(), candidate.getKey());
                    providers.put(algorithm, candidate.getValue());
                    break;
                }
            }
        }
        JwsVerifiers verifiers = new JwsVerifiers(names, Map.copyOf(providers));
        LOG.info(
                "verifying client and issuer signatures with {} (probed in {} ms){}",
                verifiers.providerNames(),
                (System.nanoTime() - started) / 1_000_000,
                refused.isEmpty() ? "" : "; not loaded: " + String.join(", ", refused));
        return verifiers;
    }

    /**
     * An RSA probe key, generated natively when a candidate can (the JDK takes up to a second for 2048 bits on a busy
     * machine); the probe signatures are the JDK's whatever made the key.
     */
    private static JWK rsaKey(Iterable<Provider> providers) throws JOSEException {
        for (Provider provider : providers) {
            try {
                return new RSAKeyGenerator(2048).provider(provider).generate();
            } catch (JOSEException | RuntimeException e) {
                // this one does not generate RSA keys; the next, or the JDK
            }
        }
        return new RSAKeyGenerator(2048).generate();
    }

    /** A JDK signature over the probe verifies with {@code provider}, and does not over other bytes. */
    private static boolean verifiesCorrectly(JWK key, JWSAlgorithm algorithm, Provider provider) {
        try {
            JWSHeader header = new JWSHeader(algorithm);
            Base64URL signature = key instanceof RSAKey rsa
                    ? new RSASSASigner(rsa).sign(header, PROBE)
                    : new ECDSASigner((ECKey) key).sign(header, PROBE);
            JWSVerifier verifier = nimbus(key.toPublicJWK(), provider);
            return verifier.verify(header, PROBE, signature) && !verifier.verify(header, OTHER, signature);
        } catch (JOSEException | RuntimeException e) {
            LOG.debug("{} does not verify {} here: {}", provider.getName(), algorithm, e.toString());
            return false;
        }
    }
}
