package dev.bitsbridge.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.testing.BitsUploadClient;
import dev.bitsbridge.proxy.testing.BitsUploadClient.Answer;
import dev.bitsbridge.proxy.testing.RawHttp;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * A 256 MiB BITS upload through nginx to three {@code bitsbridge serve} processes sharing their
 * state in S3 (docs/scale-out.md, {@link Cluster}): the balancer sends each fragment to the next
 * instance, so one session's fragments rotate across all three; one instance is killed with
 * SIGKILL while a fragment streams into it, and the client, like BITS, sends that fragment again
 * through the balancer from the offset it holds. The object in S3 is byte-exact, and no
 * acknowledged byte was lost (the offset the survivors name is never below the last ack).
 */
@DisabledOnOs(OS.WINDOWS) // SIGKILL, nginx
class ClusterUploadTest {

    private static final int MIB = 1024 * 1024;
    private static final String PATH = "/drop/cluster-256.bin";
    private static Cluster cluster;
    private static String adminToken;

    @BeforeAll
    static void start() throws Exception {
        cluster = new Cluster(3, "--allow-upload");
        adminToken = Files.readString(cluster.stateDir(0).resolve("admin-token")).strip();
    }

    @AfterAll
    static void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void fragmentsRotateAcrossInstancesAndAKilledInstanceLosesNothingAcknowledged() throws Exception {
        int mib = Integer.getInteger("bitsbridge.clusterUploadMiB", 256);
        byte[] data = new byte[mib * MIB + 4321];
        new Random(29).nextBytes(data);
        int fragment = 8 * MIB + 99; // not aligned with the 8 MiB parts
        int before = cluster.nginx().log().size();
        String session;
        int acked = 0;
        int killed;
        int atKill;
        try (BitsUploadClient c = new BitsUploadClient(cluster.port())) {
            Answer created = c.createSession(PATH);
            assertEquals(200, created.status(), created.headers().toString());
            session = created.header("BITS-Session-Id");
            while (acked < data.length * 4L / 10) {
                Answer a = c.fragment(PATH, session, data, acked, Math.min(fragment, data.length - acked));
                assertEquals(200, a.status(), a.headers().toString());
                acked = Integer.parseInt(a.header("BITS-Received-Content-Range"));
            }
        }
        int[] fragments = fragmentsPerInstance(before);
        assertTrue(Arrays.stream(fragments).allMatch(n -> n >= 3), "fragments rotated across all three: "
                + Arrays.toString(fragments));

        // The next fragment streams through nginx into one instance: kill that one mid-fragment.
        double[] received = receivedBytes();
        int n = Math.min(fragment, data.length - acked);
        try (RawHttp raw = RawHttp.connect(cluster.port())) {
            OutputStream out = raw.socket().getOutputStream();
            out.write(fragmentHead(session, acked, n, data.length).getBytes(StandardCharsets.US_ASCII));
            out.write(data, acked, n / 2);
            out.flush();
            killed = receiving(received, 2 * MIB);
            atKill = cluster.nginx().log().size();
            cluster.kill(killed);
            try {
                out.write(data, acked + n / 2, n - n / 2);
                out.flush();
                raw.timeout(Duration.ofSeconds(30));
                RawHttp.Response answer = raw.readHead();
                // nginx could not finish the request on the dead instance: a 5xx or a closed connection.
                assertTrue(answer == null || answer.status() >= 500, "the cut fragment was not acknowledged: " + answer);
            } catch (IOException e) {
                // reset while writing: what BITS sees too
            }
        }

        // BITS: a new connection through the balancer, the fragment again from the offset it holds.
        int resumes = 0;
        try (BitsUploadClient c = new BitsUploadClient(cluster.port())) {
            int off = acked;
            while (off < data.length) {
                Answer a = c.fragment(PATH, session, data, off, Math.min(fragment, data.length - off));
                assertTrue(a.status() == 200 || a.status() == 416, a.status() + " " + a.headers());
                int next = Integer.parseInt(a.header("BITS-Received-Content-Range"));
                assertTrue(next >= acked, "the cluster holds " + next + " bytes, but " + acked + " were acknowledged");
                resumes += a.status() == 416 ? 1 : 0;
                off = next;
                acked = Math.max(acked, next);
            }
            Answer closed = c.close(PATH, session);
            assertEquals(200, closed.status(), closed.headers().toString());
        }
        assertTrue(resumes <= 1, "at most one offset correction after the kill: " + resumes);
        List<Nginx.Logged> after = cluster.nginx().log();
        for (Nginx.Logged l : after.subList(atKill, after.size())) {
            if (l.status() == 200) {
                assertNotEquals(killed, cluster.instanceAt(l.upstream()), "the dead instance answered: " + l);
            }
        }

        MessageDigest stored = MessageDigest.getInstance("SHA-256");
        long size = 0;
        try (ResponseInputStream<GetObjectResponse> in = cluster.s3().client()
                .getObject(r -> r.bucket(Cluster.BUCKET).key(PATH.substring(1)))) {
            byte[] buf = new byte[MIB];
            for (int r; (r = in.read(buf)) > 0; ) {
                stored.update(buf, 0, r);
                size += r;
            }
        }
        assertEquals(data.length, size);
        assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(data), stored.digest(), "byte-exact in S3");
        assertEquals(0, cluster.s3().client().listMultipartUploads(r -> r.bucket(Cluster.BUCKET)).uploads().size(),
                "no multipart upload left open");
        // The class's only test: the cluster stops with two instances.
    }

    private static String fragmentHead(String session, int first, int length, int total) {
        return "BITS_POST " + PATH + " HTTP/1.1\r\nHost: 127.0.0.1:" + cluster.port() + "\r\n"
                + "User-Agent: Microsoft BITS/7.8\r\nBITS-Packet-Type: Fragment\r\nBITS-Session-Id: " + session + "\r\n"
                + "Content-Name: upload.bin\r\nContent-Range: bytes " + first + "-" + (first + length - 1) + "/" + total
                + "\r\nContent-Length: " + length + "\r\n\r\n";
    }

    /** The BITS fragments (successful ones) each instance answered since log line {@code from}. */
    private static int[] fragmentsPerInstance(int from) throws IOException {
        int[] n = new int[cluster.size()];
        List<Nginx.Logged> log = cluster.nginx().log();
        for (Nginx.Logged l : log.subList(from, log.size())) {
            if (l.method().equals("BITS_POST") && l.status() == 200) {
                n[cluster.instanceAt(l.upstream())]++;
            }
        }
        return n;
    }

    /** Which instance's received-bytes counter grew by {@code bytes} since {@code base}. */
    private static int receiving(double[] base, long bytes) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            double[] now = receivedBytes();
            for (int i = 0; i < now.length; i++) {
                if (now[i] - base[i] >= bytes) {
                    return i;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no instance is receiving the fragment");
    }

    private static double[] receivedBytes() throws Exception {
        double[] v = new double[cluster.size()];
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        for (int i = 0; i < v.length; i++) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + cluster.port(i) + "/_bitsbridge/metrics"))
                    .header("Authorization", "Bearer " + adminToken).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            Matcher m = Pattern.compile("(?m)^bitsbridge_received_bytes_total (\\S+)$").matcher(r.body());
            assertTrue(m.find(), "bitsbridge_received_bytes_total in the metrics");
            v[i] = Double.parseDouble(m.group(1));
        }
        return v;
    }

}
