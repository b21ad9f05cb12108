package dev.bitsbridge.proxy.links;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Not a test (not run by the build): 500 big links, then the time of 100 more (docs/security.md). */
class LinkStoreBench {

    @Test
    void fiveHundredBigLinksThenAHundredMore() throws Exception {
        Path dir = Files.createTempDirectory("linkbench");
        LinkStore store = new LinkStore(dir, java.time.Clock.systemUTC(), 0, java.time.Duration.ofDays(30));
        String big = "https://apps.s3.amazonaws.com/setup.exe?X-Amz-Date=20261201T000000Z&X-Amz-Expires=604800&X-Amz-Security-Token="
                + "A".repeat(63_000);
        PresignedUrl url = PresignedUrl.parse(big);
        for (int i = 0; i < 500; i++) {
            store.create(url, "setup.exe", null);
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < 100; i++) {
            store.create(url, "setup.exe", null);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        long bytes;
        try (var s = Files.walk(dir)) {
            bytes = s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
        System.out.println("BENCH 100 creates after 500: " + ms + " ms; state bytes " + bytes);
    }
}
