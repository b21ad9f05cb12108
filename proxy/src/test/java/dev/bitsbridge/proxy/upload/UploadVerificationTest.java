package dev.bitsbridge.proxy.upload;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matching;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.client.MappingBuilder;
import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.BitsUploadClient;
import dev.bitsbridge.proxy.testing.BitsUploadClient.Answer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * An upstream that answers like S3 but did not store what was sent (faults no real server here
 * produces on demand, hence WireMock): a part or PUT whose ETag is not the MD5 of the bytes, a
 * completed object shorter than the upload. Each must end in a permanent BITS error (422
 * {@code 0x8007000D}), never a 200 from the last fragment or Close-Session, no reply document, and
 * no object left looking complete.
 */
class UploadVerificationTest {

    static final long PART = 5L * 1024 * 1024;
    static final String KEY = "/wm/k.bin";

    WireMockServer wm;

    @TempDir
    Path state;

    @BeforeEach
    void start() {
        wm = new WireMockServer(wireMockConfig().bindAddress("127.0.0.1").port(0));
        wm.start();
        // Whatever is not stubbed below (aborts, deletes) succeeds.
        wm.stubFor(any(urlPathEqualTo(KEY)).atPriority(10).willReturn(aResponse().withStatus(204)));
    }

    @AfterEach
    void stop() {
        wm.stop();
    }

    BitsBridgeServer proxy() throws Exception {
        // --allow-overwrite: no probe and no existence check, so only the writes are stubbed.
        return new BitsBridgeServer(ProxyConfig.builder().port(0).bucket("wm")
                .endpoint(URI.create("http://127.0.0.1:" + wm.port())).stateDir(state).allowUpload(true)
                .allowOverwrite(true).uploadPartSize(PART).build(),
                StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret"))).start();
    }

    static byte[] random(int size) {
        byte[] b = new byte[size];
        new Random(7).nextBytes(b);
        return b;
    }

    static String md5(byte[] data, int from, int to) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(Arrays.copyOfRange(data, from, to)));
    }

    void stub(MappingBuilder m) {
        wm.stubFor(m.atPriority(1));
    }

    void stubMultipart(byte[] data, long headSize) throws Exception {
        stub(WireMock.post(urlPathEqualTo(KEY)).withQueryParam("uploads", matching(".*"))
                .willReturn(aResponse().withStatus(200).withBody("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                        + "<InitiateMultipartUploadResult><Bucket>wm</Bucket><Key>k.bin</Key>"
                        + "<UploadId>U1</UploadId></InitiateMultipartUploadResult>")));
        String p1 = md5(data, 0, (int) PART);
        String p2 = md5(data, (int) PART, data.length);
        stub(WireMock.put(urlPathEqualTo(KEY)).withQueryParam("partNumber", equalTo("1"))
                .willReturn(aResponse().withStatus(200).withHeader("ETag", "\"" + p1 + "\"")));
        stub(WireMock.put(urlPathEqualTo(KEY)).withQueryParam("partNumber", equalTo("2"))
                .willReturn(aResponse().withStatus(200).withHeader("ETag", "\"" + p2 + "\"")));
        MessageDigest md = MessageDigest.getInstance("MD5");
        md.update(HexFormat.of().parseHex(p1));
        md.update(HexFormat.of().parseHex(p2));
        String etag = "\"" + HexFormat.of().formatHex(md.digest()) + "-2\"";
        stub(WireMock.post(urlPathEqualTo(KEY)).withQueryParam("uploadId", equalTo("U1"))
                .willReturn(aResponse().withStatus(200).withBody("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                        + "<CompleteMultipartUploadResult><Bucket>wm</Bucket><Key>k.bin</Key><ETag>" + etag
                        + "</ETag></CompleteMultipartUploadResult>")));
        stub(WireMock.head(urlPathEqualTo(KEY)).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Length", Long.toString(headSize)).withHeader("ETag", etag)));
    }

    /** The last fragment's answer and Close-Session's; asserts both are the permanent verification error. */
    void assertNotVerified(int port, BitsUploadClient c, String session, Answer last, String expectedInMessage)
            throws Exception {
        assertEquals(422, last.status(), last.headers().toString());
        assertEquals("0x8007000D", last.header("BITS-Error-Code"));
        assertTrue(last.header("X-Bitsbridge-Error").contains(expectedInMessage), last.header("X-Bitsbridge-Error"));
        Answer closed = c.close("/k.bin", session);
        assertEquals(422, closed.status(), "Close-Session does not say 200 either");
        String id = session.replace("{", "").replace("}", "");
        HttpResponse<String> reply = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/_bitsbridge/uploads/" + id + "/reply")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(404, reply.statusCode(), "no reply document: nothing is reported done");
    }

    @Test
    void aPutWhoseEtagIsNotTheMd5IsAnErrorAndTheObjectIsDeleted() throws Exception {
        byte[] data = random(300_000);
        String wrong = "\"" + md5(data, 0, data.length - 1) + "\"";
        stub(WireMock.put(urlPathEqualTo(KEY)).willReturn(aResponse().withStatus(200).withHeader("ETag", wrong)));
        stub(WireMock.head(urlPathEqualTo(KEY)).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Length", Long.toString(data.length)).withHeader("ETag", wrong)));
        try (BitsBridgeServer server = proxy(); BitsUploadClient c = new BitsUploadClient(server.port())) {
            String session = c.createSession("/k.bin").header("BITS-Session-Id");
            Answer last = c.fragment("/k.bin", session, data, 0, data.length);
            assertNotVerified(server.port(), c, session, last, "MD5");
        }
        wm.verify(deleteRequestedFor(urlPathEqualTo(KEY)));
    }

    @Test
    void aPartWhoseEtagIsNotTheMd5IsAnErrorAndTheUploadIsNeverCompleted() throws Exception {
        byte[] data = random((int) PART + 100_000);
        stubMultipart(data, data.length);
        stub(WireMock.put(urlPathEqualTo(KEY)).withQueryParam("partNumber", equalTo("1"))
                .willReturn(aResponse().withStatus(200).withHeader("ETag", "\"00112233445566778899aabbccddeeff\"")));
        try (BitsBridgeServer server = proxy(); BitsUploadClient c = new BitsUploadClient(server.port())) {
            String session = c.createSession("/k.bin").header("BITS-Session-Id");
            // Acknowledged once on disk: part 1 goes up (and fails its check) in the background.
            Answer first = c.fragment("/k.bin", session, data, 0, (int) PART + 1);
            assertTrue(first.status() == 200 || first.status() == 422, first.headers().toString());
            Answer last = c.fragment("/k.bin", session, data, (int) PART + 1, data.length - (int) PART - 1);
            assertNotVerified(server.port(), c, session, last, "part 1");
            assertEquals(422, c.fragment("/k.bin", session, data, 0, 1000).status(),
                    "the rest of the upload gets the same answer");
        }
        wm.verify(0, postRequestedFor(urlPathEqualTo(KEY)).withQueryParam("uploadId", equalTo("U1")));
        wm.verify(deleteRequestedFor(urlPathEqualTo(KEY)).withQueryParam("uploadId", equalTo("U1")));
    }

    @Test
    void aCompletedObjectShorterThanTheUploadIsAnErrorAndDeleted() throws Exception {
        byte[] data = random((int) PART + 100_000);
        stubMultipart(data, data.length - 1000);
        try (BitsBridgeServer server = proxy(); BitsUploadClient c = new BitsUploadClient(server.port())) {
            String session = c.createSession("/k.bin").header("BITS-Session-Id");
            assertEquals(200, c.fragment("/k.bin", session, data, 0, (int) PART + 1).status());
            Answer last = c.fragment("/k.bin", session, data, (int) PART + 1, data.length - (int) PART - 1);
            assertNotVerified(server.port(), c, session, last, (data.length - 1000) + " bytes");
        }
        wm.verify(postRequestedFor(urlPathEqualTo(KEY)).withQueryParam("uploadId", equalTo("U1")));
        wm.verify(deleteRequestedFor(urlPathEqualTo(KEY)).withQueryParam("uploadId", WireMock.absent()));
        assertTrue(wm.findAll(anyRequestedFor(urlPathEqualTo(KEY))).size() >= 5);
    }

    /**
     * A transient failure of the completing PUT answers 503; the client's resent last fragment
     * completes the upload (it used to be acknowledged as "all bytes held" without completing,
     * and Close-Session then answered 400).
     */
    @Test
    void aTransientFailureOfTheCompletionIsRetriedByTheResentLastFragment() throws Exception {
        byte[] data = random(300_000);
        String etag = "\"" + md5(data, 0, data.length) + "\"";
        stub(WireMock.put(urlPathEqualTo(KEY)).inScenario("s3").whenScenarioStateIs(
                com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED)
                .willReturn(aResponse().withStatus(503).withBody("<Error><Code>SlowDown</Code></Error>")));
        stub(WireMock.put(urlPathEqualTo(KEY)).inScenario("s3").whenScenarioStateIs("up")
                .willReturn(aResponse().withStatus(200).withHeader("ETag", etag)));
        stub(WireMock.head(urlPathEqualTo(KEY)).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Length", Long.toString(data.length)).withHeader("ETag", etag)));
        try (BitsBridgeServer server = proxy(); BitsUploadClient c = new BitsUploadClient(server.port())) {
            String session = c.createSession("/k.bin").header("BITS-Session-Id");
            Answer failed = c.fragment("/k.bin", session, data, 0, data.length);
            assertEquals(503, failed.status(), "transient: the client retries");
            wm.setScenarioState("s3", "up");
            Answer resent = c.fragment("/k.bin", session, data, 0, data.length);
            assertEquals(200, resent.status(), resent.headers().toString());
            assertEquals(String.valueOf(data.length), resent.header("BITS-Received-Content-Range"));
            assertTrue(resent.header("BITS-Reply-URL") != null, "this ack completed the upload");
            assertEquals(200, c.close("/k.bin", session).status());
        }
    }
}
