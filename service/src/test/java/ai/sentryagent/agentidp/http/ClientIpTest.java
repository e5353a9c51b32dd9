package ai.sentryagent.agentidp.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sentryagent.agentidp.testing.IntegrationTest;
import ai.sentryagent.agentidp.testing.RawHttp;
import ai.sentryagent.agentidp.testing.RunningIdp;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * F-10: {@code X-Forwarded-For} as an attacker writes it. {@code ,} answered 500 on every route, only the first line
 * was read and nothing was validated. Behind one proxy (an ALB appends the address it saw as the last element).
 */
@IntegrationTest
class ClientIpTest {
    private static final String PEER = "10.0.0.5";

    private static String behindOne(String... lines) {
        return ClientIp.fromHeaderLines(PEER, List.of(lines), 1);
    }

    @Test
    void emptyElementsAndEmptyListsFallBackToThePeer() {
        for (String garbage : List.of(",", ", ,", " ", "", ",,,,", " , , ")) {
            assertThat(behindOne(garbage)).as("'" + garbage + "'").isEqualTo(PEER);
        }
        assertThat(behindOne("1.1.1.1, ,")).isEqualTo("1.1.1.1");
        assertThat(behindOne(" 1.1.1.1 ,, 2.2.2.2 ")).isEqualTo("2.2.2.2");
    }

    @Test
    void onlyIpLiteralsAreTakenNeverHostNames() {
        for (String hop : List.of(
                "unknown",
                "localhost",
                "evil.example.com",
                "1.2.3",
                "1.2.3.4.5",
                "256.1.1.1",
                "1.2.3.4:http",
                "1.2.3.4:99999999",
                "[::1",
                "[::1]x",
                "[1.2.3.4]",
                "::1::2",
                "1.2.3.4\u0000",
                "_hidden",
                "2130706433")) {
            assertThat(behindOne("9.9.9.9, " + hop)).as(hop).isEqualTo(PEER);
        }
    }

    @Test
    void portsAndBracketsAreDroppedAndIpv6IsCanonical() {
        assertThat(behindOne("1.2.3.4:80")).isEqualTo("1.2.3.4");
        assertThat(behindOne("[2001:db8::1]")).isEqualTo("2001:db8::1");
        assertThat(behindOne("[2001:db8::1]:443")).isEqualTo("2001:db8::1");
        assertThat(behindOne("2001:DB8:0:0:0:0:0:1")).isEqualTo("2001:db8::1");
        assertThat(behindOne("::1")).isEqualTo(behindOne("0:0:0:0:0:0:0:1"));
    }

    @Test
    void ipv4WrittenAsIpv6IsTheSameKeyAsIpv4() {
        // F-10 (re-attack): ::ffff:198.51.100.7 was its own rate-limit key (and audited as ::ffff:c633:6407), so
        // the same host got a fresh set of failure allowances. RFC 4291 §2.5.5.
        for (String spelling : List.of(
                "::ffff:198.51.100.7",
                "::FFFF:198.51.100.7",
                "::ffff:c633:6407",
                "0:0:0:0:0:ffff:c633:6407",
                "0000:0000:0000:0000:0000:FFFF:C633:6407",
                "[::ffff:198.51.100.7]:443",
                "::198.51.100.7",
                "::c633:6407")) {
            assertThat(behindOne(spelling)).as(spelling).isEqualTo("198.51.100.7");
        }
        // The peer address too, with or without a proxy in front.
        assertThat(ClientIp.fromHeaderLines("0:0:0:0:0:ffff:c633:6407", List.of(), 0))
                .isEqualTo("198.51.100.7");
        assertThat(ClientIp.fromHeaderLines("::ffff:198.51.100.7", List.of("unknown"), 1))
                .isEqualTo("198.51.100.7");
        // Loopback, the unspecified address and other IPv6 stay IPv6; a near miss of the mapped prefix is not mapped.
        assertThat(behindOne("::1")).isEqualTo("::1");
        assertThat(behindOne("::")).isEqualTo("::");
        assertThat(behindOne("::fffe:c633:6407")).isEqualTo("::fffe:c633:6407");
        assertThat(behindOne("1::ffff:c633:6407")).isEqualTo("1::ffff:c633:6407");
        assertThat(behindOne("64:ff9b::c633:6407")).isEqualTo("64:ff9b::c633:6407");
    }

    @Test
    void everyHeaderLineCountsAndTheRightMostUntrustedHopWins() {
        // A forged first line cannot hide the hop the proxy appended on its own line.
        assertThat(behindOne("6.6.6.6", "1.2.3.4")).isEqualTo("1.2.3.4");
        assertThat(ClientIp.fromHeaderLines(PEER, List.of("6.6.6.6, 1.1.1.1", "2.2.2.2"), 2))
                .isEqualTo("1.1.1.1");
        assertThat(ClientIp.fromHeaderLines(PEER, List.of("1.1.1.1"), 3)).isEqualTo("1.1.1.1");
        assertThat(ClientIp.fromHeaderLines(PEER, List.of("1.1.1.1"), 0)).isEqualTo(PEER);
        assertThat(ClientIp.fromHeaderLines(null, List.of(), 1)).isEqualTo("unknown");
    }

    @Test
    void aHugeListIsBoundedWork() {
        String list = ",".repeat(7_000) + "1.2.3.4";
        long start = System.nanoTime();
        assertThat(behindOne(list)).isEqualTo("1.2.3.4");
        assertThat(behindOne("9.9.9.9,".repeat(1_500))).isEqualTo("9.9.9.9");
        assertThat(System.nanoTime() - start).isLessThan(1_000_000_000L);
    }

    @Test
    void noForwardedForSpellingIsA500OnAnyRoute() throws Exception {
        try (RunningIdp idp = RunningIdp.start(Map.of("TRUSTED_PROXY_COUNT", "1"))) {
            List<String> headers = List.of(
                    "X-Forwarded-For: ,",
                    "X-Forwarded-For: , ,",
                    "X-Forwarded-For:",
                    "X-Forwarded-For: unknown",
                    "X-Forwarded-For: evil.example.com",
                    "X-Forwarded-For: [::1]:80",
                    "X-Forwarded-For: 1.2.3.4:80",
                    "X-Forwarded-For: ,\r\nX-Forwarded-For: ,",
                    "X-Forwarded-For: " + ",".repeat(10_000));
            for (String header : headers) {
                for (String[] request : List.of(
                        new String[] {"GET", "/health"},
                        new String[] {"GET", "/api/v1/agents"},
                        new String[] {"POST", "/api/v1/token"},
                        new String[] {"GET", "/nowhere"})) {
                    int status = RawHttp.request(idp.port(), request[0], request[1], header)
                            .status();
                    assertThat(status).as(header + " " + request[1]).isBetween(200, 499);
                }
            }
        }
    }
}
