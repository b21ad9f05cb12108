package dev.bitsbridge.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.testing.S3Server;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bitsbridge serve} as an operator runs it: a separate process configured by options and
 * environment variables, stopped with SIGTERM while a download is in flight. The download finishes
 * byte-exact and the process exits 0.
 */
@DisabledOnOs(OS.WINDOWS) // SIGTERM
class ServeProcessTest {

    @Test
    void sigtermDrainsTheTransferInFlightThenExitsZero(@TempDir Path state) throws Exception {
        try (S3Server s3 = new S3Server()) {
            s3.createBucket("bucket");
            byte[] data = new byte[16 * 1024 * 1024];
            new Random(3).nextBytes(data);
            s3.put("bucket", "big.bin", data);

            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), BitsBridgeCli.class.getName(),
                    "serve", "--port", "0", "--endpoint", s3.endpoint().toString(), "--path-style",
                    "--state-dir", state.toString()));
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().put("BITSBRIDGE_BUCKET", "bucket");
            pb.environment().put("AWS_ACCESS_KEY_ID", S3Server.ACCESS_KEY);
            pb.environment().put("AWS_SECRET_ACCESS_KEY", s3.secretKey());
            pb.environment().put("AWS_REGION", "us-east-1");
            pb.redirectErrorStream(true);
            Process p = pb.start();
            try {
                BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                int port = -1;
                Pattern serving = Pattern.compile("serving on http://127\\.0\\.0\\.1:(\\d+)/");
                for (String line; (line = lines.readLine()) != null; ) {
                    Matcher m = serving.matcher(line);
                    if (m.find()) {
                        port = Integer.parseInt(m.group(1));
                        break;
                    }
                }
                assertTrue(port > 0, "the process printed its URL");
                Thread drain = new Thread(() -> lines.lines().forEach(l -> { }));
                drain.setDaemon(true);
                drain.start();

                try (Socket s = new Socket("127.0.0.1", port)) {
                    s.setReceiveBufferSize(64 * 1024);
                    OutputStream o = s.getOutputStream();
                    o.write(("GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    o.flush();
                    InputStream in = s.getInputStream();
                    String head = readHead(in);
                    assertTrue(head.startsWith("HTTP/1.1 200"), head);
                    byte[] first = in.readNBytes(1024 * 1024);

                    p.destroy(); // SIGTERM, while about 15 MiB are still to come
                    byte[] rest = in.readAllBytes(); // a slow reader would still get everything
                    byte[] all = new byte[first.length + rest.length];
                    System.arraycopy(first, 0, all, 0, first.length);
                    System.arraycopy(rest, 0, all, first.length, rest.length);
                    assertArrayEquals(data, all, "the transfer in flight completed byte-exact");
                }
                assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the process stopped");
                assertEquals(0, p.exitValue(), "exit status after a graceful drain");
            } finally {
                p.destroyForcibly();
            }
        }
    }

    private static String readHead(InputStream in) throws Exception {
        StringBuilder sb = new StringBuilder();
        while (!sb.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            sb.append((char) b);
        }
        return sb.toString();
    }
}
