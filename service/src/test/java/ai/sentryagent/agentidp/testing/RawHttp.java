package ai.sentryagent.agentidp.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HTTP/1.1 on a plain socket, byte for byte as written: for the requests {@code java.net.http.HttpClient} would
 * normalise or refuse to send (odd paths and methods, duplicate framing headers, pipelined requests).
 */
public final class RawHttp {
    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.[01] (\\d{3}) ");

    private RawHttp() {}

    /**
     * Whether the server on {@code serverPort} has taken everything sent on the connection from local port
     * {@code clientPort} off its socket: the kernel's receive queue of the server's end is empty ({@code rx_queue}
     * in Linux's {@code /proc/net/tcp}, proc(5)). Netty decodes what it reads in the same event-loop task, so this is
     * "the server has seen those bytes", observed from outside the process.
     */
    public static boolean consumedByServer(int serverPort, int clientPort) throws IOException {
        String local = String.format(":%04X ", serverPort);
        String remote = String.format(":%04X ", clientPort);
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            java.nio.file.Path path = java.nio.file.Path.of(table);
            if (!java.nio.file.Files.exists(path)) {
                continue;
            }
            for (String line : java.nio.file.Files.readAllLines(path)) {
                String[] fields = line.trim().split("\\s+");
                // sl local_address rem_address st tx_queue:rx_queue ...; state 01 is ESTABLISHED
                if (fields.length > 4
                        && (fields[1] + " ").endsWith(local)
                        && (fields[2] + " ").endsWith(remote)
                        && fields[3].equals("01")) {
                    return Long.parseLong(fields[4].substring(fields[4].indexOf(':') + 1), 16) == 0;
                }
            }
        }
        throw new IllegalStateException("no established connection " + clientPort + " -> " + serverPort
                + " in /proc/net/tcp{,6}: this check needs Linux");
    }

    /**
     * What came back on one connection.
     *
     * @param text everything the server sent, as ISO-8859-1
     * @param closed whether the server closed the connection (a read returned -1) before {@code quiet} passed with
     *     nothing more to read
     */
    public record Exchange(String text, boolean closed) {
        /** The status codes of every response on the connection, in order. */
        public List<Integer> statuses() {
            List<Integer> statuses = new ArrayList<>();
            Matcher status = STATUS_LINE.matcher(text);
            while (status.find()) {
                statuses.add(Integer.parseInt(status.group(1)));
            }
            return statuses;
        }

        public int status() {
            List<Integer> statuses = statuses();
            if (statuses.isEmpty()) {
                throw new AssertionError("no HTTP response: " + text);
            }
            return statuses.get(0);
        }

        /** The body of the first response (the text after its head). */
        public String body() {
            int end = text.indexOf("\r\n\r\n");
            return end < 0 ? "" : text.substring(end + 4);
        }
    }

    /** Writes {@code request} (CRLF line ends as given) and reads until the server closes or goes quiet. */
    public static Exchange send(int port, String request, Duration quiet) throws IOException {
        return send(port, request.getBytes(StandardCharsets.ISO_8859_1), quiet);
    }

    public static Exchange send(int port, byte[] request, Duration quiet) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout((int) quiet.toMillis());
            socket.getOutputStream().write(request);
            socket.getOutputStream().flush();
            return read(socket);
        }
    }

    /** Reads what the server sends until it closes the connection or stays quiet for the socket's timeout. */
    public static Exchange read(Socket socket) throws IOException {
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[8192];
        boolean closed;
        try {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                received.write(buffer, 0, n);
            }
            closed = true;
        } catch (SocketTimeoutException quiet) {
            closed = false;
        } catch (java.net.SocketException reset) {
            closed = true; // a reset after the response is also a closed connection
        }
        return new Exchange(received.toString(StandardCharsets.ISO_8859_1), closed);
    }

    /** One GET-style request with {@code Connection: close}, so the answer ends with the connection. */
    public static Exchange request(int port, String method, String target, String... headers) throws IOException {
        StringBuilder request = new StringBuilder(method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (String header : headers) {
            request.append(header).append("\r\n");
        }
        request.append("Connection: close\r\n");
        if (method.equals("POST") || method.equals("PATCH")) {
            request.append("Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
        } else {
            request.append("\r\n");
        }
        return send(port, request.toString(), Duration.ofSeconds(10));
    }
}
