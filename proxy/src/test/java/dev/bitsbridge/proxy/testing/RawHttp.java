package dev.bitsbridge.proxy.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * An HTTP/1.1 client over a plain socket, for tests that must control every byte sent and see
 * every byte (and the close) that comes back: no header is added, nothing is retried, a short body
 * is reported as short instead of being turned into an exception.
 *
 * <p>Not thread-safe: one instance per connection.
 */
public final class RawHttp implements AutoCloseable {

    /** A response as read from the wire. {@code complete} is false when the body ended early. */
    public record Response(int status, String statusLine, Map<String, String> headers, byte[] body,
            boolean complete) {

        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public long contentLength() {
            String v = header("Content-Length");
            return v == null ? -1 : Long.parseLong(v.trim());
        }

        @Override
        public String toString() {
            String ct = header("Content-Type");
            String shown = ct != null && ct.startsWith("text/") && body.length < 600 ? " " + text().trim() : "";
            return statusLine + " " + headers + " (" + body.length + " body bytes" + (complete ? ")" : ", SHORT)")
                    + shown;
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RawHttp(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        this.out = socket.getOutputStream();
    }

    public static RawHttp connect(int port) throws IOException {
        return connect(port, 0);
    }

    /** @param receiveBuffer the socket's receive buffer, 0 for the system default */
    public static RawHttp connect(int port, int receiveBuffer) throws IOException {
        Socket s = new Socket();
        if (receiveBuffer > 0) {
            s.setReceiveBufferSize(receiveBuffer); // before connect, so the window is small from the start
        }
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(15_000);
        return new RawHttp(s);
    }

    /** One request on a fresh connection; the connection is closed afterwards. */
    public static Response exchange(int port, String request) throws IOException {
        try (RawHttp c = connect(port)) {
            c.send(request);
            return c.readResponse(request.startsWith("HEAD "));
        }
    }

    /** A GET of {@code path} with the given extra header lines (each without CRLF). */
    public static String get(String path, String... headers) {
        StringBuilder sb = new StringBuilder("GET ").append(path).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (String h : headers) {
            sb.append(h).append("\r\n");
        }
        return sb.append("\r\n").toString();
    }

    public Socket socket() {
        return socket;
    }

    public InputStream input() {
        return in;
    }

    public void send(String request) throws IOException {
        send(request.getBytes(StandardCharsets.ISO_8859_1));
    }

    public void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    public void timeout(Duration d) throws SocketException {
        socket.setSoTimeout((int) d.toMillis());
    }

    /** Reads a status line and headers; null if the connection closed before any byte arrived. */
    public Response readHead() throws IOException {
        String status = readLine();
        if (status == null) {
            return null;
        }
        Map<String, String> headers = new LinkedHashMap<>();
        String line;
        while ((line = readLine()) != null && !line.isEmpty()) {
            int colon = line.indexOf(':');
            String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            headers.merge(name, value, (a, b) -> a + ", " + b);
        }
        String[] parts = status.split(" ", 3);
        return new Response(Integer.parseInt(parts[1]), status, headers, new byte[0], true);
    }

    /**
     * Reads one response: head, then Content-Length body bytes (none for HEAD, 204, 304). Reading
     * stops early at EOF or a reset, and the result then says {@code complete == false}.
     */
    public Response readResponse(boolean headRequest) throws IOException {
        Response head = readHead();
        if (head == null) {
            throw new IOException("connection closed before a response");
        }
        long length = head.contentLength();
        if (headRequest || head.status() == 204 || head.status() == 304) {
            length = 0;
        }
        if (length < 0) {
            throw new IOException("response without Content-Length: " + head);
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream((int) Math.min(length, 1 << 20));
        boolean complete = readBody(body, length);
        return new Response(head.status(), head.statusLine(), head.headers(), body.toByteArray(), complete);
    }

    /** Reads up to {@code length} bytes into {@code sink}; false if the connection ended first. */
    public boolean readBody(OutputStream sink, long length) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long remaining = length;
        while (remaining > 0) {
            int n;
            try {
                n = in.read(buf, 0, (int) Math.min(buf.length, remaining));
            } catch (SocketException e) {
                return false; // reset by the proxy: the body is short, which is what is being checked
            }
            if (n < 0) {
                return false;
            }
            sink.write(buf, 0, n);
            remaining -= n;
        }
        return true;
    }

    /**
     * Waits until the peer closes (EOF or reset), discarding what still arrives.
     *
     * @return the bytes that arrived before the close
     * @throws SocketTimeoutException if the connection is still open after {@code within}
     */
    public long awaitClose(Duration within) throws IOException {
        long deadline = System.nanoTime() + within.toNanos();
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        while (true) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                throw new SocketTimeoutException("connection still open after " + within);
            }
            socket.setSoTimeout((int) left);
            int n;
            try {
                n = in.read(buf);
            } catch (SocketTimeoutException e) {
                throw e;
            } catch (SocketException e) {
                return total;
            }
            if (n < 0) {
                return total;
            }
            total += n;
        }
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                byte[] b = line.toByteArray();
                int len = b.length > 0 && b[b.length - 1] == '\r' ? b.length - 1 : b.length;
                return new String(b, 0, len, StandardCharsets.ISO_8859_1);
            }
            line.write(c);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
