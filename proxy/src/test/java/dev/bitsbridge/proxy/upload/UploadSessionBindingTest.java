package dev.bitsbridge.proxy.upload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.share.ShareLinks;
import dev.bitsbridge.proxy.share.ShareSecret;
import dev.bitsbridge.proxy.testing.BitsUploadClient;
import dev.bitsbridge.proxy.testing.BitsUploadClient.Answer;
import dev.bitsbridge.proxy.testing.MutableClock;
import dev.bitsbridge.proxy.testing.ProxyFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #15, finding 3: an upload session is bound to its key and to the share link that created
 * it. Two upload links for the same key (minted for two clients) cannot write into or cancel each
 * other's sessions, and a session created with a link cannot be continued without one.
 */
class UploadSessionBindingTest {

    static final MutableClock CLOCK = MutableClock.startingNow();

    @RegisterExtension
    static final ProxyFixture fx = ProxyFixture.builder().bucket("bound").withoutProxy().clock(CLOCK).build();

    @TempDir
    Path state;

    @Test
    void aSessionCreatedWithAShareLinkRefusesPacketsWithAnotherLinkOrNone() throws Exception {
        BitsBridgeServer proxy = fx.startProxy(b -> b.stateDir(state).allowUpload(true));
        ShareLinks links = new ShareLinks(ShareSecret.open(state), CLOCK);
        String mine = links.sign(links.newToken("in/report.zip", Duration.ofMinutes(10), false, true));
        String theirs = links.sign(links.newToken("in/report.zip", Duration.ofMinutes(10), false, true));
        byte[] data = new byte[300_000];
        new Random(4).nextBytes(data);
        String path = "/in/report.zip?token=" + mine;
        String other = "/in/report.zip?token=" + theirs;
        try (BitsUploadClient c = new BitsUploadClient(proxy.port())) {
            String session = c.createSession(path).header("BITS-Session-Id");
            assertEquals(200, c.fragment(path, session, data, 0, 100_000).status());

            Answer foreign = c.fragment(other, session, data, 100_000, 100_000);
            assertEquals(400, foreign.status(), "another link's fragment is refused");
            assertEquals("0x80070057", foreign.header("BITS-Error-Code"));
            assertTrue(foreign.header("X-Bitsbridge-Error").contains("another share link"),
                    foreign.header("X-Bitsbridge-Error"));
            assertEquals(400, c.fragment("/in/report.zip", session, data, 100_000, 100_000).status(),
                    "and so is one without a link");
            assertEquals(400, c.cancel(other, session).status(), "another link cannot cancel it");
            assertEquals(400, c.close(other, session).status());

            // The session is untouched: its own link goes on where it was.
            Answer next = c.fragment(path, session, data, 100_000, 200_000);
            assertEquals(200, next.status(), next.headers().toString());
            assertEquals("300000", next.header("BITS-Received-Content-Range"));
            assertEquals(200, c.close(path, session).status());
        }
        assertArrayEquals(data, fx.s3().client().getObjectAsBytes(b -> b.bucket("bound").key("in/report.zip"))
                .asByteArray());
    }

    @Test
    void aSessionIsBoundToItsKey() throws Exception {
        BitsBridgeServer proxy = fx.startProxy(b -> b.stateDir(state).allowUpload(true));
        byte[] data = new byte[200_000];
        new Random(5).nextBytes(data);
        try (BitsUploadClient c = new BitsUploadClient(proxy.port())) {
            String session = c.createSession("/in/a.bin").header("BITS-Session-Id");
            assertEquals(200, c.fragment("/in/a.bin", session, data, 0, 50_000).status());
            Answer elsewhere = c.fragment("/in/b.bin", session, data, 50_000, 50_000);
            assertEquals(400, elsewhere.status(), "a fragment on another key's URL is refused");
            assertEquals("0x80070057", elsewhere.header("BITS-Error-Code"));
            assertTrue(elsewhere.header("X-Bitsbridge-Error").contains("another URL"),
                    elsewhere.header("X-Bitsbridge-Error"));
            assertEquals(400, c.cancel("/in/b.bin", session).status(), "so is a cancel");
            assertEquals(400, c.close("/in/b.bin", session).status(), "and a close");
            assertEquals("50000", c.fragment("/in/a.bin", session, data, 0, 50_000)
                    .header("BITS-Received-Content-Range"), "the session holds what it held");
            assertEquals(200, c.fragment("/in/a.bin", session, data, 50_000, 150_000).status());
            assertEquals(200, c.close("/in/a.bin", session).status());
        }
        assertArrayEquals(data, fx.s3().client().getObjectAsBytes(b -> b.bucket("bound").key("in/a.bin"))
                .asByteArray());
        assertTrue(fx.s3().client().listObjectsV2(b -> b.bucket("bound").prefix("in/b.bin")).contents().isEmpty(),
                "nothing was written under the other key");
    }
}
