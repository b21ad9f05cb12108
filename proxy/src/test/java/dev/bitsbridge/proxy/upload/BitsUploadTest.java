package dev.bitsbridge.proxy.upload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.Await;
import dev.bitsbridge.proxy.testing.BitsUploadClient;
import dev.bitsbridge.proxy.testing.BitsUploadClient.Answer;
import dev.bitsbridge.proxy.testing.ProxyFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * The BITS Upload Protocol end to end: a client speaking raw BITS_POST as Windows does, the proxy,
 * and s3proxy (signatures checked, multipart uploads, conditional writes) as the bucket.
 */
class BitsUploadTest {

    static final long PART = 5L * 1024 * 1024;

    /** S3 only: each test starts the proxy it needs (restarts, other limits). */
    @RegisterExtension
    static final ProxyFixture fx = ProxyFixture.builder().bucket("uploads").withoutProxy().build();

    @TempDir
    Path state;

    BitsBridgeServer start(Path stateDir, ProxyConfig.Builder extra) throws Exception {
        return new BitsBridgeServer(extra.port(0).bucket("uploads").endpoint(fx.s3().endpoint()).stateDir(stateDir)
                .allowUpload(true).uploadPartSize(PART).build(), fx.s3().credentials()).start();
    }

    BitsBridgeServer start() throws Exception {
        return start(state, ProxyConfig.builder());
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] object(String key) {
        return fx.s3().client().getObject(r -> r.bucket("uploads").key(key), ResponseTransformer.toBytes()).asByteArray();
    }

    static boolean exists(String key) {
        try {
            fx.s3().client().headObject(r -> r.bucket("uploads").key(key));
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        }
    }

    static int openMultipartUploads() {
        return fx.s3().client().listMultipartUploads(r -> r.bucket("uploads")).uploads().size();
    }

    @Test
    void smallFileArrivesByteExactWithAReply() throws Exception {
        byte[] data = random(1024 * 1024 + 7, 1);
        try (BitsBridgeServer server = start(); BitsUploadClient c = new BitsUploadClient(server.port())) {
            assertEquals(200, c.ping("/reports/small.bin").status());
            Answer created = c.createSession("/reports/small.bin");
            assertEquals(200, created.status());
            assertEquals("Ack", created.header("BITS-Packet-Type"));
            assertEquals(BitsUploadClient.PROTOCOL, created.header("BITS-Protocol"));
            assertEquals("identity", created.header("Accept-Encoding"));
            String session = created.header("BITS-Session-Id");
            assertNotNull(session);
            Answer last = null;
            for (int off = 0; off < data.length; off += 256 * 1024) {
                int n = Math.min(256 * 1024, data.length - off);
                last = c.fragment("/reports/small.bin", session, data, off, n);
                assertEquals(200, last.status(), last.headers().toString());
                assertEquals(String.valueOf(off + n), last.header("BITS-Received-Content-Range"));
                assertEquals("0", last.header("Content-Length"));
            }
            assertArrayEquals(data, object("reports/small.bin"));
            String replyUrl = last.header("BITS-Reply-URL");
            assertNotNull(replyUrl, "the last fragment's ack points to the reply");
            HttpResponse<String> reply = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(replyUrl)).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode json = new ObjectMapper().readTree(reply.body());
            assertEquals("reports/small.bin", json.path("key").asText());
            assertEquals(data.length, json.path("size").asLong());
            assertTrue(json.path("etag").asText().length() > 10);
            assertEquals(200, c.close("/reports/small.bin", session).status());
            assertEquals(200, c.close("/reports/small.bin", session).status(), "Close-Session is idempotent");
        }
    }

    @Test
    void multiPartFileArrivesByteExactFromUnalignedFragments() throws Exception {
        byte[] data = random(12 * 1024 * 1024 + 333, 2);
        try (BitsBridgeServer server = start(); BitsUploadClient c = new BitsUploadClient(server.port())) {
            Answer last = c.upload("/big/twelve.bin", data, 3 * 1024 * 1024 + 17);
            assertEquals(200, last.status(), last.headers().toString());
        }
        assertArrayEquals(data, object("big/twelve.bin"));
        String etag = fx.s3().client().headObject(r -> r.bucket("uploads").key("big/twelve.bin")).eTag();
        assertTrue(etag.endsWith("-3\""), "three parts of 5 MiB, 5 MiB and the rest: " + etag);
        assertEquals(0, openMultipartUploads());
    }

    @Test
    void gapIs416WithTheNextOffsetAndOverlapIsIgnored() throws Exception {
        byte[] data = random(600 * 1024, 3);
        try (BitsBridgeServer server = start(); BitsUploadClient c = new BitsUploadClient(server.port())) {
            String path = "/gaps.bin";
            String session = c.createSession(path).header("BITS-Session-Id");
            assertEquals(200, c.fragment(path, session, data, 0, 100_000).status());
            Answer gap = c.fragment(path, session, data, 200_000, 100_000);
            assertEquals(416, gap.status());
            assertEquals("100000", gap.header("BITS-Received-Content-Range"));
            assertEquals("Ack", gap.header("BITS-Packet-Type"));
            // Overlapping: 50 000 bytes already held, 100 000 new.
            Answer overlap = c.fragment(path, session, data, 50_000, 150_000);
            assertEquals(200, overlap.status());
            assertEquals("200000", overlap.header("BITS-Received-Content-Range"));
            // Entirely old bytes: acknowledged with the current offset, nothing written.
            assertEquals("200000", c.fragment(path, session, data, 0, 10_000).header("BITS-Received-Content-Range"));
            assertEquals(200, c.fragment(path, session, data, 200_000, data.length - 200_000).status());
        }
        assertArrayEquals(data, object("gaps.bin"));
    }

    @Test
    void cancelLeavesNothingBehind() throws Exception {
        byte[] data = random(11 * 1024 * 1024, 4);
        try (BitsBridgeServer server = start(); BitsUploadClient c = new BitsUploadClient(server.port())) {
            String path = "/cancelled.bin";
            String session = c.createSession(path).header("BITS-Session-Id");
            assertEquals(200, c.fragment(path, session, data, 0, 6 * 1024 * 1024).status());
            // Acknowledged once on disk; the part goes up in the background.
            Await.until(Duration.ofSeconds(30), () -> openMultipartUploads() == 1, () -> "a part is being uploaded");
            assertEquals(200, c.cancel(path, session).status());
            assertEquals(0, openMultipartUploads(), "the multipart upload was aborted");
            assertTrue(!exists("cancelled.bin"));
            Answer after = c.fragment(path, session, data, 6 * 1024 * 1024, 1024);
            assertEquals(500, after.status(), "the session is gone");
            assertEquals("0x8020001F", after.header("BITS-Error-Code"));
        }
    }

    @Test
    void existingKeyIsRefusedAndNeverOverwritten() throws Exception {
        byte[] original = random(1000, 5);
        fx.s3().put("uploads", "taken.bin", original);
        try (BitsBridgeServer server = start(); BitsUploadClient c = new BitsUploadClient(server.port())) {
            Answer refused = c.createSession("/taken.bin");
            assertEquals(409, refused.status());
            assertEquals("0x80070050", refused.header("BITS-Error-Code"));
            assertEquals("0x7", refused.header("BITS-Error-Context"));
        }
        assertArrayEquals(original, object("taken.bin"));
    }

    @Test
    void ofTwoRacingSessionsExactlyOneWinsWhole() throws Exception {
        byte[] a = random(7 * 1024 * 1024, 6);
        byte[] b = random(7 * 1024 * 1024, 7);
        try (BitsBridgeServer server = start();
                BitsUploadClient ca = new BitsUploadClient(server.port());
                BitsUploadClient cb = new BitsUploadClient(server.port())) {
            String path = "/race.bin";
            String sa = ca.createSession(path).header("BITS-Session-Id");
            String sb = cb.createSession(path).header("BITS-Session-Id");
            int most = 7 * 1024 * 1024 - 1000;
            assertEquals(200, ca.fragment(path, sa, a, 0, most).status());
            assertEquals(200, cb.fragment(path, sb, b, 0, most).status());
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Callable<Answer> lastA = () -> ca.fragment(path, sa, a, most, a.length - most);
                Callable<Answer> lastB = () -> cb.fragment(path, sb, b, most, b.length - most);
                List<Future<Answer>> done = new ArrayList<>(List.of(pool.submit(lastA), pool.submit(lastB)));
                int ra = done.get(0).get().status();
                int rb = done.get(1).get().status();
                assertEquals(1, (ra == 200 ? 1 : 0) + (rb == 200 ? 1 : 0), "exactly one wins: " + ra + ", " + rb);
                assertEquals(409, ra == 200 ? rb : ra, "the other is told the file exists");
                assertArrayEquals(ra == 200 ? a : b, object("race.bin"), "the winner's bytes, whole");
            } finally {
                pool.shutdownNow();
            }
        }
        assertEquals(0, openMultipartUploads(), "the loser's upload was aborted");
    }

    @Test
    void uploadsDisabledAnswer501WithAccessDenied(@TempDir Path other) throws Exception {
        try (BitsBridgeServer server = new BitsBridgeServer(ProxyConfig.builder().port(0).bucket("uploads")
                .endpoint(fx.s3().endpoint()).stateDir(other).build(), fx.s3().credentials()).start();
                BitsUploadClient c = new BitsUploadClient(server.port())) {
            Answer a = c.createSession("/x.bin");
            assertEquals(501, a.status());
            assertEquals("0x80070005", a.header("BITS-Error-Code"));
            assertEquals("0x5", a.header("BITS-Error-Context"));
            assertEquals("Ack", a.header("BITS-Packet-Type"));
            assertEquals("0", a.header("Content-Length"));
        }
    }

    @Test
    void packetTypesAreCaseInsensitiveAndLimitsApply() throws Exception {
        try (BitsBridgeServer server = start(state, ProxyConfig.builder().maxUploadSize(1000));
                BitsUploadClient c = new BitsUploadClient(server.port())) {
            Answer created = c.send("/limited.bin", "create-SESSION", null, BitsUploadClient.PROTOCOL, null, 0, 0);
            assertEquals(200, created.status());
            byte[] data = random(2000, 8);
            Answer tooLarge = c.fragment("/limited.bin", created.header("BITS-Session-Id"), data, 0, 500);
            assertEquals(413, tooLarge.status());
            assertEquals("0x80200020", tooLarge.header("BITS-Error-Code"));
            assertEquals(400, c.send("/limited.bin", "Launch-Missiles", null, null, null, 0, 0).status());
        }
    }

    @Test
    void aSessionSurvivesAnAbruptStopAndTheUploadResumesByteExact() throws Exception {
        byte[] data = random(13 * 1024 * 1024 + 5, 9);
        String path = "/resumed.bin";
        String session;
        BitsBridgeServer first = start();
        try (BitsUploadClient c = new BitsUploadClient(first.port())) {
            session = c.createSession(path).header("BITS-Session-Id");
            // 8 MiB in: one part in S3, 3 MiB spooled on disk.
            for (int off = 0; off < 8 * 1024 * 1024; off += 1024 * 1024) {
                assertEquals(200, c.fragment(path, session, data, off, 1024 * 1024).status());
            }
        }
        first.stop(Duration.ZERO); // no clean-up of sessions: what a crash leaves behind
        try (BitsBridgeServer second = start(); BitsUploadClient c = new BitsUploadClient(second.port())) {
            // The client, after the disconnect, resends from where it thinks it was (a bit behind).
            Answer resumed = c.fragment(path, session, data, 7 * 1024 * 1024, 2 * 1024 * 1024);
            assertEquals(200, resumed.status(), resumed.headers().toString());
            int off = Integer.parseInt(resumed.header("BITS-Received-Content-Range"));
            assertEquals(9 * 1024 * 1024, off);
            while (off < data.length) {
                int n = Math.min(2 * 1024 * 1024, data.length - off);
                Answer a = c.fragment(path, session, data, off, n);
                assertEquals(200, a.status());
                off = Integer.parseInt(a.header("BITS-Received-Content-Range"));
            }
        }
        assertArrayEquals(data, object("resumed.bin"));
        assertEquals(0, openMultipartUploads());
    }
}
