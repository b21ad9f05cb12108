package dev.bitsbridge.proxy.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.bitsbridge.proxy.testing.ProxyFixture;
import dev.bitsbridge.proxy.testing.RawHttp;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * A failed request is explained in the log, not only counted: a line on {@code bitsbridge.failures}
 * with the method, path, status, the cause the client was told and S3's request id; and every
 * access line names the client's address (issue #17).
 */
class FailureLogTest {

    @RegisterExtension
    static final ProxyFixture fx = ProxyFixture.builder().bucket("failures").object("there.bin", new byte[10]).build();

    private final ListAppender<ILoggingEvent> failures = new ListAppender<>();
    private final ListAppender<ILoggingEvent> access = new ListAppender<>();

    @BeforeEach
    void capture() {
        failures.start();
        access.start();
        ((Logger) LoggerFactory.getLogger("bitsbridge.failures")).addAppender(failures);
        ((Logger) LoggerFactory.getLogger("bitsbridge.access")).addAppender(access);
    }

    @AfterEach
    void release() {
        ((Logger) LoggerFactory.getLogger("bitsbridge.failures")).detachAppender(failures);
        ((Logger) LoggerFactory.getLogger("bitsbridge.access")).detachAppender(access);
    }

    @Test
    void aFailedRequestIsLoggedWithItsCauseAndEveryAccessLineWithTheClient() throws Exception {
        assertEquals(200, RawHttp.exchange(fx.port(), RawHttp.get("/there.bin")).status());
        assertEquals(404, RawHttp.exchange(fx.port(), RawHttp.get("/missing.bin")).status());
        assertEquals(416, RawHttp.exchange(fx.port(), RawHttp.get("/there.bin", "Range: bytes=50-")).status());

        // An access line is written once the response's last write completes: just after the client read it.
        dev.bitsbridge.proxy.testing.Await.until(java.time.Duration.ofSeconds(5), () -> access.list.size() == 3,
                () -> access.list.toString());
        String lines = failures.list.stream().map(ILoggingEvent::getFormattedMessage).collect(Collectors.joining("\n"));
        assertTrue(lines.contains("GET /missing.bin failed with 404: "), lines);
        assertTrue(failures.list.stream().noneMatch(e -> e.getFormattedMessage().contains("/there.bin failed with 200")),
                "a success is no failure: " + lines);
        assertTrue(lines.contains("NoSuchKey") && lines.matches("(?s).*\\(s3id=[0-9A-F]+\\).*"),
                "S3's code, message and request id: " + lines);
        List<String> accessLines = access.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        for (String a : accessLines) {
            assertTrue(a.contains(" client=127.0.0.1"), a);
        }
    }
}
