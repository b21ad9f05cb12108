package dev.bitsbridge.proxy.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The build's log audit finds each kind of secret and leak report, and passes clean logs. */
class LogAuditTest {

    @Test
    void findsEachKindOfSecretAndLeakReportWithFileAndLine(@TempDir Path dir) throws Exception {
        List<String> bad = List.of(
                "signing with secret-" + UUID.randomUUID(),
                "GET /b/k?X-Amz-Signature=abc",
                "Authorization: AWS4-HMAC-SHA256 Credential=AKID/..., Signature=0123456789abcdef0123",
                "x-amz-security-token present: X-Amz-Security-Token",
                "key SIGSECRET", "key TOKSECRET", "SECRET-TOKEN", "wJalrXUtnFEMI/K7MDENG",
                "GET /setup.exe?token=v1.eyJrIjoic2V0dXAuZXhlIiwiZSI6MTc.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        Files.write(dir.resolve("a.log"), bad);
        Files.write(dir.resolve("b.log"), List.of("clean", "ERROR i.n.util.ResourceLeakDetector - LEAK: ByteBuf.release()"
                + " was not called before it's garbage-collected."));
        Files.write(dir.resolve("ignored.txt"), List.of("secret-" + UUID.randomUUID()));
        LogAudit.Result r = LogAudit.audit(dir);
        assertEquals(bad.size(), r.secrets().size(), r.secrets().toString());
        assertTrue(r.secrets().get(0).startsWith("a.log:1: "), r.secrets().get(0));
        assertEquals(List.of("b.log:2: ERROR i.n.util.ResourceLeakDetector - LEAK: ByteBuf.release() was not called"
                + " before it's garbage-collected."), r.leaks());
        assertEquals(2, r.files());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> LogAudit.main(new String[] {dir.toString()}));
        assertTrue(e.getMessage().contains("b.log:2"), e.getMessage());
    }

    @Test
    void passesCleanLogsAndAMissingFolder(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("run.log"), List.of("GET /setup.exe 200 1048576 bytes", "token=[redacted]",
                "Signature=<redacted>", "v1.short.mac"));
        assertTrue(LogAudit.audit(dir).clean());
        assertEquals(2 + 2, LogAudit.audit(dir).lines());
        assertTrue(LogAudit.audit(dir.resolve("none")).clean());
        LogAudit.main(new String[] {dir.toString()});
    }
}
