package dev.bitsbridge.proxy.share;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bitsbridge.proxy.testing.Await;
import dev.bitsbridge.proxy.testing.RawHttp;
import dev.bitsbridge.proxy.testing.RawHttp.Response;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.state.Json;
import dev.bitsbridge.proxy.testing.BitsUploadClient;
import dev.bitsbridge.proxy.testing.MutableClock;
import dev.bitsbridge.proxy.testing.ProxyFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Share links end to end, against s3proxy with signature checking: a proxy started with
 * {@code --require-token} and a state folder, links minted the way {@code bitsbridge share} mints
 * them (same folder, same secret) and through {@code POST /_bitsbridge/shares}, driven like BITS
 * (HEAD, then ranges with If-Unmodified-Since on one keep-alive connection) and like a browser
 * (CORS preflight, Origin).
 */
class ShareLinksIntegrationTest {

    static final byte[] DATA = new byte[3 * 1024 * 1024 + 4321];
    static final String ORIGIN = "https://app.example";

    /**
     * Larger than loopback's socket buffers (4 MiB send buffer at most here): a response written
     * whole to the socket counts as delivered whatever the client then does, so an aborted
     * download must leave bytes unwritten to be counted by what reached the client.
     */
    static final byte[] LARGE = new byte[24 * 1024 * 1024];

    static {
        new Random(6).nextBytes(DATA);
        new Random(7).nextBytes(LARGE);
    }

    /** The proxies' and the minting side's time: expiry is tested by moving it. */
    static final MutableClock CLOCK = MutableClock.startingNow();

    @RegisterExtension
    static final ProxyFixture fx = ProxyFixture.builder().bucket("shared").withoutProxy().clock(CLOCK)
            .object("setup.exe", DATA)
            .object("other.bin", new byte[] {1, 2, 3})
            .object("large.iso", LARGE)
            .object("dir/report 2026.pdf", "report".getBytes(StandardCharsets.UTF_8))
            .build();

    @TempDir
    Path state;
    BitsBridgeServer proxy;
    ShareLinks links;

    @BeforeEach
    void start() throws Exception {
        proxy = startProxy(state, false);
        links = new ShareLinks(ShareSecret.open(state), CLOCK);
    }

    /** Stopped by the fixture after the test. */
    private static BitsBridgeServer startProxy(Path stateDir, boolean markers) throws Exception {
        return fx.startProxy(b -> b.stateDir(stateDir).requireToken(true).shareSpentMarkers(markers)
                .corsOrigins(List.of(ORIGIN)).allowUpload(true));
    }

    private String mint(String key, Duration life, boolean once) {
        return links.sign(links.newToken(key, life, once, false));
    }

    private String bits(String method, String path, String... extra) {
        StringBuilder sb = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                .append("Host: 127.0.0.1:").append(proxy.port()).append("\r\n")
                .append("User-Agent: Microsoft BITS/7.8\r\nAccept: */*\r\nConnection: Keep-Alive\r\n");
        for (String h : extra) {
            sb.append(h).append("\r\n");
        }
        return sb.append("\r\n").toString();
    }

    private Response once(String method, String path, String... extra) throws Exception {
        try (RawHttp c = RawHttp.connect(proxy.port())) {
            c.send(bits(method, path, extra));
            return c.readResponse(method.equals("HEAD"));
        }
    }

    private Response post(String path, String json) throws Exception {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        String head = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + proxy.port()
                + "\r\nAuthorization: Bearer " + proxy.adminToken()
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n";
        try (RawHttp c = RawHttp.connect(proxy.port())) {
            c.send(head);
            c.send(body);
            return c.readResponse(false);
        }
    }

    /** HEAD, then 1 MiB ranges (in the given order), on one connection; returns the file. */
    private byte[] bitsJob(String path, List<Long> offsets) throws Exception {
        byte[] file = new byte[DATA.length];
        try (RawHttp c = RawHttp.connect(proxy.port())) {
            c.send(bits("HEAD", path));
            Response head = c.readResponse(true);
            assertEquals(200, head.status(), head.toString());
            assertEquals(DATA.length, head.contentLength());
            String lm = head.header("Last-Modified");
            for (long off : offsets) {
                long end = Math.min(DATA.length, off + 1024 * 1024) - 1;
                c.send(bits("GET", path, "Range: bytes=" + off + "-" + end, "If-Unmodified-Since: " + lm));
                Response r = c.readResponse(false);
                assertEquals(206, r.status(), r.toString());
                assertEquals("bytes " + off + "-" + end + "/" + DATA.length, r.header("Content-Range"));
                System.arraycopy(r.body(), 0, file, (int) off, r.body().length);
            }
        }
        return file;
    }

    private static List<Long> rangeOffsets() {
        List<Long> offs = new ArrayList<>();
        for (long o = 0; o < DATA.length; o += 1024 * 1024) {
            offs.add(o);
        }
        return offs;
    }

    @Test
    void withoutATokenTheAnswerIs401WithABearerChallenge() throws Exception {
        Response r = once("GET", "/setup.exe");
        assertEquals(401, r.status());
        assertEquals("Bearer realm=\"bitsbridge\"", r.header("WWW-Authenticate"));
        assertTrue(r.text().contains("token"), r.text());
        assertEquals(401, once("HEAD", "/setup.exe").status());
        assertEquals(200, once("GET", "/_bitsbridge/health").status(), "probes stay open");
    }

    @Test
    void aLinkServesABitsJobByteExactInTheQueryOrAsBearer() throws Exception {
        String token = mint("setup.exe", Duration.ofMinutes(10), false);
        assertArrayEquals(DATA, bitsJob("/setup.exe?token=" + token, rangeOffsets()));
        // BITS SetCustomHeaders: the same token as Authorization: Bearer, URL without query.
        try (RawHttp c = RawHttp.connect(proxy.port())) {
            c.send(bits("GET", "/setup.exe", "Authorization: Bearer " + token, "Range: bytes=100-199"));
            Response r = c.readResponse(false);
            assertEquals(206, r.status());
            assertArrayEquals(java.util.Arrays.copyOfRange(DATA, 100, 200), r.body());
        }
        // Not one-time: the same link works again.
        assertEquals(200, once("HEAD", "/setup.exe?token=" + token).status());
        // A key with a space: the link names it percent-encoded, the token binds the decoded key.
        String t2 = mint("dir/report 2026.pdf", Duration.ofMinutes(10), false);
        Response pdf = once("GET", "/dir/report%202026.pdf?token=" + t2);
        assertEquals(200, pdf.status());
        assertEquals("report", pdf.text());
    }

    @Test
    void aTokenForAnotherKeyOrTamperedOrFromAnotherSecretIs403() throws Exception {
        String token = mint("other.bin", Duration.ofMinutes(10), false);
        Response r = once("GET", "/setup.exe?token=" + token);
        assertEquals(403, r.status());
        assertTrue(r.text().contains("another file"), r.text());

        String good = mint("setup.exe", Duration.ofMinutes(10), false);
        // Change the claims (a longer expiry, another key...): the MAC no longer holds.
        int dot = good.indexOf('.', 3);
        char c = good.charAt(dot - 2);
        String tampered = good.substring(0, dot - 2) + (c == 'A' ? 'B' : 'A') + good.substring(dot - 1);
        Response t = once("GET", "/setup.exe?token=" + tampered);
        assertEquals(403, t.status());
        assertTrue(t.text().contains("not valid"), t.text());
        assertEquals(403, once("GET", "/setup.exe?token=garbage").status());

        ShareLinks foreign = new ShareLinks(ShareSecret.open(Files.createTempDirectory(state, "other")), Clock.systemUTC());
        String alien = foreign.sign(foreign.newToken("setup.exe", Duration.ofMinutes(10), false, false));
        assertEquals(403, once("GET", "/setup.exe?token=" + alien).status());
        // A download link does not allow an upload.
        try (BitsUploadClient up = new BitsUploadClient(proxy.port())) {
            assertEquals(403, up.createSession("/setup.exe?token=" + good).status());
        }
    }

    @Test
    void aLinkExpiresOnTimeWith410() throws Exception {
        String token = mint("setup.exe", Duration.ofSeconds(2), false);
        assertEquals(200, once("HEAD", "/setup.exe?token=" + token).status());
        CLOCK.advance(Duration.ofSeconds(1));
        assertEquals(200, once("HEAD", "/setup.exe?token=" + token).status(), "one second left");
        CLOCK.advance(Duration.ofSeconds(2)); // past the expiry second
        Response r = once("HEAD", "/setup.exe?token=" + token);
        assertEquals(410, r.status());
        Response g = once("GET", "/setup.exe?token=" + token);
        assertEquals(410, g.status());
        assertTrue(g.text().contains("expired"), g.text());

        ShareLinks past = new ShareLinks(ShareSecret.open(state),
                Clock.fixed(CLOCK.instant().minusSeconds(7200), ZoneOffset.UTC));
        String old = past.sign(past.newToken("setup.exe", Duration.ofHours(1), false, false));
        assertEquals(410, once("GET", "/setup.exe?token=" + old).status());
    }

    @Test
    void aOneTimeLinkServesOneBitsJobAcrossARestartThenIs410AlsoAfterAnotherRestart() throws Exception {
        String token = mint("setup.exe", Duration.ofHours(1), true);
        String path = "/setup.exe?token=" + token;
        List<Long> offs = rangeOffsets();
        Collections.reverse(offs); // any order
        byte[] file = new byte[DATA.length];
        // First half of the job, one range fetched twice (a reconnect), then the proxy restarts.
        List<Long> first = new ArrayList<>(offs.subList(0, 2));
        first.add(offs.get(1));
        byte[] part = bitsJob(path, first);
        for (long o : first) {
            int len = (int) Math.min(1024 * 1024, DATA.length - o);
            System.arraycopy(part, (int) o, file, (int) o, len);
        }
        proxy.stop(Duration.ZERO);
        proxy = startProxy(state, false);
        assertEquals(200, once("HEAD", path).status(), "not spent: bytes are missing");
        byte[] rest = bitsJob(path, offs.subList(2, offs.size()));
        for (long o : offs.subList(2, offs.size())) {
            int len = (int) Math.min(1024 * 1024, DATA.length - o);
            System.arraycopy(rest, (int) o, file, (int) o, len);
        }
        assertArrayEquals(DATA, file, "the job got every byte");

        Response spent = once("HEAD", path);
        assertEquals(410, spent.status());
        Response g = once("GET", path, "Range: bytes=0-0");
        assertEquals(410, g.status());
        assertTrue(g.text().contains("one-time"), g.text());

        proxy.stop(Duration.ZERO);
        proxy = startProxy(state, false);
        assertEquals(410, once("GET", path).status(), "spent survives a restart");
        // Another link to the same object is not affected.
        assertEquals(200, once("HEAD", "/setup.exe?token=" + mint("setup.exe", Duration.ofHours(1), true)).status());
    }

    @Test
    void aOneTimeLinkIsSpentByOneWholeGetButNotByAnAbortedOne() throws Exception {
        String token = mint("large.iso", Duration.ofHours(1), true);
        String path = "/large.iso?token=" + token;
        try (RawHttp c = RawHttp.connect(proxy.port(), 16 * 1024)) {
            c.send(bits("GET", path));
            Response head = c.readHead();
            assertEquals(200, head.status());
            c.input().readNBytes(64 * 1024); // then the client gives up
        }
        // The proxy has seen the client leave once the request is no longer in flight; only then
        // can "not spent" be checked (a sleep would pass even if the check came too early).
        BitsBridgeServer p = proxy;
        Await.until(Duration.ofSeconds(10), () -> p.requestsInFlight() == 0 && p.openConnections() == 0,
                () -> p.requestsInFlight() + " requests in flight, " + p.openConnections() + " connections");
        assertEquals(200, once("HEAD", path).status(), "an aborted download does not spend the link");
        // A multi-range request is answered whole (one contiguous body) and counts.
        Response whole = once("GET", path, "Range: bytes=0-9,20-29");
        assertEquals(200, whole.status());
        assertArrayEquals(LARGE, whole.body());
        // Spent is recorded once the last byte is written, which may be just after the client read it.
        Await.value(Duration.ofSeconds(10), () -> once("GET", path).status(), s -> s == 410, "the link spent");
    }

    @Test
    void withPublicHostTheUrlsHandedOutNameItNotTheHostTheyWereMintedFrom() throws Exception {
        proxy = fx.startProxy(b -> b.stateDir(state).publicHosts(List.of("files.example.lan")));
        Response r = post("/_bitsbridge/shares", "{\"key\": \"setup.exe\", \"expires\": \"10m\"}");
        assertEquals(201, r.status(), r.toString());
        String url = Json.mapper().readTree(r.body()).get("url").asText();
        assertTrue(url.startsWith("http://files.example.lan:" + proxy.port() + "/setup.exe?token=v1."), url);
    }

    @Test
    void theServerMintsLinksForApplications() throws Exception {
        String json = "{\"key\": \"setup.exe\", \"expires\": \"10m\", \"once\": true}";
        Response r = post("/_bitsbridge/shares", json);
        assertEquals(201, r.status(), r.toString());
        JsonNode n = Json.mapper().readTree(r.body());
        String url = n.get("url").asText();
        assertTrue(url.startsWith("http://127.0.0.1:" + proxy.port() + "/setup.exe?token=v1."), url);
        assertTrue(n.get("once").asBoolean());
        Instant exp = Instant.parse(n.get("expires").asText());
        assertTrue(Math.abs(Duration.between(CLOCK.instant().plusSeconds(600), exp).getSeconds()) <= 1, exp.toString());
        Response got = once("GET", url.substring(url.indexOf('/', 8)));
        assertEquals(200, got.status());
        assertArrayEquals(DATA, got.body());

        String bad = "{\"key\": \"../etc/passwd\"}";
        Response b = post("/_bitsbridge/shares", bad);
        assertEquals(400, b.status());
    }

    @Test
    void anUploadLinkLetsOneBitsUploadIn() throws Exception {
        byte[] data = new byte[300_000];
        new Random(3).nextBytes(data);
        String token = links.sign(links.newToken("incoming/log.zip", Duration.ofMinutes(10), false, true));
        try (BitsUploadClient up = new BitsUploadClient(proxy.port())) {
            assertEquals(401, up.createSession("/incoming/log.zip").status());
            assertEquals(200, up.upload("/incoming/log.zip?token=" + token, data, 100_000).status());
        }
        assertArrayEquals(data, fx.s3().client().getObjectAsBytes(b -> b.bucket("shared").key("incoming/log.zip"))
                .asByteArray());
        // An upload link does not download.
        assertEquals(403, once("GET", "/incoming/log.zip?token=" + token).status());
    }

    @Test
    void browsersFromAnAllowedOriginOnly() throws Exception {
        Response pre = once("OPTIONS", "/setup.exe", "Origin: " + ORIGIN, "Access-Control-Request-Method: GET",
                "Access-Control-Request-Headers: range, authorization");
        assertTrue(pre.status() == 204 || pre.status() == 200, pre.toString());
        assertEquals(ORIGIN, pre.header("Access-Control-Allow-Origin"));
        assertTrue(pre.header("Access-Control-Allow-Methods").contains("GET"));
        assertTrue(pre.header("Access-Control-Allow-Methods").contains("HEAD"));
        assertTrue(pre.header("Access-Control-Allow-Headers").toLowerCase().contains("range"));

        String token = mint("setup.exe", Duration.ofMinutes(10), false);
        Response r = once("GET", "/setup.exe?token=" + token, "Origin: " + ORIGIN, "Range: bytes=0-99");
        assertEquals(206, r.status());
        assertEquals(ORIGIN, r.header("Access-Control-Allow-Origin"));
        String expose = r.header("Access-Control-Expose-Headers");
        for (String h : new String[] {"Content-Range", "Content-Length", "ETag"}) {
            assertTrue(expose.contains(h), expose);
        }
        Response foreign = once("GET", "/setup.exe?token=" + token, "Origin: https://evil.example");
        assertEquals(403, foreign.status());
        assertNull(foreign.header("Access-Control-Allow-Origin"));
        Response foreignPre = once("OPTIONS", "/setup.exe", "Origin: https://evil.example",
                "Access-Control-Request-Method: GET");
        assertEquals(403, foreignPre.status());
    }

    @Test
    void proxiesSharingABucketAgreeThroughSpentMarkers(@TempDir Path otherState) throws Exception {
        proxy.stop(Duration.ZERO);
        proxy = startProxy(state, true);
        Files.copy(state.resolve(ShareSecret.FILE), StateFilesCopy.target(otherState));
        BitsBridgeServer second = startProxy(otherState, true);
        try {
            String token = mint("other.bin", Duration.ofHours(1), true);
            String path = "/other.bin?token=" + token;
            assertEquals(200, once("GET", path).status());
            // The first proxy writes the marker with a conditional PUT after the answer.
            String marker = SpentMarkers.PREFIX + SpentLedger.fileId(ShareToken.fromClaims(
                    ShareToken.split(token).encodedClaims()));
            Await.until(Duration.ofSeconds(10), () -> exists(marker), () -> "marker " + marker);
            BitsBridgeServer first = proxy;
            proxy = second;
            try {
                Response r = once("HEAD", path);
                assertEquals(410, r.status(), "the other proxy sees the link spent");
            } finally {
                proxy = first;
            }
        } finally {
            second.stop(Duration.ZERO);
        }
    }

    private static boolean exists(String key) {
        try {
            fx.s3().client().headObject(b -> b.bucket("shared").key(key));
            return true;
        } catch (software.amazon.awssdk.services.s3.model.NoSuchKeyException e) {
            return false;
        }
    }

    /** The second proxy's state folder gets the same secret file. */
    private static final class StateFilesCopy {
        static Path target(Path dir) throws java.io.IOException {
            Files.createDirectories(dir);
            return dir.resolve(ShareSecret.FILE);
        }
    }

    @Test
    void theTokenNeverAppearsInTheAccessLog() throws Exception {
        // Covered with every logger at DEBUG in SecretsNotLoggedTest; here: the answer carries no token.
        String token = mint("setup.exe", Duration.ofMinutes(10), false);
        Response r = once("GET", "/other.bin?token=" + token);
        assertFalse(r.text().contains(token));
        assertNotNull(r.header("Content-Length"));
    }
}
