package dev.bitsbridge.proxy.upload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.s3.S3Location;
import dev.bitsbridge.proxy.testing.MutableClock;
import dev.bitsbridge.proxy.testing.S3Server;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Abandoned sessions are aborted in S3 and their spool removed once idle longer than the TTL. */
class SessionExpiryTest {

    @Test
    void idleSessionsAreAbortedAndRemoved(@TempDir Path state) throws Exception {
        try (S3Server s3 = new S3Server()) {
            s3.createBucket("exp");
            MutableClock clock = new MutableClock(Instant.parse("2026-11-22T10:00:00Z"));
            ProxyConfig config = ProxyConfig.builder().bucket("exp").endpoint(s3.endpoint()).stateDir(state)
                    .allowUpload(true).uploadPartSize(5L * 1024 * 1024).build();
            UploadSessionStore store = new UploadSessionStore(state);
            UploadService service = new UploadService(new UploadService.Settings(5L * 1024 * 1024, 0, false,
                    Duration.ofDays(7)), store, new S3Uploader(config, s3.credentials(), null), clock);
            try {
                S3Location loc = new S3Location("exp", "abandoned.bin");
                String id = service.createSession(loc, UploadService.PROTOCOL, null).get().headers().get("BITS-Session-Id");
                byte[] data = new byte[6 * 1024 * 1024];
                new Random(1).nextBytes(data);
                FragmentWriter w = service.beginFragment(id, loc, null, new FragmentRange(0, data.length - 1, 20_000_000L),
                        data.length).get();
                w.write(io.netty.buffer.Unpooled.wrappedBuffer(data)).get();
                assertNull(w.finish().get().error());
                // The part goes up in the background once the fragment is on disk.
                dev.bitsbridge.proxy.testing.Await.until(Duration.ofSeconds(30),
                        () -> store.get(id).parts().size() == 1, () -> "part 1 recorded");
                assertEquals(1, s3.client().listMultipartUploads(r -> r.bucket("exp")).uploads().size());
                Path dir = store.dir(store.get(id));
                assertTrue(Files.exists(dir));

                clock.advance(Duration.ofDays(6));
                service.sweep();
                assertTrue(Files.exists(dir), "six idle days: kept");

                clock.advance(Duration.ofDays(2));
                service.sweep();
                assertFalse(Files.exists(dir), "eight idle days: spool and state removed");
                assertNull(store.get(id));
                assertEquals(0, s3.client().listMultipartUploads(r -> r.bucket("exp")).uploads().size(),
                        "and the S3 multipart upload aborted");
            } finally {
                service.close();
            }
        }
    }
}
