package dev.bitsbridge.proxy.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.testing.RawHttp;
import dev.bitsbridge.proxy.testing.RawHttp.Response;
import dev.bitsbridge.proxy.http.HttpDates;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * The download half of the conformance suite: the same HTTP cases against every S3
 * implementation we can run (one subclass each), asserting what the proxy guarantees whatever
 * the upstream does: status, the headers a client checks, the exact bytes. What each upstream does
 * by itself is recorded in docs/compatibility.md.
 *
 * <p>Upload cases (BITS_POST through each upstream) belong in a sibling abstract class built the
 * same way on {@link ConformanceUpstream}, with one subclass per upstream.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class DownloadConformance {

    static final byte[] TEXT = "0123456789abcdefghijklmnopqrstuvwxyz".getBytes(StandardCharsets.US_ASCII);
    static final byte[] BIG = new byte[300_000];
    static final String PAST = "Sat, 01 Jan 2000 00:00:00 GMT";
    static final String FUTURE = "Fri, 01 Jan 2100 00:00:00 GMT";
    static final String EXPIRES = "Wed, 21 Oct 2037 07:28:00 GMT";
    static byte[] gzipped;

    ConformanceUpstream upstream;
    BitsBridgeServer proxy;
    String etag;
    String lastModified;

    abstract ConformanceUpstream startUpstream() throws Exception;

    @BeforeAll
    void start() throws Exception {
        new Random(16).nextBytes(BIG);
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(gz)) {
            z.write("a page that a browser inflates\n".repeat(20).getBytes(StandardCharsets.US_ASCII));
        }
        gzipped = gz.toByteArray();
        upstream = startUpstream();
        var c = upstream.client();
        String b = ConformanceUpstream.BUCKET;
        c.putObject(p -> p.bucket(b).key("text.txt").contentType("text/plain"), RequestBody.fromBytes(TEXT));
        c.putObject(p -> p.bucket(b).key("big.bin").contentType("application/octet-stream"), RequestBody.fromBytes(BIG));
        c.putObject(p -> p.bucket(b).key("empty.bin").contentType("application/octet-stream"),
                RequestBody.fromBytes(new byte[0]));
        c.putObject(p -> p.bucket(b).key("meta.txt").contentType("text/plain; charset=utf-8")
                .contentDisposition("attachment; filename=\"report.txt\"").cacheControl("max-age=60")
                .contentLanguage("de").expires(HttpDates.parse(EXPIRES)).metadata(Map.of("owner", "release-team")),
                RequestBody.fromBytes(TEXT));
        c.putObject(p -> p.bucket(b).key("page.html").contentType("text/html").contentEncoding("gzip"),
                RequestBody.fromBytes(gzipped));
        for (String key : List.of("dir/with space.txt", "unicodé/ファイル.txt", "a+b=c&d.txt", "100%.txt", "x(1)'@.txt")) {
            c.putObject(p -> p.bucket(b).key(key).contentType("text/plain"),
                    RequestBody.fromBytes(key.getBytes(StandardCharsets.UTF_8)));
        }
        proxy = new BitsBridgeServer(ProxyConfig.builder().port(0).bucket(b).endpoint(upstream.endpoint())
                .pathStyle(true).build(), upstream.credentials()).start();
        Response h = head("/text.txt");
        etag = h.header("ETag");
        lastModified = h.header("Last-Modified");
    }

    @AfterAll
    void stop() throws Exception {
        if (proxy != null) {
            proxy.stop(Duration.ZERO);
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    Response get(String path, String... headers) throws IOException {
        return RawHttp.exchange(proxy.port(), RawHttp.get(path, headers));
    }

    Response head(String path, String... headers) throws IOException {
        try (RawHttp c = RawHttp.connect(proxy.port())) {
            c.send(RawHttp.get(path, headers).replaceFirst("GET", "HEAD"));
            return c.readResponse(true);
        }
    }

    static byte[] slice(byte[] b, long first, long last) {
        return Arrays.copyOfRange(b, (int) first, (int) last + 1);
    }

    /** RFC 9110 §6.6.1: an origin with a clock sends Date on every 2xx, 3xx and 4xx. */
    static void assertDated(Response r) {
        String d = r.header("Date");
        assertNotNull(d, "Date on " + r);
        Instant when = HttpDates.parse(d);
        assertNotNull(when, "an IMF-fixdate: " + d);
        assertTrue(Math.abs(Duration.between(when, Instant.now()).toSeconds()) < 60, d);
    }

    @Test
    void headHasTheSameHeadersAsGet() throws Exception {
        Response h = head("/text.txt");
        Response g = get("/text.txt");
        assertEquals(200, h.status(), h.toString());
        assertEquals(200, g.status(), g.toString());
        assertArrayEquals(TEXT, g.body());
        assertEquals("36", h.header("Content-Length"));
        assertTrue(etag.startsWith("\""), etag);
        assertNotNull(HttpDates.parse(lastModified), lastModified);
        for (String name : List.of("content-length", "accept-ranges", "last-modified", "etag", "content-type")) {
            assertEquals(g.header(name), h.header(name), name);
        }
        assertEquals("text/plain", g.header("Content-Type"));
        assertEquals("bytes", g.header("Accept-Ranges"));
        assertNull(g.header("Transfer-Encoding"));
        assertDated(h);
        assertDated(g);
    }

    @Test
    void wholeGetOfALargerObjectIsExact() throws Exception {
        Response g = get("/big.bin");
        assertEquals(200, g.status());
        assertEquals(String.valueOf(BIG.length), g.header("Content-Length"));
        assertArrayEquals(BIG, g.body());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "bytes=0-9,       0,  9",
        "bytes=10-,       10, 35",
        "bytes=-5,        31, 35",
        "bytes=30-1000,   30, 35",
        "bytes=-100,      0,  35",
        "bytes=35-35,     35, 35",
    })
    void oneRange(String range, long first, long last) throws Exception {
        Response r = get("/text.txt", "Range: " + range);
        assertEquals(206, r.status(), r.toString());
        assertEquals("bytes " + first + "-" + last + "/36", r.header("Content-Range"));
        assertEquals(String.valueOf(last - first + 1), r.header("Content-Length"));
        assertArrayEquals(slice(TEXT, first, last), r.body());
        assertEquals(etag, r.header("ETag"));
        assertDated(r);
    }

    @ParameterizedTest
    @ValueSource(strings = {"bytes=36-", "bytes=100-200", "bytes=-0"})
    void unsatisfiableRangeIs416WithTheSize(String range) throws Exception {
        Response r = get("/text.txt", "Range: " + range);
        assertEquals(416, r.status(), r.toString());
        assertEquals("bytes */36", r.header("Content-Range"));
        assertDated(r);
    }

    @Test
    void severalRangesAreMultipartInRequestOrder() throws Exception {
        Response r = get("/big.bin", "Range: bytes=5000-5099,0-9,-7");
        assertEquals(206, r.status(), r.toString());
        String type = r.header("Content-Type");
        assertTrue(type.startsWith("multipart/byteranges; boundary="), type);
        assertEquals(String.valueOf(r.body().length), r.header("Content-Length"));
        String text = new String(r.body(), StandardCharsets.ISO_8859_1);
        long size = BIG.length;
        long[][] want = {{5000, 5099}, {0, 9}, {size - 7, size - 1}};
        int at = 0;
        for (long[] w : want) {
            String cr = "Content-Range: bytes " + w[0] + "-" + w[1] + "/" + size + "\r\n\r\n";
            at = text.indexOf(cr, at);
            assertTrue(at >= 0, "part " + w[0] + "-" + w[1] + " in order");
            at += cr.length();
            assertArrayEquals(slice(BIG, w[0], w[1]), Arrays.copyOfRange(r.body(), at, at + (int) (w[1] - w[0] + 1)));
        }
    }

    @Test
    void ifRangeDecidesBetweenThePartAndTheWhole() throws Exception {
        Response same = get("/text.txt", "Range: bytes=0-4", "If-Range: " + etag);
        assertEquals(206, same.status(), same.toString());
        assertArrayEquals(slice(TEXT, 0, 4), same.body());
        Response stale = get("/text.txt", "Range: bytes=0-4", "If-Range: \"stale\"");
        assertEquals(200, stale.status(), stale.toString());
        assertArrayEquals(TEXT, stale.body());
        assertEquals(206, get("/text.txt", "Range: bytes=0-4", "If-Range: " + lastModified).status());
        Response oldDate = get("/text.txt", "Range: bytes=0-4", "If-Range: " + PAST);
        assertEquals(200, oldDate.status());
        assertArrayEquals(TEXT, oldDate.body());
    }

    /** Each row: request headers (separated by |), the status RFC 9110 §13.2.2 gives. */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = ';', value = {
        "If-Match: ETAG;                                   200",
        "If-Match: \"abc\";                                412",
        "If-Match: *;                                      200",
        "If-Match: \"abc\", ETAG;                          200",
        "If-None-Match: ETAG;                              304",
        "If-None-Match: W/ETAG;                            304",
        "If-None-Match: *;                                 304",
        "If-None-Match: \"abc\";                           200",
        "If-Modified-Since: LM;                            304",
        "If-Modified-Since: FUTURE;                        304",
        "If-Modified-Since: PAST;                          200",
        "If-Unmodified-Since: PAST;                        412",
        "If-Unmodified-Since: LM;                          200",
        "Unless-Modified-Since: PAST;                      412",
        "If-Match: \"abc\"|If-None-Match: ETAG;            412",
        "If-Match: ETAG|If-Unmodified-Since: PAST;         200",
        "If-None-Match: ETAG|If-Modified-Since: PAST;      304",
        "If-None-Match: \"abc\"|If-Modified-Since: FUTURE; 200",
        "If-Unmodified-Since: PAST|If-None-Match: ETAG;    412",
        "If-Match: ETAG|If-None-Match: ETAG;               304",
        "If-Modified-Since: not a date;                    200",
    })
    void conditionalsAreDecidedInRfcOrder(String headers, int status) throws Exception {
        String[] h = headers.replace("W/ETAG", "W/" + etag).replace("ETAG", etag).replace("LM", lastModified)
                .replace("FUTURE", FUTURE).replace("PAST", PAST).split("\\|");
        Response g = get("/text.txt", h);
        assertEquals(status, g.status(), "GET " + g);
        Response hd = head("/text.txt", h);
        assertEquals(status, hd.status(), "HEAD " + hd);
        assertDated(g);
        if (status == 304) {
            // §15.4.5: the validators a 200 would carry; no Content-Length (or the 200's).
            assertEquals(etag, g.header("ETag"), g.toString());
            assertEquals(lastModified, g.header("Last-Modified"));
            assertTrue(g.header("Content-Length") == null || g.header("Content-Length").equals("36"), g.toString());
            assertEquals(g.header("Content-Length"), hd.header("Content-Length"));
        }
        if (status == 200) {
            assertArrayEquals(TEXT, g.body());
        }
        if (status == 412) {
            assertEquals(hd.header("Content-Length"), g.header("Content-Length"), "HEAD says what GET would");
        }
    }

    @Test
    void aConditionalRangeThatFailsIs412NotBytes() throws Exception {
        Response r = get("/text.txt", "Range: bytes=0-9", "If-Unmodified-Since: " + PAST);
        assertEquals(412, r.status(), r.toString());
        Response ok = get("/text.txt", "Range: bytes=0-9", "If-Unmodified-Since: " + lastModified);
        assertEquals(206, ok.status(), ok.toString());
        assertArrayEquals(slice(TEXT, 0, 9), ok.body());
    }

    @Test
    void zeroByteObject() throws Exception {
        Response g = get("/empty.bin");
        assertEquals(200, g.status(), g.toString());
        assertEquals("0", g.header("Content-Length"));
        Response h = head("/empty.bin");
        assertEquals(200, h.status(), h.toString());
        assertEquals("0", h.header("Content-Length"));
        assertNotNull(h.header("ETag"));
        for (String range : List.of("bytes=0-0", "bytes=0-", "bytes=-5", "bytes=0-0,2-3")) {
            Response r = get("/empty.bin", "Range: " + range);
            assertEquals(416, r.status(), range + ": " + r);
            assertEquals("bytes */0", r.header("Content-Range"), range);
            assertDated(r);
        }
    }

    @Test
    void storedMetadataIsPassedThrough() throws Exception {
        Response g = get("/meta.txt");
        Response h = head("/meta.txt");
        Response r = get("/meta.txt", "Range: bytes=1-3");
        assertEquals(200, g.status(), g.toString());
        assertEquals(206, r.status(), r.toString());
        for (Response x : List.of(g, h, r)) {
            // As the upstream stored it (s3proxy drops the space): passed through, not rewritten.
            assertEquals("text/plain;charset=utf-8", x.header("Content-Type").replace(" ", ""), x.toString());
            assertEquals("attachment; filename=\"report.txt\"", x.header("Content-Disposition"), x.toString());
            assertEquals("max-age=60", x.header("Cache-Control"), x.toString());
            assertEquals("de", x.header("Content-Language"), x.toString());
            assertEquals(EXPIRES, x.header("Expires"), x.toString());
            assertEquals("release-team", x.header("x-amz-meta-owner"), x.toString());
        }
        Response nm = get("/meta.txt", "If-None-Match: " + g.header("ETag"));
        assertEquals(304, nm.status());
        assertEquals("max-age=60", nm.header("Cache-Control"), "§15.4.5: Cache-Control and Expires on a 304");
        assertEquals(EXPIRES, nm.header("Expires"));
    }

    @Test
    void contentEncodingIsPassedThroughWithTheStoredBytesLikeS3() throws Exception {
        Response g = get("/page.html", "Accept-Encoding: identity");
        assertEquals(200, g.status(), g.toString());
        assertEquals("gzip", g.header("Content-Encoding"));
        assertEquals(String.valueOf(gzipped.length), g.header("Content-Length"), "the stored length");
        assertArrayEquals(gzipped, g.body(), "the stored bytes, never re-encoded");
        Response h = head("/page.html");
        assertEquals("gzip", h.header("Content-Encoding"));
        assertEquals(String.valueOf(gzipped.length), h.header("Content-Length"));
        Response r = get("/page.html", "Range: bytes=0-9");
        assertEquals(206, r.status());
        assertEquals("gzip", r.header("Content-Encoding"), "a range of the encoded bytes");
        assertArrayEquals(slice(gzipped, 0, 9), r.body());
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "/dir/with%20space.txt;          dir/with space.txt",
        "/unicod%C3%A9/%E3%83%95%E3%82%A1%E3%82%A4%E3%83%AB.txt; unicodé/ファイル.txt",
        "/a+b=c&d.txt;                   a+b=c&d.txt",
        "/a%2Bb%3Dc%26d.txt;             a+b=c&d.txt",
        "/100%25.txt;                    100%.txt",
        "/x(1)'@.txt;                    x(1)'@.txt",
    })
    void awkwardKeys(String path, String key) throws Exception {
        Response g = get(path);
        assertEquals(200, g.status(), path + ": " + g);
        assertArrayEquals(key.getBytes(StandardCharsets.UTF_8), g.body());
        assertEquals(200, head(path).status());
        Response r = get(path, "Range: bytes=1-2");
        assertEquals(206, r.status());
        assertArrayEquals(slice(key.getBytes(StandardCharsets.UTF_8), 1, 2), r.body());
    }

    @Test
    void aMissingKeyIs404AndItsHeadSaysTheSameLength() throws Exception {
        Response g = get("/no/such/key.txt");
        Response h = head("/no/such/key.txt");
        assertEquals(404, g.status(), g.toString());
        assertEquals(404, h.status(), h.toString());
        assertTrue(g.text().startsWith("404 Not Found: "), g.text());
        assertEquals(String.valueOf(g.body().length), g.header("Content-Length"));
        assertEquals(g.header("Content-Length"), h.header("Content-Length"), "HEAD has the GET's headers");
        assertDated(g);
        assertDated(h);
    }

    static List<String> lines(String s) {
        return new ArrayList<>(Arrays.asList(s.split("\r\n")));
    }
}
