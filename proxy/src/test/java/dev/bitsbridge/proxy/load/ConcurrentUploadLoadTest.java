package dev.bitsbridge.proxy.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.BitsUploadClient;
import dev.bitsbridge.proxy.testing.BufferMemory;
import dev.bitsbridge.proxy.testing.S3Server;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Many BITS uploads at once, each sending 4 MiB fragments as fast as the proxy takes them. The
 * proxy appends each fragment to its session's spool one buffer at a time and reads the next
 * buffer from the client only when the previous one is on disk, so what it holds in memory must
 * not grow with the number of uploads times the fragment size (which is what reading whole
 * fragments into memory would take). Every object must arrive whole and byte-exact, with no
 * multipart upload left open in the bucket.
 */
class ConcurrentUploadLoadTest {

    private static final Logger log = LoggerFactory.getLogger("bitsbridge.load");
    private static final int UPLOADS = 12;
    private static final int SIZE = 12 * 1024 * 1024 + 4099; // 3 parts of 5 MiB, the last short
    private static final int FRAGMENT = 4 * 1024 * 1024;
    private static final long BOUND = 48L * 1024 * 1024; // UPLOADS x FRAGMENT would be 48 MiB

    @Test
    void twelveConcurrentUploadsKeepBuffersBoundedAndArriveByteExact(@TempDir Path state) throws Exception {
        try (S3Server s3 = new S3Server()) {
            s3.createBucket("uploads");
            BitsBridgeServer proxy = new BitsBridgeServer(ProxyConfig.builder().port(0).bucket("uploads")
                    .endpoint(s3.endpoint()).stateDir(state).allowUpload(true).uploadPartSize(5L * 1024 * 1024)
                    .build(), s3.credentials()).start();
            ExecutorService clients = Executors.newFixedThreadPool(UPLOADS);
            try {
                long before = BufferMemory.nettyUsed();
                long started = System.nanoTime();
                List<Future<String>> sent = new ArrayList<>();
                long peak;
                try (BufferMemory.Peak p = new BufferMemory.Peak()) {
                    for (int i = 0; i < UPLOADS; i++) {
                        int n = i;
                        sent.add(clients.submit(() -> {
                            byte[] data = new byte[SIZE];
                            new Random(1000 + n).nextBytes(data);
                            try (BitsUploadClient c = new BitsUploadClient(proxy.port())) {
                                BitsUploadClient.Answer last = c.upload("/in/file-" + n + ".bin", data, FRAGMENT);
                                assertEquals(200, last.status(), "upload " + n + ": " + last);
                            }
                            return sha256(data);
                        }));
                    }
                    for (Future<String> f : sent) {
                        f.get(120, TimeUnit.SECONDS);
                    }
                    peak = p.bytes();
                }
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                log.info("memory: {} concurrent uploads of {} MiB in {} MiB fragments: Netty allocator used {} MiB"
                        + " before, peak {} MiB; {} MiB in {} ms ({} MB/s)", UPLOADS, SIZE >> 20, FRAGMENT >> 20,
                        before >> 20, peak >> 20, ((long) UPLOADS * SIZE) >> 20, millis,
                        (long) UPLOADS * SIZE / 1000 / Math.max(1, millis));
                assertTrue(peak - before < BOUND / 2, "Netty allocator peak " + (peak >> 20) + " MiB, before "
                        + (before >> 20) + " MiB");

                for (int i = 0; i < UPLOADS; i++) {
                    int n = i;
                    byte[] stored = s3.client().getObjectAsBytes(r -> r.bucket("uploads").key("in/file-" + n + ".bin"))
                            .asByteArray();
                    assertEquals(SIZE, stored.length, "object " + n);
                    assertEquals(sent.get(i).get(), sha256(stored), "object " + n);
                }
                assertEquals(0, s3.client().listMultipartUploads(r -> r.bucket("uploads")).uploads().size(),
                        "no multipart upload left open");
            } finally {
                clients.shutdownNow();
                proxy.stop(java.time.Duration.ZERO);
            }
        }
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
