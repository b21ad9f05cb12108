package dev.bitsbridge.proxy.upload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.config.SharedStateConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.BitsUploadClient;
import dev.bitsbridge.proxy.testing.BitsUploadClient.Answer;
import dev.bitsbridge.proxy.testing.ProxyFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * Uploads across instances (scale-out, shared mode): three proxies share one state bucket and one
 * upload bucket on s3proxy, and the packets of one BITS session go to whichever instance; the
 * object must come out byte-exact, every byte counted once, whatever instance stops.
 */
class SharedUploadTest {

    static final long PART = 5L * 1024 * 1024;
    static final String STATE = "cluster-state";

    @RegisterExtension
    static final ProxyFixture fx = ProxyFixture.builder().bucket("uploads").withoutProxy().build();

    private final List<BitsBridgeServer> servers = new ArrayList<>();
    private final List<BitsUploadClient> clients = new ArrayList<>();

    @BeforeAll
    static void stateBucket() {
        fx.s3().createBucket(STATE);
    }

    @AfterEach
    void stop() throws Exception {
        for (BitsUploadClient c : clients) {
            c.close();
        }
        for (BitsBridgeServer s : servers) {
            s.close();
        }
    }

    /** Three instances, each with its own state folder, all with the same shared state. */
    void cluster(int n) throws Exception {
        for (int i = 0; i < n; i++) {
            BitsBridgeServer s = new BitsBridgeServer(ProxyConfig.builder().port(0).bucket("uploads")
                    .endpoint(fx.s3().endpoint()).stateDir(fx.newDir()).allowUpload(true).uploadPartSize(PART)
                    .sharedState(new SharedStateConfig(STATE, null, Duration.ofSeconds(10))).build(),
                    fx.s3().credentials()).start();
            servers.add(s);
            clients.add(new BitsUploadClient(s.port()));
        }
    }

    BitsUploadClient on(int i) {
        return clients.get(i % clients.size());
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

    /** Spill objects left in the state bucket for the session. */
    static int spills(String session) {
        String prefix = SharedStateConfig.DEFAULT_PREFIX + "uploads/" + SharedSessions.hash(session) + "/spill/";
        return fx.s3().client().listObjectsV2(r -> r.bucket(STATE).prefix(prefix)).keyCount();
    }

    static JsonNode reply(int port, String session) throws Exception {
        String id = session.replace("{", "").replace("}", "");
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/_bitsbridge/uploads/" + id + "/reply")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return new ObjectMapper().readTree(r.body());
    }

    @Test
    void fragmentsRotatingAcrossThreeInstancesMakeTheObjectByteExact() throws Exception {
        cluster(3);
        byte[] data = random(23 * 1024 * 1024 + 333, 1);
        String path = "/cluster/rotated.bin";
        String session = on(0).createSession(path).header("BITS-Session-Id");
        int fragment = 1536 * 1024 + 17;
        Answer last = null;
        int i = 1;
        for (int off = 0; off < data.length; i++) {
            int n = Math.min(fragment, data.length - off);
            last = on(i).fragment(path, session, data, off, n);
            assertEquals(200, last.status(), last.headers().toString());
            assertEquals(String.valueOf(off + n), last.header("BITS-Received-Content-Range"));
            off += n;
        }
        assertNotNull(last.header("BITS-Reply-URL"), "the last fragment's ack points to the reply");
        assertEquals(200, on(i + 1).close(path, session).status());
        assertArrayEquals(data, object("cluster/rotated.bin"));
        String etag = fx.s3().client().headObject(r -> r.bucket("uploads").key("cluster/rotated.bin")).eTag();
        assertTrue(etag.endsWith("-5\""), "parts of 5 MiB, as in local mode: " + etag);
        for (BitsBridgeServer s : servers) {
            JsonNode reply = reply(s.port(), session);
            assertEquals("cluster/rotated.bin", reply.path("key").asText());
            assertEquals(data.length, reply.path("size").asLong());
            assertEquals(etag, reply.path("etag").asText());
        }
        assertEquals(0, openMultipartUploads());
        assertEquals(0, spills(session), "spills are deleted once the object is complete");
    }

    @Test
    void aFragmentResentToAnotherInstanceAfterItsAckIsCountedOnce() throws Exception {
        cluster(3);
        byte[] data = random(7 * 1024 * 1024 + 5, 2);
        String path = "/cluster/resent.bin";
        String session = on(0).createSession(path).header("BITS-Session-Id");
        assertEquals("3000000", on(0).fragment(path, session, data, 0, 3_000_000).header("BITS-Received-Content-Range"));
        // The ack was lost: the client sends the same fragment again, through the balancer to B.
        Answer again = on(1).fragment(path, session, data, 0, 3_000_000);
        assertEquals(200, again.status());
        assertEquals("3000000", again.header("BITS-Received-Content-Range"), "nothing counted twice");
        // Overlapping: half old bytes, half new, on C: only the new ones are appended.
        Answer overlap = on(2).fragment(path, session, data, 2_000_000, 2_000_000);
        assertEquals("4000000", overlap.header("BITS-Received-Content-Range"));
        Answer gap = on(0).fragment(path, session, data, 5_000_000, 1000);
        assertEquals(416, gap.status());
        assertEquals("4000000", gap.header("BITS-Received-Content-Range"));
        // A spill an instance wrote before dying, never recorded: an orphan, removed with the session's spills.
        String orphan = SharedStateConfig.DEFAULT_PREFIX + "uploads/" + SharedSessions.hash(session)
                + "/spill/4000000-4001000-0123456789ab";
        fx.s3().put(STATE, orphan, new byte[1000]);
        Answer rest = on(1).fragment(path, session, data, 4_000_000, data.length - 4_000_000);
        assertEquals(200, rest.status(), rest.headers().toString());
        assertArrayEquals(data, object("cluster/resent.bin"));
        assertEquals(0, spills(session), "the orphan and every recorded spill are deleted");
    }

    @Test
    void theSameFragmentRacingOnTwoInstancesIsAcknowledgedOnceByBoth() throws Exception {
        cluster(2);
        byte[] data = random(6 * 1024 * 1024, 3);
        String path = "/cluster/race.bin";
        String session = on(0).createSession(path).header("BITS-Session-Id");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int off = 0; off < 4 * 1024 * 1024; off += 1024 * 1024) {
                int o = off;
                Future<Answer> a = pool.submit(() -> on(0).fragment(path, session, data, o, 1024 * 1024));
                Future<Answer> b = pool.submit(() -> on(1).fragment(path, session, data, o, 1024 * 1024));
                assertEquals(String.valueOf(o + 1024 * 1024), a.get().header("BITS-Received-Content-Range"));
                assertEquals(String.valueOf(o + 1024 * 1024), b.get().header("BITS-Received-Content-Range"));
            }
        } finally {
            pool.shutdown();
        }
        assertEquals(200, on(1).fragment(path, session, data, 4 * 1024 * 1024, 2 * 1024 * 1024).status());
        assertArrayEquals(data, object("cluster/race.bin"));
        assertEquals(0, spills(session), "the loser of each race deleted its spill");
    }

    @Test
    void anInstanceStoppedMidUploadLosesNothingAcknowledged() throws Exception {
        cluster(2);
        byte[] data = random(17 * 1024 * 1024 + 99, 4);
        String path = "/cluster/survivor.bin";
        String session = on(0).createSession(path).header("BITS-Session-Id");
        int cut = 11 * 1024 * 1024 + 7;
        for (int off = 0; off < cut; off += 2 * 1024 * 1024) {
            int n = Math.min(2 * 1024 * 1024, cut - off);
            assertEquals(200, on(0).fragment(path, session, data, off, n).status());
        }
        servers.get(0).close(); // with parts being made in the background from its spills
        // The client's next packet reaches B, which knows only what S3 holds.
        Answer resumed = on(1).fragment(path, session, data, 0, 1000);
        assertEquals(String.valueOf(cut), resumed.header("BITS-Received-Content-Range"));
        assertEquals(200, on(1).fragment(path, session, data, cut, data.length - cut).status());
        assertArrayEquals(data, object("cluster/survivor.bin"));
        assertEquals(0, openMultipartUploads());
    }

    @Test
    void closeResentToAnotherInstanceGetsTheSameAnswer() throws Exception {
        cluster(3);
        byte[] data = random(6 * 1024 * 1024 + 1, 5);
        String path = "/cluster/closed.bin";
        String session = on(0).createSession(path).header("BITS-Session-Id");
        assertEquals(200, on(0).fragment(path, session, data, 0, 4 * 1024 * 1024).status());
        assertEquals(200, on(1).fragment(path, session, data, 4 * 1024 * 1024, data.length - 4 * 1024 * 1024).status());
        JsonNode first = reply(servers.get(0).port(), session);
        for (int i = 0; i < 3; i++) {
            Answer closed = on(i).close(path, session);
            assertEquals(200, closed.status(), closed.headers().toString());
            assertEquals(session, closed.header("BITS-Session-Id"));
        }
        // The last fragment resent after completion: acknowledged as complete, nothing written again.
        Answer lastAgain = on(2).fragment(path, session, data, 4 * 1024 * 1024, data.length - 4 * 1024 * 1024);
        assertEquals(200, lastAgain.status());
        assertEquals(String.valueOf(data.length), lastAgain.header("BITS-Received-Content-Range"));
        assertEquals(first, reply(servers.get(2).port(), session));
        assertArrayEquals(data, object("cluster/closed.bin"));
    }

    @Test
    void ofTwoSessionsOnTwoInstancesTheFirstUploadWins() throws Exception {
        cluster(2);
        byte[] a = random(6 * 1024 * 1024, 6);
        byte[] b = random(6 * 1024 * 1024, 7);
        String path = "/cluster/first-wins.bin";
        String sa = on(0).createSession(path).header("BITS-Session-Id");
        String sb = on(1).createSession(path).header("BITS-Session-Id");
        assertEquals(200, on(1).fragment(path, sb, b, 0, 5 * 1024 * 1024).status());
        assertEquals(200, on(0).fragment(path, sa, a, 0, a.length).status(), "A completes first");
        Answer lost = on(1).fragment(path, sb, b, 5 * 1024 * 1024, 1024 * 1024);
        assertEquals(409, lost.status(), lost.headers().toString());
        assertEquals("0x80070050", lost.header("BITS-Error-Code"));
        assertEquals(409, on(0).close(path, sb).status(), "every later packet, on any instance, is told the same");
        assertArrayEquals(a, object("cluster/first-wins.bin"));
        assertEquals(0, openMultipartUploads(), "the loser's multipart upload was aborted");
        assertEquals(0, spills(sb));
        assertEquals(409, on(1).createSession(path).status(), "the object exists now");
    }

    @Test
    void cancelOnAnotherInstanceEndsTheSessionEverywhere() throws Exception {
        cluster(3);
        byte[] data = random(11 * 1024 * 1024, 8);
        String path = "/cluster/cancelled.bin";
        String session = on(0).createSession(path).header("BITS-Session-Id");
        assertEquals(200, on(0).fragment(path, session, data, 0, 6 * 1024 * 1024).status());
        assertEquals(200, on(1).cancel(path, session).status());
        Answer after = on(2).fragment(path, session, data, 6 * 1024 * 1024, 1024);
        assertEquals(500, after.status(), "the session is gone");
        assertEquals("0x8020001F", after.header("BITS-Error-Code"));
        assertEquals(0, openMultipartUploads());
        assertEquals(0, spills(session));
        assertFalse(exists("cluster/cancelled.bin"));
    }

    @Test
    void aSessionIsBoundToItsUrlOnEveryInstance() throws Exception {
        cluster(2);
        byte[] data = random(1000, 9);
        String session = on(0).createSession("/cluster/mine.bin").header("BITS-Session-Id");
        Answer other = on(1).fragment("/cluster/other.bin", session, data, 0, data.length);
        assertEquals(400, other.status());
        assertEquals(200, on(1).fragment("/cluster/mine.bin", session, data, 0, data.length).status());
        assertArrayEquals(data, object("cluster/mine.bin"));
        assertFalse(exists("cluster/other.bin"));
    }
}
