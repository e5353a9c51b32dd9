package ai.sentryagent.agentidp.http;

import io.netty.util.NetUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The client's address behind {@code n} trusted proxies: the right-most {@code X-Forwarded-For} entry that no
 * trusted proxy added. With no trusted proxy it is the peer address; a forged header further left is ignored.
 *
 * <p>Every {@code X-Forwarded-For} line counts, in order (RFC 9110 §5.3: repeated lines are one comma list). Empty
 * elements are skipped; the chosen element must be an IP literal (an optional port, and brackets around IPv6, are
 * dropped) and comes back in one canonical spelling, so {@code ::1} and {@code 0:0::1} are one rate-limit key, and
 * an IPv4 address written as IPv6 ({@code ::ffff:198.51.100.7}, {@code ::198.51.100.7}) is the dotted IPv4 one (F-10:
 * the mapped spelling got a second set of failure allowances). The peer address is canonicalised the same way.
 * Anything else (a host name, {@code unknown}, garbage) falls back to the peer address: nothing is ever resolved.
 * The work is linear in the header, which the server bounds (16 KiB of headers).
 */
public final class ClientIp {
    private ClientIp() {}

    public static String of(String peer, String forwardedFor, int trustedProxies) {
        return fromHeaderLines(peer, forwardedFor == null ? List.of() : List.of(forwardedFor), trustedProxies);
    }

    /** @param forwardedFor every {@code X-Forwarded-For} line of the request, in order */
    public static String fromHeaderLines(String peer, List<String> forwardedFor, int trustedProxies) {
        String fallback = peer == null ? "unknown" : Objects.requireNonNullElse(ipLiteral(peer), peer);
        if (trustedProxies <= 0 || forwardedFor.isEmpty()) {
            return fallback;
        }
        List<String> hops = new ArrayList<>();
        for (String line : forwardedFor) {
            for (String element : line.split(",", -1)) {
                String hop = element.strip();
                if (!hop.isEmpty()) {
                    hops.add(hop);
                }
            }
        }
        if (hops.isEmpty()) {
            return fallback;
        }
        // The nearest proxy is the peer; each trusted proxy before it appended one hop. With fewer hops than trusted
        // proxies the request skipped the outer ones, and the left-most hop is what the inner one saw.
        String hop = hops.get(Math.max(0, hops.size() - trustedProxies));
        String address = ipLiteral(hop);
        return address == null ? fallback : address;
    }

    /** The canonical text of an IP literal ({@code 1.2.3.4}, {@code 1.2.3.4:80}, {@code ::1}, {@code [::1]:80}). */
    static String ipLiteral(String hop) {
        String host = hop;
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            if (close < 0 || !(close == host.length() - 1 || isPort(host.substring(close + 1)))) {
                return null;
            }
            host = host.substring(1, close);
            return NetUtil.isValidIpV6Address(host) ? canonical(host) : null;
        }
        int colon = host.indexOf(':');
        if (colon >= 0 && colon == host.lastIndexOf(':')) {
            // One colon: IPv4 with a port (IPv6 has at least two).
            if (!isPort(host.substring(colon))) {
                return null;
            }
            host = host.substring(0, colon);
        }
        if (NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host)) {
            return canonical(host);
        }
        return null;
    }

    private static boolean isPort(String suffix) {
        return suffix.length() >= 2
                && suffix.length() <= 6
                && suffix.charAt(0) == ':'
                && suffix.substring(1).chars().allMatch(c -> c >= '0' && c <= '9');
    }

    private static String canonical(String literal) {
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(literal);
        if (bytes == null) {
            return null;
        }
        if (bytes.length == 16 && embedsIpv4(bytes)) {
            return NetUtil.bytesToIpAddress(bytes, 12, 4);
        }
        return NetUtil.bytesToIpAddress(bytes);
    }

    /**
     * IPv4-mapped {@code ::ffff:a.b.c.d} (RFC 4291 §2.5.5.2), or the deprecated IPv4-compatible {@code ::a.b.c.d}
     * (§2.5.5.1) where {@code a} is not 0: {@code ::} and {@code ::1} stay IPv6.
     */
    private static boolean embedsIpv4(byte[] bytes) {
        for (int i = 0; i < 10; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        boolean mapped = bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff;
        boolean compatible = bytes[10] == 0 && bytes[11] == 0 && bytes[12] != 0;
        return mapped || compatible;
    }
}
