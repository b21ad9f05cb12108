package dev.bitsbridge.proxy.fault;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A misbehaving "S3" on a raw socket, for the faults WireMock cannot produce: a body cut short
 * after its head promised more, a server that accepts and never answers, a body that stalls. Binds
 * 127.0.0.1 on port 0; one thread per connection; each request head is handed to a
 * {@link Behaviour}, which writes whatever bytes it likes.
 *
 * <p>Thread-safe: counters are atomic; {@link #close()} closes every socket it opened.
 */
public final class RawUpstream implements AutoCloseable {

    /** What the server does with one request. */
    public interface Behaviour {
        /**
         * @param n the 1-based number of this request across all connections
         * @return true to read the next request on this connection, false to close it
         */
        boolean serve(Request request, int n, OutputStream out, Socket socket) throws IOException;
    }

    /** A request head: the request line and the headers (names lower-cased). */
    public record Request(String line, Map<String, String> headers) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private static final Pattern RANGE_FROM = Pattern.compile("bytes=(\\d+)-(\\d*)");

    private final ServerSocket server;
    private final Behaviour behaviour;
    private final AtomicInteger requests = new AtomicInteger();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final List<Request> seen = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    public RawUpstream(Behaviour behaviour) throws IOException {
        this.behaviour = behaviour;
        this.server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        Thread t = new Thread(this::acceptLoop, "raw-upstream-accept");
        t.setDaemon(true);
        t.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    public int requests() {
        return requests.get();
    }

    public List<Request> seen() {
        return seen;
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket s = server.accept();
                sockets.add(s);
                Thread t = new Thread(() -> serve(s), "raw-upstream-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            while (true) {
                Request r = readHead(in);
                if (r == null) {
                    return;
                }
                seen.add(r);
                if (!behaviour.serve(r, requests.incrementAndGet(), out, s)) {
                    return;
                }
            }
        } catch (IOException e) {
            // the proxy closed or reset the connection: expected in fault tests
        }
    }

    private static Request readHead(InputStream in) throws IOException {
        String line = readLine(in);
        if (line == null) {
            return null;
        }
        Map<String, String> headers = new TreeMap<>();
        String h;
        while ((h = readLine(in)) != null && !h.isEmpty()) {
            int colon = h.indexOf(':');
            headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
        }
        return new Request(line, headers);
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') {
                b.write(c);
            }
        }
        return c < 0 && b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
    }

    /**
     * Answers like S3 would for {@code data}: 200, or 206 for a {@code bytes=a-} / {@code bytes=a-b}
     * Range, with ETag and Last-Modified. HEAD gets headers only.
     */
    public static void object(Request r, OutputStream out, byte[] data, String etag) throws IOException {
        int first = 0;
        int last = data.length - 1;
        String status = "200 OK";
        String extra = "";
        String range = r.header("Range");
        Matcher m = range == null ? null : RANGE_FROM.matcher(range);
        if (m != null && m.matches()) {
            first = Integer.parseInt(m.group(1));
            if (!m.group(2).isEmpty()) {
                last = Math.min(last, Integer.parseInt(m.group(2)));
            }
            status = "206 Partial Content";
            extra = "Content-Range: bytes " + first + "-" + last + "/" + data.length + "\r\n";
        }
        int length = last - first + 1;
        out.write(head(status, length, etag, extra));
        if (!r.line().startsWith("HEAD ")) {
            out.write(data, first, length);
        }
        out.flush();
    }

    /** A 200 head promising {@code length} bytes, as S3 sends it. */
    public static byte[] head(String status, long length, String etag, String extra) {
        return ("HTTP/1.1 " + status + "\r\n"
                + "Content-Length: " + length + "\r\n"
                + "Content-Type: application/octet-stream\r\n"
                + "ETag: " + etag + "\r\n"
                + "Last-Modified: Tue, 01 Apr 2025 10:00:00 GMT\r\n"
                + "Accept-Ranges: bytes\r\n"
                + extra
                + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Blocks until the peer closes the connection (a server that never answers). */
    public static void silence(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        byte[] buf = new byte[1024];
        while (in.read(buf) >= 0) {
            // discard
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
