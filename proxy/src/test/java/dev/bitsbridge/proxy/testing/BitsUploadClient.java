package dev.bitsbridge.proxy.testing;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Speaks the BITS Upload Protocol the way Windows does: {@code BITS_POST} packets on one
 * keep-alive HTTP/1.1 connection, one outstanding at a time (Ping, Create-Session, Fragments in
 * order from 0 with {@code Content-Range}, Close-Session, Cancel-Session).
 */
public final class BitsUploadClient implements AutoCloseable {

    public static final String PROTOCOL = "{7df0354d-249b-430f-820d-3d2a9bef4931}";

    private final int port;
    private Socket socket;
    private InputStream in;
    private OutputStream out;

    /** An answer: status and headers (names lower-cased). The protocol's bodies are empty. */
    public record Answer(int status, Map<String, String> headers) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    public BitsUploadClient(int port) throws IOException {
        this.port = port;
        connect();
    }

    private void connect() throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(60_000);
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    public Answer ping(String path) throws IOException {
        return send(path, "Ping", null, null, null, 0, 0);
    }

    public Answer createSession(String path) throws IOException {
        return send(path, "Create-Session", null, PROTOCOL, null, 0, 0);
    }

    public Answer fragment(String path, String session, byte[] data, int first, int length) throws IOException {
        String range = "bytes " + first + "-" + (first + length - 1) + "/" + data.length;
        return send(path, "Fragment", session, null, range, first, length, data);
    }

    public Answer close(String path, String session) throws IOException {
        return send(path, "Close-Session", session, null, null, 0, 0);
    }

    public Answer cancel(String path, String session) throws IOException {
        return send(path, "Cancel-Session", session, null, null, 0, 0);
    }

    /** A whole upload: Create-Session, fragments of {@code fragmentSize}, Close-Session. */
    public Answer upload(String path, byte[] data, int fragmentSize) throws IOException {
        Answer created = createSession(path);
        if (created.status() / 100 != 2) {
            return created;
        }
        String session = created.header("BITS-Session-Id");
        Answer last = null;
        for (int off = 0; off < data.length; ) {
            int n = Math.min(fragmentSize, data.length - off);
            last = fragment(path, session, data, off, n);
            if (last.status() != 200) {
                return last;
            }
            off = Integer.parseInt(last.header("BITS-Received-Content-Range"));
        }
        Answer closed = close(path, session);
        return closed.status() == 200 ? last : closed;
    }

    public Answer send(String path, String type, String session, String protocols, String range, int first, int length)
            throws IOException {
        return send(path, type, session, protocols, range, first, length, null);
    }

    private Answer send(String path, String type, String session, String protocols, String range, int first,
            int length, byte[] data) throws IOException {
        if (socket.isClosed()) {
            connect();
        }
        StringBuilder h = new StringBuilder();
        h.append("BITS_POST ").append(path).append(" HTTP/1.1\r\n");
        h.append("Host: 127.0.0.1:").append(port).append("\r\n");
        h.append("User-Agent: Microsoft BITS/7.8\r\n");
        h.append("BITS-Packet-Type: ").append(type).append("\r\n");
        if (session != null) {
            h.append("BITS-Session-Id: ").append(session).append("\r\n");
        }
        if (protocols != null) {
            h.append("BITS-Supported-Protocols: ").append(protocols).append("\r\n");
        }
        if (range != null) {
            h.append("Content-Name: upload.bin\r\n");
            h.append("Content-Range: ").append(range).append("\r\n");
        }
        h.append("Content-Length: ").append(length).append("\r\n\r\n");
        out.write(h.toString().getBytes(StandardCharsets.US_ASCII));
        if (data != null && length > 0) {
            out.write(data, first, length);
        }
        out.flush();
        return readAnswer();
    }

    private Answer readAnswer() throws IOException {
        String status = readLine();
        if (status == null) {
            throw new IOException("connection closed without an answer");
        }
        int code = Integer.parseInt(status.split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String line; (line = readLine()) != null && !line.isEmpty(); ) {
            int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        long length = Long.parseLong(headers.getOrDefault("content-length", "0"));
        in.readNBytes((int) length);
        if ("close".equalsIgnoreCase(headers.get("connection"))) {
            socket.close();
        }
        return new Answer(code, headers);
    }

    private String readLine() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int b; (b = in.read()) >= 0; ) {
            if (b == '\n') {
                int n = sb.length();
                return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
            }
            sb.append((char) b);
        }
        return sb.length() == 0 ? null : sb.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
