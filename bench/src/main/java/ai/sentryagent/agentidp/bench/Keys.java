package ai.sentryagent.agentidp.bench;

import ai.sentryagent.agentidp.crypto.JwsAlgorithm;
import ai.sentryagent.agentidp.crypto.SigningKeys;
import java.security.KeyPair;
import java.util.List;

/** Fresh keys for a benchmark: RSA-2048 for RS256, P-256 for ES256 — what production runs with. */
final class Keys {
    private Keys() {}

    static SigningKeys of(String algorithm) {
        KeyPair pair = switch (JwsAlgorithm.valueOf(algorithm)) {
            case RS256 -> SigningKeys.generate(2048);
            case ES256 -> SigningKeys.generateP256();
        };
        return SigningKeys.of(pair.getPrivate(), pair.getPublic(), List.of());
    }
}
