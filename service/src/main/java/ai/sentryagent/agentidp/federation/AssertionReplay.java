package ai.sentryagent.agentidp.federation;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

/**
 * Single use of an assertion's {@code jti} (RFC 7523 §3 item 7) across every task: one Redis {@code SET NX PX}
 * per accepted assertion, kept until the assertion expires. The key is a hash of issuer and jti, so neither an
 * attacker-chosen jti nor its length reaches Redis as a key. Redis down fails the future: the grant refuses (an
 * assertion that may be a replay is not honoured), answered 503 by the error renderer.
 */
public final class AssertionReplay {
    private final Redis redis;
    private final String prefix;

    public AssertionReplay(Redis redis, String keyPrefix) {
        this.redis = redis;
        this.prefix = keyPrefix + "jwt-bearer:jti:";
    }

    /** True when this is the first use of {@code jti} from {@code issuer}; it stays used for {@code ttl}. */
    public Future<Boolean> firstUse(String issuer, String jti, Duration ttl) {
        long millis = Math.max(1_000, ttl.toMillis());
        return redis.send(Request.cmd(Command.SET)
                        .arg(prefix + digest(issuer, jti))
                        .arg("1")
                        .arg("NX")
                        .arg("PX")
                        .arg(millis))
                .map(response -> response != null && "OK".equals(response.toString()));
    }

    private static String digest(String issuer, String jti) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(issuer.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(jti.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }
}
