package dev.bitsbridge.proxy.download;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.testing.RawHttp;
import dev.bitsbridge.proxy.testing.RawHttp.Response;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.ProxyFixture;
import dev.bitsbridge.proxy.testing.S3Server;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * Every point of the download path's HTTP semantics (RFC 9110 and what BITS expects), over real
 * sockets, against s3proxy checking every signature: the status, headers and bytes a client sees.
 */
class DownloadSemanticsTest {

    static final byte[] BIG = new byte[3 * 1024 * 1024 + 511];
    static final byte[] TEXT = "0123456789abcdefghijklmnopqrstuvwxyz".getBytes(StandardCharsets.US_ASCII);

    static {
        new Random(5).nextBytes(BIG);
    }

    @RegisterExtension
    static final ProxyFixture fx = ProxyFixture.builder().bucket("files")
            .object("big.bin", BIG)
            .object("text.txt", TEXT, "text/plain")
            .object("empty.bin", new byte[0])
            .object("pub/visible.txt", TEXT)
            .object("private.txt", "secret".getBytes(StandardCharsets.US_ASCII))
            .build();

    static Response get(String path, String... headers) throws IOException {
        return RawHttp.exchange(fx.port(), RawHttp.get(path, headers));
    }

    static Response head(String path, String... headers) throws IOException {
        try (RawHttp c = RawHttp.connect(fx.port())) {
            c.send(RawHttp.get(path, headers).replaceFirst("GET", "HEAD"));
            return c.readResponse(true);
        }
    }

    static byte[] slice(byte[] b, long first, long last) {
        return Arrays.copyOfRange(b, (int) first, (int) last + 1);
    }

    @Test
    void headAnswersWithTheSizeAndValidatorsAndTheSameHeadersAsGet() throws Exception {
        Response h = head("/big.bin");
        assertEquals(200, h.status());
        assertEquals(String.valueOf(BIG.length), h.header("Content-Length"));
        assertEquals("bytes", h.header("Accept-Ranges"));
        assertNotNull(h.header("Last-Modified"));
        assertTrue(h.header("ETag").startsWith("\""), h.header("ETag"));
        assertEquals("application/octet-stream", h.header("Content-Type"));
        assertEquals(0, h.body().length);
        Response g = get("/big.bin");
        assertEquals(200, g.status());
        assertArrayEquals(BIG, g.body());
        for (String name : List.of("content-length", "accept-ranges", "last-modified", "etag", "content-type")) {
            assertEquals(g.header(name), h.header(name), name + " is the same for HEAD and GET");
        }
        assertNull(g.header("Transfer-Encoding"), "never chunked");
        assertNull(g.header("Content-Encoding"), "never compressed");
        assertEquals("text/plain", head("/text.txt").header("Content-Type"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "bytes=0-9,          0, 9",
        "bytes=10-,          10, 35",
        "bytes=-5,           31, 35",
        "bytes=30-1000,      30, 35",
        "bytes=-100,         0, 35",
        "bytes = 2 - 4,      2, 4",
    })
    void oneRangeIs206WithContentRangeAndExactBytes(String range, long first, long last) throws Exception {
        Response r = get("/text.txt", "Range: " + range);
        assertEquals(206, r.status(), r.toString());
        assertEquals("bytes " + first + "-" + last + "/" + TEXT.length, r.header("Content-Range"));
        assertEquals(String.valueOf(last - first + 1), r.header("Content-Length"));
        assertArrayEquals(slice(TEXT, first, last), r.body());
        assertEquals("bytes", r.header("Accept-Ranges"));
        assertNotNull(r.header("Last-Modified"));
    }

    @Test
    void aRangeOfTheBigObjectIsExact() throws Exception {
        Response r = get("/big.bin", "Range: bytes=1048570-2097160");
        assertEquals(206, r.status());
        assertArrayEquals(slice(BIG, 1048570, 2097160), r.body());
    }

    @ParameterizedTest
    @ValueSource(strings = {"bytes=36-", "bytes=100-200", "bytes=-0"})
    void unsatisfiableRangeIs416WithTheSize(String range) throws Exception {
        Response r = get("/text.txt", "Range: " + range);
        assertEquals(416, r.status(), r.toString());
        assertEquals("bytes */" + TEXT.length, r.header("Content-Range"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"bytes=9-2", "bytes=abc", "items=0-5", "bytes=", "bytes=1-2-3", "0-5"})
    void malformedOrReversedRangeIsIgnored(String range) throws Exception {
        Response r = get("/text.txt", "Range: " + range);
        assertEquals(200, r.status(), r.toString());
        assertArrayEquals(TEXT, r.body());
        assertNull(r.header("Content-Range"));
    }

    @Test
    void zeroByteObject() throws Exception {
        Response g = get("/empty.bin");
        assertEquals(200, g.status());
        assertEquals("0", g.header("Content-Length"));
        Response h = head("/empty.bin");
        assertEquals(200, h.status());
        assertEquals("0", h.header("Content-Length"));
        Response r = get("/empty.bin", "Range: bytes=0-0");
        assertEquals(416, r.status());
        assertEquals("bytes */0", r.header("Content-Range"));
    }

    @Test
    void severalRangesAreMultipartInRequestOrderNeverMerged() throws Exception {
        Response r = get("/big.bin", "Range: bytes=500-599,0-99,100-149,-10");
        assertEquals(206, r.status());
        String type = r.header("Content-Type");
        assertTrue(type.startsWith("multipart/byteranges; boundary="), type);
        assertEquals(String.valueOf(r.body().length), r.header("Content-Length"), "exact Content-Length");
        List<Part> parts = Part.parse(r.body(), type.substring(type.indexOf("boundary=") + 9));
        long size = BIG.length;
        long[][] want = {{500, 599}, {0, 99}, {100, 149}, {size - 10, size - 1}};
        assertEquals(want.length, parts.size());
        for (int i = 0; i < want.length; i++) {
            assertEquals("bytes " + want[i][0] + "-" + want[i][1] + "/" + size, parts.get(i).headers.get("content-range"));
            assertEquals("application/octet-stream", parts.get(i).headers.get("content-type"));
            assertArrayEquals(slice(BIG, want[i][0], want[i][1]), parts.get(i).data);
        }
    }

    @Test
    void overlappingRangesAreCoalescedSoARequestNeverCostsMoreThanTheObject() throws Exception {
        Response r = get("/big.bin", "Range: bytes=500-599,0-99,50-149,-10");
        assertEquals(206, r.status());
        String type = r.header("Content-Type");
        List<Part> parts = Part.parse(r.body(), type.substring(type.indexOf("boundary=") + 9));
        long size = BIG.length;
        long[][] want = {{0, 149}, {500, 599}, {size - 10, size - 1}};
        assertEquals(want.length, parts.size());
        for (int i = 0; i < want.length; i++) {
            assertEquals("bytes " + want[i][0] + "-" + want[i][1] + "/" + size, parts.get(i).headers.get("content-range"));
            assertArrayEquals(slice(BIG, want[i][0], want[i][1]), parts.get(i).data);
        }
        // The abusive forms of the report: 0- and 0-0 many times over are one range each.
        String manyWhole = "Range: bytes=" + String.join(",", java.util.Collections.nCopies(50, "0-"));
        Response whole = get("/big.bin", manyWhole);
        assertEquals(206, whole.status());
        assertEquals("bytes 0-" + (size - 1) + "/" + size, whole.header("Content-Range"));
        assertEquals(size, whole.body().length, "the object once, not 50 times");
        Response first = get("/big.bin", "Range: bytes=" + String.join(",", java.util.Collections.nCopies(50, "0-0")));
        assertEquals("bytes 0-0/" + size, first.header("Content-Range"));
        assertArrayEquals(slice(BIG, 0, 0), first.body());
    }

    @Test
    void severalRangesOfWhichOneIsSatisfiableAreASinglePart() throws Exception {
        Response r = get("/text.txt", "Range: bytes=100-200,3-5");
        assertEquals(206, r.status());
        assertEquals("bytes 3-5/36", r.header("Content-Range"));
        assertArrayEquals(slice(TEXT, 3, 5), r.body());
        assertEquals(416, get("/text.txt", "Range: bytes=100-200,300-").status());
    }

    @Test
    void conditionals() throws Exception {
        Response h = head("/text.txt");
        String etag = h.header("ETag");
        String lastModified = h.header("Last-Modified");
        String past = "Sat, 01 Jan 2000 00:00:00 GMT";
        String future = "Fri, 01 Jan 2100 00:00:00 GMT";

        assertEquals(304, get("/text.txt", "If-None-Match: " + etag).status());
        assertEquals(304, get("/text.txt", "If-None-Match: W/" + etag).status(), "weak comparison");
        assertEquals(200, get("/text.txt", "If-None-Match: \"other\"").status());
        assertEquals(304, get("/text.txt", "If-Modified-Since: " + lastModified).status());
        assertEquals(304, get("/text.txt", "If-Modified-Since: " + future).status());
        assertEquals(200, get("/text.txt", "If-Modified-Since: " + past).status());
        assertEquals(412, get("/text.txt", "If-Match: \"other\"").status());
        assertEquals(200, get("/text.txt", "If-Match: " + etag).status());
        assertEquals(412, get("/text.txt", "If-Unmodified-Since: " + past).status());
        assertEquals(206, get("/text.txt", "If-Unmodified-Since: " + lastModified, "Range: bytes=0-0").status(),
                "a BITS resume with exactly the Last-Modified it was given");
        assertEquals(412, get("/text.txt", "Unless-Modified-Since: " + past).status(), "legacy BITS header");
        assertEquals(200, get("/text.txt", "If-Match: " + etag, "If-Unmodified-Since: " + past).status(),
                "If-Match true wins over If-Unmodified-Since false");
        assertEquals(304, get("/text.txt", "If-None-Match: " + etag, "If-Modified-Since: " + past).status(),
                "If-None-Match decides before If-Modified-Since");
        assertEquals(304, head("/text.txt", "If-None-Match: " + etag).status(), "HEAD too");
        assertEquals(412, head("/text.txt", "If-Match: \"other\"").status());
        Response notModified = get("/text.txt", "If-None-Match: " + etag);
        assertEquals(0, notModified.body().length);
        assertEquals(etag, notModified.header("ETag"));
    }

    @Test
    void ifRangeHoldsOnlyForTheCurrentValidator() throws Exception {
        Response h = head("/text.txt");
        Response sameTag = get("/text.txt", "Range: bytes=0-4", "If-Range: " + h.header("ETag"));
        assertEquals(206, sameTag.status());
        assertArrayEquals(slice(TEXT, 0, 4), sameTag.body());
        Response otherTag = get("/text.txt", "Range: bytes=0-4", "If-Range: \"stale\"");
        assertEquals(200, otherTag.status());
        assertArrayEquals(TEXT, otherTag.body());
        assertEquals(206, get("/text.txt", "Range: bytes=0-4", "If-Range: " + h.header("Last-Modified")).status());
        Response otherDate = get("/text.txt", "Range: bytes=0-4", "If-Range: Sat, 01 Jan 2000 00:00:00 GMT");
        assertEquals(200, otherDate.status());
        assertArrayEquals(TEXT, otherDate.body());
        assertEquals(200, get("/big.bin", "Range: bytes=0-4,10-14", "If-Range: \"stale\"").status(),
                "multi-range too");
    }

    @Test
    void errorsHaveClearStatusesAndShortTextBodies() throws Exception {
        Response missing = get("/no/such/key");
        assertEquals(404, missing.status());
        assertTrue(missing.text().startsWith("404 Not Found: "), missing.text());
        assertEquals(String.valueOf(missing.body().length), missing.header("Content-Length"));
        assertEquals(404, head("/no/such/key").status());
        for (String method : List.of("PUT", "DELETE", "POST", "PATCH")) {
            Response r = RawHttp.exchange(fx.port(), method + " /text.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Length: 0\r\n\r\n");
            assertEquals(405, r.status(), method);
            assertEquals("GET, HEAD, OPTIONS", r.header("Allow"));
        }
        for (String path : List.of("/../private.txt", "/a/%2e%2e/private.txt", "/a/..%2fprivate.txt", "/./text.txt")) {
            Response r = get(path);
            assertEquals(400, r.status(), path);
            assertFalse(r.text().contains("secret"));
        }
    }

    @Test
    void wrongCredentialsAre403WithS3sMessage() throws Exception {
        BitsBridgeServer wrong = fx.startProxy(b -> b, StaticCredentialsProvider.create(
                AwsBasicCredentials.create(S3Server.ACCESS_KEY, "not-the-secret")));
        Response r = RawHttp.exchange(wrong.port(), RawHttp.get("/text.txt"));
        assertEquals(403, r.status());
        assertTrue(r.text().contains("SignatureDoesNotMatch"), r.text());
    }

    @Test
    void prefixConfinesAndPathModeNamesTheBucket() throws Exception {
        BitsBridgeServer prefixed = fx.startProxy(b -> b.prefix("pub/"));
        BitsBridgeServer pathMode = fx.startProxy(b -> b.bucket(null));
        Response inside = RawHttp.exchange(prefixed.port(), RawHttp.get("/visible.txt"));
        assertEquals(200, inside.status());
        assertArrayEquals(TEXT, inside.body());
        assertEquals(400, RawHttp.exchange(prefixed.port(), RawHttp.get("/../private.txt")).status());
        assertEquals(400, RawHttp.exchange(prefixed.port(), RawHttp.get("/%2E%2E/private.txt")).status());
        Response outside = RawHttp.exchange(prefixed.port(), RawHttp.get("/private.txt"));
        assertEquals(404, outside.status(), "private.txt is pub/private.txt through this proxy: not there");
        // The message names the object S3 was asked for, prefix included: the operator sees why.
        assertTrue(outside.text().startsWith("404 Not Found: no such object: s3://" + fx.bucket() + "/pub/private.txt"),
                outside.text());
        Response head = RawHttp.exchange(prefixed.port(), "HEAD /private.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        assertEquals(404, head.status());
        assertEquals(outside.header("Content-Length"), head.header("Content-Length"), "HEAD announces GET's message");
        Response viaPath = RawHttp.exchange(pathMode.port(), RawHttp.get("/files/text.txt"));
        assertEquals(200, viaPath.status());
        assertArrayEquals(TEXT, viaPath.body());
    }

    /** One part of a multipart/byteranges body. */
    record Part(Map<String, String> headers, byte[] data) {
        static List<Part> parse(byte[] body, String boundary) {
            List<Part> parts = new ArrayList<>();
            String s = new String(body, StandardCharsets.ISO_8859_1);
            String delimiter = "--" + boundary;
            int pos = s.indexOf(delimiter);
            while (pos >= 0 && !s.startsWith(delimiter + "--", pos)) {
                int headEnd = s.indexOf("\r\n\r\n", pos);
                Map<String, String> headers = new java.util.LinkedHashMap<>();
                for (String line : s.substring(s.indexOf("\r\n", pos) + 2, headEnd).split("\r\n")) {
                    int colon = line.indexOf(':');
                    headers.put(line.substring(0, colon).trim().toLowerCase(), line.substring(colon + 1).trim());
                }
                int next = s.indexOf("\r\n" + delimiter, headEnd + 4);
                parts.add(new Part(headers, Arrays.copyOfRange(body, headEnd + 4, next)));
                pos = next + 2;
            }
            return parts;
        }
    }
}
