package ai.sentryagent.agentidp.http;

/**
 * The client's address behind {@code n} trusted proxies: the right-most {@code X-Forwarded-For} entry that no
 * trusted proxy added. With no trusted proxy it is the peer address; a forged header further left is ignored.
 */
public final class ClientIp {
    private ClientIp() {}

    public static String of(String peer, String forwardedFor, int trustedProxies) {
        String fallback = peer == null ? "unknown" : peer;
        if (trustedProxies <= 0 || forwardedFor == null || forwardedFor.isBlank()) {
            return fallback;
        }
        String[] hops = forwardedFor.split(",");
        // The nearest proxy is the peer; each trusted proxy before it appended one hop.
        int index = hops.length - trustedProxies;
        if (index < 0) {
            return hops[0].trim().isEmpty() ? fallback : hops[0].trim();
        }
        String hop = hops[index].trim();
        return hop.isEmpty() ? fallback : hop;
    }
}
