package dev.bitsbridge.proxy.upload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.BitsUploadClient;
import dev.bitsbridge.proxy.testing.BitsUploadClient.Answer;
import dev.bitsbridge.proxy.testing.S3Server;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The upload quotas: sessions, spool bytes and fragment size are bounded, and each limit answers
 * with a BITS error that names it (503 where waiting helps, 413 where smaller fragments do); an
 * upload admitted within them arrives byte-exact.
 */
class UploadQuotaTest {

    static final int MIB = 1024 * 1024;
    static S3Server s3;

    @TempDir
    Path state;

    @BeforeAll
    static void s3() throws Exception {
        s3 = new S3Server();
        s3.createBucket("quota");
    }

    @AfterAll
    static void stop() throws Exception {
        s3.close();
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void sessionsSpoolAndFragmentsAreBounded() throws Exception {
        ProxyConfig config = ProxyConfig.builder().port(0).bucket("quota").endpoint(s3.endpoint()).stateDir(state)
                .allowUpload(true).uploadPartSize(5L * MIB).maxUploadSessions(2).maxFragmentSize(4L * MIB)
                .maxSpoolBytes(9L * MIB).build();
        byte[] a = random(7 * MIB, 1);
        byte[] b = random(7 * MIB, 2);
        try (BitsBridgeServer server = new BitsBridgeServer(config, s3.credentials()).start();
                BitsUploadClient c = new BitsUploadClient(server.port())) {
            String sa = c.createSession("/a.bin").header("BITS-Session-Id");
            String sb = c.createSession("/b.bin").header("BITS-Session-Id");
            Answer third = c.createSession("/c.bin");
            assertEquals(503, third.status(), "a third session is over --max-upload-sessions");
            assertTrue(third.header("X-Bitsbridge-Error").contains("--max-upload-sessions"));
            assertEquals("0x5", third.header("BITS-Error-Context"));

            Answer big = c.fragment("/a.bin", sa, a, 0, 4 * MIB + 1);
            assertEquals(413, big.status(), "over --max-fragment-size: BITS sends smaller fragments");
            assertTrue(big.header("X-Bitsbridge-Error").contains("--max-fragment-size"));

            assertEquals(200, c.fragment("/a.bin", sa, a, 0, 4 * MIB).status());
            assertEquals(200, c.fragment("/b.bin", sb, b, 0, 4 * MIB).status());
            Answer full = c.fragment("/a.bin", sa, a, 4 * MIB, 2 * MIB);
            assertEquals(503, full.status(), "8 MiB spooled + 2 MiB is over --max-spool-bytes 9M");
            assertTrue(full.header("X-Bitsbridge-Error").contains("--max-spool-bytes"), full.headers().toString());

            assertEquals(200, c.cancel("/b.bin", sb).status(), "cancelling frees its spool");
            Answer last = c.fragment("/a.bin", sa, a, 4 * MIB, 3 * MIB);
            assertEquals(200, last.status(), last.headers().toString());
            assertEquals(String.valueOf(a.length), last.header("BITS-Received-Content-Range"));
            assertEquals(200, c.createSession("/c.bin").status(), "a finished session no longer counts");
        }
        assertArrayEquals(a, s3.client().getObjectAsBytes(r -> r.bucket("quota").key("a.bin")).asByteArray());
    }
}
