package dev.bitsbridge.proxy.share;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The token decisions, with a fixed clock: no server, no network. */
class ShareLinksTest {

    static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");

    @TempDir
    Path dir;

    private ShareLinks at(Instant t) throws Exception {
        return new ShareLinks(ShareSecret.open(dir), Clock.fixed(t, ZoneOffset.UTC));
    }

    @Test
    void aTokenAdmitsItsPathUntilItsExpirySecond() throws Exception {
        ShareLinks l = at(NOW);
        ShareToken t = l.newToken("/dir/a b.txt", Duration.ofMinutes(10), true, false);
        assertEquals("dir/a b.txt", t.path());
        String s = l.sign(t);
        ShareLinks.Check ok = l.check(s, "dir/a b.txt", false);
        assertNull(ok.refusal());
        assertEquals(t, ok.token());
        assertNull(at(NOW.plusSeconds(599)).check(s, "dir/a b.txt", false).refusal());
        assertEquals(ShareLinks.Refusal.EXPIRED, at(NOW.plusSeconds(600)).check(s, "dir/a b.txt", false).refusal());
        assertEquals(ShareLinks.Refusal.OTHER_PATH, l.check(s, "dir/a b.txt2", false).refusal());
        assertEquals(ShareLinks.Refusal.WRONG_USE, l.check(s, "dir/a b.txt", true).refusal());
        assertEquals(ShareLinks.Refusal.MISSING, l.check(null, "x", false).refusal());
    }

    @Test
    void anyChangedCharacterIsRefused() throws Exception {
        ShareLinks l = at(NOW);
        String s = l.sign(l.newToken("setup.exe", Duration.ofHours(1), false, false));
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            String changed = s.substring(0, i) + (c == 'x' ? 'y' : 'x') + s.substring(i + 1);
            ShareLinks.Refusal r = l.check(changed, "setup.exe", false).refusal();
            assertTrue(r == ShareLinks.Refusal.BAD_SIGNATURE || r == ShareLinks.Refusal.MALFORMED,
                    "position " + i + ": " + r);
        }
        // The MAC's last character carries 2 spare bits: a twin that decodes to the same bytes.
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        int last = alphabet.indexOf(s.charAt(s.length() - 1));
        String twin = s.substring(0, s.length() - 1) + alphabet.charAt(last ^ 1);
        assertEquals(ShareLinks.Refusal.MALFORMED, l.check(twin, "setup.exe", false).refusal(), twin);
        assertEquals(ShareLinks.Refusal.MALFORMED, l.check("v1.abc", "setup.exe", false).refusal());
        assertEquals(ShareLinks.Refusal.MALFORMED, l.check("v2.a.b", "setup.exe", false).refusal());
        assertEquals(ShareLinks.Refusal.MALFORMED, l.check("v1.a b.c", "setup.exe", false).refusal());
    }

    @Test
    void rotationKeepsThePreviousKeyOnlyWhenAsked() throws Exception {
        ShareLinks l = at(NOW);
        String before = l.sign(l.newToken("setup.exe", Duration.ofHours(1), false, false));
        ShareSecret.rotate(dir, true);
        ShareLinks after = at(NOW);
        assertNull(after.check(before, "setup.exe", false).refusal(), "previous key still verifies");
        String newer = after.sign(after.newToken("setup.exe", Duration.ofHours(1), false, false));
        ShareSecret.rotate(dir, false);
        ShareLinks last = at(NOW);
        assertEquals(ShareLinks.Refusal.BAD_SIGNATURE, last.check(before, "setup.exe", false).refusal());
        assertEquals(ShareLinks.Refusal.BAD_SIGNATURE, last.check(newer, "setup.exe", false).refusal());
    }

    @Test
    void theSecretFileIsOwnerOnlyAndSharedByConcurrentFirstUses() throws Exception {
        ShareSecret a = ShareSecret.open(dir);
        ShareSecret b = ShareSecret.open(dir);
        assertTrue(java.util.Arrays.equals(a.signingKey(), b.signingKey()));
        Path f = dir.resolve(ShareSecret.FILE);
        if (Files.getFileStore(f).supportsFileAttributeView("posix")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        }
    }

    @Test
    void lifetimesAreBounded() throws Exception {
        ShareLinks l = at(NOW);
        assertThrows(IllegalArgumentException.class, () -> l.newToken("a", Duration.ZERO, false, false));
        assertThrows(IllegalArgumentException.class, () -> l.newToken("a", Duration.ofDays(400), false, false));
    }
}
