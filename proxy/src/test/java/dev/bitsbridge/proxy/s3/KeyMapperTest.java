package dev.bitsbridge.proxy.s3;

import dev.bitsbridge.proxy.config.BucketNames;
import dev.bitsbridge.proxy.config.SharedStateConfig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.http.RequestPath.InvalidPathException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Request path to bucket/key, and confinement to the prefix. */
class KeyMapperTest {

    private final KeyMapper bucketMode = new KeyMapper("my-bucket", "pub/");
    private final KeyMapper pathMode = new KeyMapper(null, "pub/");

    @Test
    void bucketMode() throws Exception {
        assertTrue(bucketMode.bucketMode());
        assertEquals(new S3Location("my-bucket", "pub/a/b.msi"), bucketMode.map("/a/b.msi"));
        assertEquals(new S3Location("my-bucket", "pub/a b+c.txt"), bucketMode.map("/a%20b+c.txt"));
        assertEquals(new S3Location("my-bucket", "pub/a/b"), bucketMode.map("/a%2Fb"));
        assertEquals(new S3Location("my-bucket", "pub/%2F"), bucketMode.map("/%252F"));
        assertEquals(new S3Location("my-bucket", "pub/dir/"), bucketMode.map("/dir/"));
        assertEquals(new S3Location("my-bucket", "pub/...x/.y/..."), bucketMode.map("/...x/.y/..."));
        assertEquals(new S3Location("b", "k"), new KeyMapper("b", null).map("/k"));
        assertEquals(new S3Location("b", "k"), new KeyMapper("b", "").map("/k"));
    }

    @Test
    void theSharedStatesKeysAreRefusedWhereverARequestCouldNameThem() throws Exception {
        SharedStateConfig state = SharedStateConfig.OFF.withBucket("files");
        KeyMapper served = new KeyMapper("files", null).hidingState(state);
        for (String path : new String[] {"/.bitsbridge/state/share/secret/v000000000001", "/.bitsbridge/state/",
            "/.bitsbridge/state/uploads/ab/session/v000000000002", "/%2Ebitsbridge/state/links/x.json"}) {
            InvalidPathException e = assertThrows(InvalidPathException.class, () -> served.map(path), path);
            assertEquals("the proxy's shared state (--state-prefix) is not served", e.getMessage());
        }
        // Path mode names the state bucket itself, in any case.
        KeyMapper pathModeShared = new KeyMapper(null, null).hidingState(state);
        assertThrows(InvalidPathException.class, () -> pathModeShared.map("/files/.bitsbridge/state/share/admin-token/v1"));
        assertThrows(InvalidPathException.class, () -> pathModeShared.map("/FILES/.bitsbridge/state/share/admin-token/v1"));
        // Everything else still maps: other keys, the same prefix in another bucket, a --prefix that excludes it.
        assertEquals(new S3Location("files", ".bitsbridge/statement.pdf"), served.map("/.bitsbridge/statement.pdf"));
        assertEquals(new S3Location("files", "a/.bitsbridge/state/x"), served.map("/a/.bitsbridge/state/x"));
        assertEquals(new S3Location("other", ".bitsbridge/state/x"), pathModeShared.map("/other/.bitsbridge/state/x"));
        assertEquals(new S3Location("files", "pub/.bitsbridge/state/x"),
                new KeyMapper("files", "pub/").hidingState(state).map("/.bitsbridge/state/x"));
        // One machine: nothing is hidden.
        assertEquals(new S3Location("files", ".bitsbridge/state/x"),
                new KeyMapper("files", null).hidingState(SharedStateConfig.OFF).map("/.bitsbridge/state/x"));
    }

    @Test
    void pathMode() throws Exception {
        assertFalse(pathMode.bucketMode());
        assertFalse(new KeyMapper("", null).bucketMode());
        assertEquals(new S3Location("other.bucket", "pub/x/y.zip"), pathMode.map("/other.bucket/x/y.zip"));
        assertEquals(new S3Location("b_1", "pub/k"), pathMode.map("/b_1/k"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "/..", "/../x", "/a/../x", "/a/..", "/.", "/./x", "/a/./b", "/a/.",
        "/%2e%2e/x", "/%2E%2E/x", "/.%2e/x", "/a/%2e", "/..%2fx", "/a%2f..%2fb", "/a%2F.%2Fb",
        "/", "",                                    // no key
        "a/b",                                      // not a path
        "/a%zz", "/a%00b", "/a\u0001",              // not decodable
    })
    void bucketModeRefuses(String raw) {
        assertThrows(InvalidPathException.class, () -> bucketMode.map(raw));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "/bucket", "/bucket/", "//key", "/", "/../bucket/k", "/bucket/../k", "/bucket/%2e%2e/k",
        "/Bucket/k", "/ab/k", "/-bucket/k", "/bucket-/k", "/bu..cket/k", "/buck%20et/k",
        "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/k", "/bucket%2F..%2Fk",
    })
    void pathModeRefuses(String raw) {
        assertThrows(InvalidPathException.class, () -> pathMode.map(raw));
    }

    @Test
    void mapKeyForVendorMode() throws Exception {
        assertEquals("pub/a/b", pathMode.mapKey("/a/b"));
        assertThrows(InvalidPathException.class, () -> pathMode.mapKey("/"));
        assertThrows(InvalidPathException.class, () -> pathMode.mapKey("/a/%2e%2e/b"));
        assertThrows(InvalidPathException.class, () -> pathMode.mapKey("/.."));
    }

    @Test
    void bucketNames() {
        assertTrue(BucketNames.isValid("abc"));
        assertTrue(BucketNames.isValid("a".repeat(63)));
        assertTrue(BucketNames.isValid("my.bucket-1"));
        assertFalse(BucketNames.isValid("ab"));
        assertFalse(BucketNames.isValid("a".repeat(64)));
        assertFalse(BucketNames.isValid("ABC"));
        assertFalse(BucketNames.isValid(".abc"));
        assertFalse(BucketNames.isValid("abc-"));
        assertFalse(BucketNames.isValid("a..b"));
        assertFalse(BucketNames.isValid("a/b"));
        assertTrue(BucketNames.isDnsCompatible("my-bucket"));
        assertFalse(BucketNames.isDnsCompatible("my.bucket"));
        assertFalse(BucketNames.isDnsCompatible("my_bucket"));
    }
}
