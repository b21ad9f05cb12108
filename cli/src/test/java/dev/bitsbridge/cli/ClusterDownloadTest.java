package dev.bitsbridge.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.testing.RawHttp;
import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Downloads from three {@code bitsbridge serve} processes behind nginx (docs/scale-out.md,
 * {@link Cluster}). Credentialed serving holds no state, so any instance serves any range of a
 * job, and a job whose instance is killed with SIGKILL mid-range goes on byte-exact: nginx sends
 * new requests to the living instances, and the client, like BITS, asks again for the rest of
 * the cut range from the offset it holds.
 */
@DisabledOnOs(OS.WINDOWS) // SIGKILL, nginx
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterDownloadTest {

    private static final int MIB = 1024 * 1024;
    private static Cluster cluster;
    private static byte[] data;
    private static String lastModified;

    @BeforeAll
    static void start() throws Exception {
        cluster = new Cluster(3);
        // Not a multiple of the ranges; large enough that a range cannot sit whole in the socket
        // buffers between an instance and the client when the instance dies.
        data = new byte[96 * MIB + 4321];
        new Random(19).nextBytes(data);
        cluster.s3().put(Cluster.BUCKET, "job/big.bin", data);
    }

    @AfterAll
    static void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void roundRobinSpreadsRequestsEvenlyAndEveryInstanceServesByteExact() throws Exception {
        int before = cluster.nginx().log().size();
        for (int i = 0; i < 30; i++) {
            RawHttp.Response r = RawHttp.exchange(cluster.port(), RawHttp.get("/job/big.bin", "Range: bytes=1000-66535"));
            assertEquals(206, r.status(), r.toString());
            assertEquals("bytes 1000-66535/" + data.length, r.header("content-range"));
            assertArrayEquals(java.util.Arrays.copyOfRange(data, 1000, 66536), r.body());
        }
        List<Nginx.Logged> log = cluster.nginx().log(before + 30).subList(before, before + 30);
        int[] served = new int[cluster.size()];
        for (Nginx.Logged l : log) {
            assertEquals(206, l.status(), l.toString());
            served[cluster.instanceAt(l.upstream())]++;
        }
        // One worker, no failures: nginx's round robin is strict.
        assertArrayEquals(new int[] {10, 10, 10}, served, "requests per instance");
    }

    @Test
    @Order(2)
    void aBitsJobContinuesByteExactWhenItsInstanceIsKilled() throws Exception {
        MessageDigest received = MessageDigest.getInstance("SHA-256");
        Set<Integer> servedBy = new HashSet<>();
        int range = 32 * MIB;
        long offset = 0;
        int killed = -1;
        boolean cut = false;
        RawHttp c = RawHttp.connect(cluster.port(), 64 * 1024);
        c.send("HEAD /job/big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Microsoft BITS/7.8\r\n\r\n");
        RawHttp.Response head = c.readResponse(true);
        assertEquals(200, head.status());
        assertEquals(data.length, head.contentLength());
        lastModified = head.header("last-modified");
        assertNotNull(lastModified);
        servedBy.add(instanceOf(head));
        while (offset < data.length) {
            long end = Math.min(data.length, (offset / range + 1) * range) - 1; // the job's range boundaries
            c.send(rangeRequest(offset, end));
            RawHttp.Response r = c.readHead();
            assertNotNull(r, "an answer for bytes " + offset + "-" + end);
            assertEquals(206, r.status(), r.toString());
            assertEquals("bytes " + offset + "-" + end + "/" + data.length, r.header("content-range"));
            int instance = instanceOf(r);
            assertNotEquals(killed, instance, "the dead instance cannot answer");
            servedBy.add(instance);
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            long length = end - offset + 1;
            boolean complete;
            if (killed < 0 && offset >= range) {
                // The second range: read a little of it, then kill the instance sending it.
                assertTrue(c.readBody(body, MIB));
                killed = instance;
                cluster.kill(killed);
                complete = c.readBody(body, length - MIB);
                cut = !complete;
            } else {
                complete = c.readBody(body, length);
            }
            received.update(body.toByteArray());
            offset += body.size();
            if (!complete) {
                // BITS: the connection is gone; a new one, the rest of the range, same validator.
                c.close();
                c = RawHttp.connect(cluster.port(), 64 * 1024);
            }
        }
        c.close();
        assertTrue(cut, "the kill cut the range short (else this test proves nothing about resuming)");
        assertEquals(data.length, offset);
        assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(data), received.digest(), "byte-exact");
        assertEquals(3, servedBy.size(), "the job's requests went to all three instances: " + servedBy);
        // The last test of the class: the cluster stops with two instances.
    }

    private static String rangeRequest(long first, long last) {
        return "GET /job/big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Microsoft BITS/7.8\r\n"
                + "Range: bytes=" + first + "-" + last + "\r\nIf-Unmodified-Since: " + lastModified + "\r\n\r\n";
    }

    private static int instanceOf(RawHttp.Response r) {
        int i = cluster.instanceAt(r.header(Nginx.UPSTREAM_HEADER));
        assertTrue(i >= 0, "answered by " + r.header(Nginx.UPSTREAM_HEADER));
        return i;
    }
}
