package dev.bitsbridge.proxy.upload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.config.SharedStateConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;
import dev.bitsbridge.proxy.testing.BitsUploadClient;
import dev.bitsbridge.proxy.testing.BitsUploadClient.Answer;
import dev.bitsbridge.proxy.testing.ProxyFixture;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * The figure of docs/scale-out.md: a 256 MiB BITS upload on loopback into s3proxy, local mode
 * against shared mode (one instance, and three in rotation), same run, same machine. A benchmark,
 * not a test: runs only with {@code -Dbitsbridge.bench=true}, prints its figures, asserts only that
 * each object is byte-exact.
 */
@EnabledIfSystemProperty(named = "bitsbridge.bench", matches = "true")
class SharedUploadBench {

    static final int MIB = 1024 * 1024;

    @RegisterExtension
    static final ProxyFixture fx = ProxyFixture.builder().bucket("bench").withoutProxy().build();

    List<BitsBridgeServer> start(int n, boolean shared) throws Exception {
        List<BitsBridgeServer> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ProxyConfig.Builder b = ProxyConfig.builder().port(0).bucket("bench").endpoint(fx.s3().endpoint())
                    .stateDir(fx.newDir()).allowUpload(true).maxSpoolBytes(4L * 1024 * MIB);
            if (shared) {
                b.sharedState(new SharedStateConfig("bench-state", null, Duration.ofSeconds(10)));
            }
            out.add(new BitsBridgeServer(b.build(), fx.s3().credentials()).start());
        }
        return out;
    }

    double run(String name, int instances, boolean shared, byte[] data, int fragment) throws Exception {
        List<BitsBridgeServer> servers = start(instances, shared);
        List<BitsUploadClient> clients = new ArrayList<>();
        for (BitsBridgeServer s : servers) {
            clients.add(new BitsUploadClient(s.port()));
        }
        String path = "/" + name + ".bin";
        long t0 = System.nanoTime();
        try {
            String session = clients.get(0).createSession(path).header("BITS-Session-Id");
            int i = 0;
            for (int off = 0; off < data.length; i++) {
                int n = Math.min(fragment, data.length - off);
                Answer a = clients.get(i % clients.size()).fragment(path, session, data, off, n);
                assertEquals(200, a.status(), a.headers().toString());
                off += n;
            }
            assertEquals(200, clients.get(i % clients.size()).close(path, session).status());
        } finally {
            for (BitsUploadClient c : clients) {
                c.close();
            }
            for (BitsBridgeServer s : servers) {
                s.close();
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (ResponseInputStream<GetObjectResponse> in = fx.s3().client().getObject(r -> r.bucket("bench").key(name + ".bin"))) {
            byte[] buf = new byte[MIB];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(data), md.digest(), name + " byte-exact");
        System.out.printf("BENCH %-34s %6.1f s %7.1f MB/s%n", name, seconds, data.length / 1e6 / seconds);
        return seconds;
    }

    @Test
    void twoHundredFiftySixMiB() throws Exception {
        fx.s3().createBucket("bench-state");
        byte[] data = new byte[256 * MIB];
        new Random(7).nextBytes(data);
        run("warm-up-local", 1, false, new byte[32 * MIB], 4 * MIB);
        run("warm-up-shared", 1, true, new byte[32 * MIB], 4 * MIB);
        for (int round = 1; round <= 2; round++) {
            run("local-4MiB-fragments-r" + round, 1, false, data, 4 * MIB);
            run("shared-1-instance-4MiB-r" + round, 1, true, data, 4 * MIB);
            run("shared-3-instances-4MiB-r" + round, 3, true, data, 4 * MIB);
            run("shared-3-instances-8MiB-r" + round, 3, true, data, 8 * MIB);
        }
    }
}
