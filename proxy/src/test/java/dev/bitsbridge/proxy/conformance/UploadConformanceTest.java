package dev.bitsbridge.proxy.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.BitsUploadClient;
import dev.bitsbridge.proxy.testing.BitsUploadClient.Answer;
import dev.bitsbridge.proxy.testing.S3Server;
import dev.bitsbridge.proxy.testing.S3rver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The same BITS upload cases against two S3 implementations: s3proxy (in-process; conditional
 * writes, ListParts) and s3rver (a child process; no conditional writes, no ListParts, and it
 * stores aws-chunked framing as data). What a user checks: the object downloaded back is
 * byte-exact, an object written by someone else is never overwritten, and a refusal that will not
 * change gives a BITS error the client does not retry (4xx), never a 200.
 */
class UploadConformanceTest {

    static final String BUCKET = "conf";
    static final long PART = 5L * 1024 * 1024;

    /** One S3 implementation under test. */
    record Backend(String name, URI endpoint, AwsCredentialsProvider credentials, S3Client client,
            boolean conditionalWrites, AutoCloseable server) {
    }

    private static Backend s3proxy;
    private static Backend s3rver;

    @TempDir
    Path state;

    static Stream<String> backends() {
        return Stream.of("s3proxy", "s3rver");
    }

    static synchronized Backend backend(String name) throws Exception {
        if (name.equals("s3proxy")) {
            if (s3proxy == null) {
                S3Server s = new S3Server();
                s.createBucket(BUCKET);
                s3proxy = new Backend(name, s.endpoint(), s.credentials(), s.client(), true, s);
            }
            return s3proxy;
        }
        if (s3rver == null) {
            S3rver s = new S3rver(BUCKET); // skips the test with a message where s3rver is not installed
            s3rver = new Backend(name, s.endpoint(), s.credentials(), s.client(), false, s);
        }
        return s3rver;
    }

    @AfterAll
    static void stop() throws Exception {
        for (Backend b : new Backend[] {s3proxy, s3rver}) {
            if (b != null) {
                b.server().close();
            }
        }
    }

    BitsBridgeServer start(Backend b, String bucket, boolean allowOverwrite) throws Exception {
        return new BitsBridgeServer(ProxyConfig.builder().port(0).bucket(bucket).endpoint(b.endpoint())
                .stateDir(state).allowUpload(true).allowOverwrite(allowOverwrite).uploadPartSize(PART).build(),
                b.credentials()).start();
    }

    /** Exactly-once where the endpoint can enforce it; where it cannot, uploads need --allow-overwrite. */
    BitsBridgeServer start(Backend b) throws Exception {
        return start(b, BUCKET, !b.conditionalWrites());
    }

    static byte[] random(int size, long seed) {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        return data;
    }

    static byte[] download(Backend b, String key) {
        return b.client().getObjectAsBytes(r -> r.bucket(BUCKET).key(key)).asByteArray();
    }

    static JsonNode reply(Answer last) throws Exception {
        String url = last.header("BITS-Reply-URL");
        assertNotNull(url, "the last fragment's ack points to the reply");
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
        return new ObjectMapper().readTree(r.body());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void singleFragmentUploadIsByteExact(String name) throws Exception {
        Backend b = backend(name);
        byte[] data = random(1_000_000, 1);
        String key = name + "/single.bin";
        try (BitsBridgeServer server = start(b); BitsUploadClient c = new BitsUploadClient(server.port())) {
            Answer last = c.upload("/" + key, data, data.length);
            assertEquals(200, last.status(), last.headers().toString());
            assertEquals(data.length, reply(last).path("size").asLong());
        }
        assertArrayEquals(data, download(b, key), "the object in S3 is exactly the file (no aws-chunked framing)");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void multipartUploadIsByteExact(String name) throws Exception {
        Backend b = backend(name);
        byte[] data = random(12 * 1024 * 1024 + 17, 2);
        String key = name + "/multi.bin";
        try (BitsBridgeServer server = start(b); BitsUploadClient c = new BitsUploadClient(server.port())) {
            Answer last = c.upload("/" + key, data, 3 * 1024 * 1024 + 5);
            assertEquals(200, last.status(), last.headers().toString());
            assertEquals(data.length, reply(last).path("size").asLong());
        }
        assertArrayEquals(data, download(b, key));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void aFragmentHoldingSeveralPartsIsCutInPlaceByteExact(String name) throws Exception {
        Backend b = backend(name);
        // 16 MiB in the first fragment: three 5 MiB parts read where they lie, 1 MiB carried over.
        byte[] data = random(17 * 1024 * 1024 + 9, 7);
        String key = name + "/wide.bin";
        try (BitsBridgeServer server = start(b); BitsUploadClient c = new BitsUploadClient(server.port())) {
            Answer last = c.upload("/" + key, data, 16 * 1024 * 1024);
            assertEquals(200, last.status(), last.headers().toString());
        }
        assertArrayEquals(data, download(b, key));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void anObjectWrittenAfterCreateSessionIsNeverOverwritten(String name) throws Exception {
        Backend b = backend(name);
        String key = name + "/raced.bin";
        byte[] theirs = "written directly, after Create-Session\n".getBytes(StandardCharsets.UTF_8);
        byte[] ours = random(300_000, 3);
        try (BitsBridgeServer server = start(b, BUCKET, false);
                BitsUploadClient c = new BitsUploadClient(server.port())) {
            Answer created = c.createSession("/" + key);
            HttpResponse<String> ready = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/_bitsbridge/ready")).build(),
                    HttpResponse.BodyHandlers.ofString());
            String check = new ObjectMapper().readTree(ready.body()).path("checks").path("uploads").asText();
            assertTrue(check.startsWith(b.conditionalWrites() ? "conditional writes honoured"
                    : "conditional writes not honoured"), "the probe's finding is in /_bitsbridge/ready: " + check);
            if (!b.conditionalWrites()) {
                // The endpoint ignores If-None-Match: *, so the proxy refuses rather than overwrite.
                assertEquals(403, created.status(), created.headers().toString());
                assertNotNull(created.header("BITS-Error-Code"));
                assertTrue(created.header("X-Bitsbridge-Error").contains("If-None-Match"),
                        created.header("X-Bitsbridge-Error"));
                assertTrue(created.header("X-Bitsbridge-Error").contains("--allow-overwrite"));
                return;
            }
            assertEquals(200, created.status());
            String session = created.header("BITS-Session-Id");
            b.client().putObject(r -> r.bucket(BUCKET).key(key),
                    software.amazon.awssdk.core.sync.RequestBody.fromBytes(theirs));
            Answer last = c.fragment("/" + key, session, ours, 0, ours.length);
            assertEquals(409, last.status(), last.headers().toString());
            assertEquals(409, c.close("/" + key, session).status(), "Close-Session does not say 200 either");
        }
        assertArrayEquals(theirs, download(b, key), "the object written first is untouched");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void aPermanentS3RefusalIsAPermanentBitsError(String name) throws Exception {
        Backend b = backend(name);
        byte[] data = random(100_000, 4);
        // No such bucket: S3 answers 404 NoSuchBucket, which no retry will change.
        try (BitsBridgeServer server = start(b, "no-such-bucket", true);
                BitsUploadClient c = new BitsUploadClient(server.port())) {
            Answer created = c.createSession("/refused.bin");
            assertEquals(200, created.status());
            String session = created.header("BITS-Session-Id");
            Answer last = c.fragment("/refused.bin", session, data, 0, data.length);
            assertTrue(last.status() >= 400 && last.status() < 500, "4xx: BITS does not retry; got " + last.status());
            assertNotNull(last.header("BITS-Error-Code"));
            assertEquals("0x7", last.header("BITS-Error-Context"));
            assertTrue(last.header("X-Bitsbridge-Error").contains("NoSuchBucket"), last.header("X-Bitsbridge-Error"));
            Answer closed = c.close("/refused.bin", session);
            assertNotEquals(200, closed.status(), "nothing is reported done");
            assertTrue(closed.status() < 500, "and the refusal stays permanent: " + closed.status());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void aSessionResumesAfterARestartByteExact(String name) throws Exception {
        Backend b = backend(name);
        byte[] data = random(11 * 1024 * 1024 + 3, 5);
        String key = name + "/resumed.bin";
        String session;
        BitsBridgeServer first = start(b);
        try (BitsUploadClient c = new BitsUploadClient(first.port())) {
            session = c.createSession("/" + key).header("BITS-Session-Id");
            for (int off = 0; off < 6 * 1024 * 1024; off += 1024 * 1024) {
                assertEquals(200, c.fragment("/" + key, session, data, off, 1024 * 1024).status());
            }
        }
        first.stop(Duration.ZERO);
        // s3rver has no ListParts (405): the session resumes from its recorded parts, not a 503 loop.
        try (BitsBridgeServer second = start(b); BitsUploadClient c = new BitsUploadClient(second.port())) {
            Answer resumed = c.fragment("/" + key, session, data, 5 * 1024 * 1024, 2 * 1024 * 1024);
            assertEquals(200, resumed.status(), resumed.headers().toString());
            int off = Integer.parseInt(resumed.header("BITS-Received-Content-Range"));
            while (off < data.length) {
                Answer a = c.fragment("/" + key, session, data, off, Math.min(2 * 1024 * 1024, data.length - off));
                assertEquals(200, a.status(), a.headers().toString());
                off = Integer.parseInt(a.header("BITS-Received-Content-Range"));
            }
            assertEquals(200, c.close("/" + key, session).status());
        }
        assertArrayEquals(data, download(b, key));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void aSessionIsBoundToItsKey(String name) throws Exception {
        Backend b = backend(name);
        byte[] data = random(200_000, 6);
        String key = name + "/bound.bin";
        try (BitsBridgeServer server = start(b); BitsUploadClient c = new BitsUploadClient(server.port())) {
            String session = c.createSession("/" + key).header("BITS-Session-Id");
            Answer elsewhere = c.fragment("/" + name + "/other.bin", session, data, 0, data.length);
            assertEquals(400, elsewhere.status(), elsewhere.headers().toString());
            assertEquals(400, c.cancel("/" + name + "/other.bin", session).status(), "nor cancelled from there");
            Answer last = c.fragment("/" + key, session, data, 0, data.length);
            assertEquals(200, last.status(), "the session is intact: " + last.headers());
        }
        assertArrayEquals(data, download(b, key));
        assertFalse(b.client().listObjectsV2(r -> r.bucket(BUCKET).prefix(name + "/other.bin")).hasContents());
    }
}
