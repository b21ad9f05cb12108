package dev.bitsbridge.proxy.upload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.config.SharedStateConfig;
import dev.bitsbridge.proxy.s3.S3Location;
import dev.bitsbridge.proxy.s3.S3SharedState;
import dev.bitsbridge.proxy.testing.Await;
import dev.bitsbridge.proxy.testing.MutableClock;
import dev.bitsbridge.proxy.testing.S3Server;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shared mode at the service: an abandoned session is cancelled in S3 once idle longer than the TTL,
 * then forgotten; a session created with a share link is bound to it (only its hash is stored).
 */
class SharedUploadServiceTest {

    static final String PREFIX = SharedStateConfig.DEFAULT_PREFIX;

    static int keys(S3Server s3, String bucket, String prefix) {
        return s3.client().listObjectsV2(r -> r.bucket(bucket).prefix(prefix)).keyCount();
    }

    @Test
    void aSessionCreatedWithAShareLinkIsBoundToIt(@TempDir Path state) throws Exception {
        try (S3Server s3 = new S3Server()) {
            s3.createBucket("exp");
            s3.createBucket("exp-state");
            ProxyConfig config = ProxyConfig.builder().bucket("exp").endpoint(s3.endpoint()).stateDir(state)
                    .allowUpload(true).uploadPartSize(5L * 1024 * 1024)
                    .sharedState(new SharedStateConfig("exp-state", PREFIX, Duration.ofSeconds(10))).build();
            S3SharedState shared = S3SharedState.create(config, s3.credentials(), null);
            UploadService service = UploadService.create(config, s3.credentials(), java.time.Clock.systemUTC(), shared);
            try {
                S3Location loc = new S3Location("exp", "bound.bin");
                String id = service.createSession(loc, UploadService.PROTOCOL, "link-id-A").get().headers()
                        .get("BITS-Session-Id");
                FragmentRange range = new FragmentRange(0, 99, 100);
                for (String other : new String[] {"link-id-B", null}) {
                    Reply refused = service.beginFragment(id, loc, other, range, 100).get().immediate();
                    assertEquals(BitsError.WRONG_SESSION, refused.error());
                    assertEquals(BitsError.WRONG_SESSION, service.closeSession(id, loc, other).get().error());
                    assertEquals(BitsError.WRONG_SESSION, service.cancelSession(id, loc, other).get().error());
                }
                String record = new String(shared.get(SharedSessions.name(SharedSessions.hash(id))).body(),
                        java.nio.charset.StandardCharsets.UTF_8);
                org.junit.jupiter.api.Assertions.assertFalse(record.contains("link-id-A"), "only the link's hash is kept");
                FragmentWriter w = service.beginFragment(id, loc, "link-id-A", range, 100).get();
                assertNull(w.immediate());
                w.write(io.netty.buffer.Unpooled.wrappedBuffer(new byte[100])).get();
                Reply done = w.finish().get();
                assertNull(done.error(), String.valueOf(done));
                assertEquals("100", done.headers().get("BITS-Received-Content-Range"));
                assertEquals(100, s3.client().headObject(r -> r.bucket("exp").key("bound.bin")).contentLength());
            } finally {
                service.close();
                shared.close();
            }
        }
    }

    @Test
    void idleSessionsAreCancelledThenForgotten(@TempDir Path state) throws Exception {
        try (S3Server s3 = new S3Server()) {
            s3.createBucket("exp");
            s3.createBucket("exp-state");
            MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
            ProxyConfig config = ProxyConfig.builder().bucket("exp").endpoint(s3.endpoint()).stateDir(state)
                    .allowUpload(true).uploadPartSize(5L * 1024 * 1024)
                    .sharedState(new SharedStateConfig("exp-state", PREFIX, Duration.ofSeconds(10))).build();
            S3SharedState shared = S3SharedState.create(config, s3.credentials(), null);
            SharedUploads.Mode mode = new SharedUploads.Mode(shared,
                    new S3Uploader(config.toBuilder().bucket("exp-state").build(), s3.credentials(), null), "exp-state",
                    PREFIX, state.resolve("upload-fragments"));
            UploadService service = new UploadService(new UploadService.Settings(5L * 1024 * 1024, 0, false,
                    Duration.ofDays(7)), new UploadSessionStore(state), new S3Uploader(config, s3.credentials(), null),
                    clock, mode);
            try {
                S3Location loc = new S3Location("exp", "abandoned.bin");
                String id = service.createSession(loc, UploadService.PROTOCOL, null).get().headers().get("BITS-Session-Id");
                String hash = SharedSessions.hash(id);
                byte[] data = new byte[6 * 1024 * 1024];
                new Random(1).nextBytes(data);
                FragmentWriter w = service.beginFragment(id, loc, null, new FragmentRange(0, data.length - 1, 20_000_000L),
                        data.length).get();
                w.write(io.netty.buffer.Unpooled.wrappedBuffer(data)).get();
                assertNull(w.finish().get().error());
                String spills = PREFIX + "uploads/" + hash + "/spill/";
                // Part 1 is made from its spill in the background; the spill of part 2's first MiB stays.
                Await.until(Duration.ofSeconds(30), () -> keys(s3, "exp-state", spills) == 1, () -> "part 1 made");
                assertEquals(1, s3.client().listMultipartUploads(r -> r.bucket("exp")).uploads().size());

                clock.advance(Duration.ofDays(6));
                service.sweep();
                assertEquals(UploadSession.State.OPEN, new SharedSessions(shared).get(id).session().state(),
                        "six idle days: kept");

                clock.advance(Duration.ofDays(2));
                service.sweep();
                assertEquals(UploadSession.State.CANCELLED, new SharedSessions(shared).get(id).session().state(),
                        "eight idle days: cancelled (a tombstone)");
                assertEquals(0, keys(s3, "exp-state", spills), "its spills deleted");
                assertEquals(0, s3.client().listMultipartUploads(r -> r.bucket("exp")).uploads().size(),
                        "and the S3 multipart upload aborted");
                FragmentWriter late = service.beginFragment(id, loc, null,
                        new FragmentRange(data.length, data.length + 99, 20_000_000L), 100).get();
                assertEquals(BitsError.SESSION_NOT_FOUND, late.immediate().error());

                clock.advance(Duration.ofDays(8));
                service.sweep();
                assertNull(new SharedSessions(shared).get(id), "an ended session is forgotten after the TTL");
                assertEquals(0, keys(s3, "exp-state", PREFIX + "uploads/" + hash), "nothing left under its name");
            } finally {
                service.close();
                shared.close();
            }
        }
    }
}
