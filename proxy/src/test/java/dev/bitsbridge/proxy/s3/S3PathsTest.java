package dev.bitsbridge.proxy.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Key encoding for S3 request paths (and thus for the SigV4 canonical URI). */
class S3PathsTest {

    @Test
    void unreservedAndSlashAreKept() {
        assertEquals("a/b/C-9_.~x", S3Paths.encodeKey("a/b/C-9_.~x"));
        assertEquals("a//b/", S3Paths.encodeKey("a//b/"));
    }

    @Test
    void awkwardCharactersAreEncodedOnce() {
        assertEquals("my%20file.txt", S3Paths.encodeKey("my file.txt"));
        assertEquals("%2B%3D%26%40%27%28%29%25", S3Paths.encodeKey("+=&@'()%"));
        assertEquals("a%252Fb", S3Paths.encodeKey("a%2Fb"));
        assertEquals("%3F%23%5B%5D%21%24%2A%2C%3B%3A", S3Paths.encodeKey("?#[]!$*,;:"));
        assertEquals("%5C%22%3C%3E%7B%7D%7C%5E%60", S3Paths.encodeKey("\\\"<>{}|^`"));
    }

    @Test
    void unicodeIsUtf8PercentEncodedUppercase() {
        assertEquals("caf%C3%A9", S3Paths.encodeKey("caf\u00e9"));
        assertEquals("%E6%97%A5%E6%9C%AC/%F0%9F%98%80", S3Paths.encodeKey("\u65e5\u672c/\ud83d\ude00"));
        assertEquals("%7F%01", S3Paths.encodeKey("\u007f\u0001"));
    }

    @Test
    void queryComponentsAlsoEncodeSlash() {
        assertEquals("a%2Fb%20c%3D", S3Paths.encodeQueryComponent("a/b c="));
        assertEquals("AZaz09-_.~", S3Paths.encodeQueryComponent("AZaz09-_.~"));
    }
}
