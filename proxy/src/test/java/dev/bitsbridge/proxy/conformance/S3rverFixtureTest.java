package dev.bitsbridge.proxy.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.bitsbridge.proxy.testing.S3rver;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The s3rver fixture starts, takes an object and gives the same bytes back. */
class S3rverFixtureTest {

    @Test
    void storesAndReturnsAnObject() throws Exception {
        try (S3rver s = new S3rver("conf")) {
            byte[] data = "hello from s3rver\n".getBytes(StandardCharsets.UTF_8);
            s.put("conf", "a/b.txt", data, "text/plain");
            assertArrayEquals(data, s.client().getObjectAsBytes(b -> b.bucket("conf").key("a/b.txt")).asByteArray());
        }
    }
}
