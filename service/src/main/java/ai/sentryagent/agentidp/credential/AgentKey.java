package ai.sentryagent.agentidp.credential;

import java.time.Instant;
import java.util.UUID;

/**
 * A public key an agent registered for {@code private_key_jwt} (RFC 7523 §2.2): its {@code kid}, the algorithm it
 * is shown with, and the public JWK as stored.
 */
public record AgentKey(UUID agentId, String kid, String alg, String jwk, Instant createdAt) {}
