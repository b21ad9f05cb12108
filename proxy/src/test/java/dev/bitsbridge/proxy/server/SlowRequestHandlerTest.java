package dev.bitsbridge.proxy.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The request-head timer, driven by EmbeddedChannel's virtual clock. */
class SlowRequestHandlerTest {

    private static final long TIMEOUT_MS = 10_000;

    private final SlowRequestHandler handler = new SlowRequestHandler(TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS));
    private final EmbeddedChannel ch = new EmbeddedChannel(handler);

    @AfterEach
    void finish() {
        ch.finishAndReleaseAll();
    }

    private void bytes(String s) {
        ch.writeInbound(Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII));
        ((ByteBuf) ch.readInbound()).release();
    }

    private void advance(long ms) {
        ch.advanceTimeBy(ms, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
    }

    @Test
    void incompleteHeadGets408AndTheConnectionCloses() {
        bytes("GET /k HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        advance(TIMEOUT_MS - 1);
        assertNull(ch.readOutbound(), "not before the timeout");
        assertTrue(ch.isOpen());
        advance(1);
        FullHttpResponse r = ch.readOutbound();
        try {
            assertEquals(408, r.status().code());
            assertEquals("close", r.headers().get("Connection"));
        } finally {
            r.release();
        }
        ch.runPendingTasks();
        assertFalse(ch.isOpen());
    }

    @Test
    void laterBytesDoNotRestartTheTimer() {
        bytes("GET /k HTTP/1.1\r\n");
        advance(TIMEOUT_MS / 2);
        bytes("Host: 1");
        advance(TIMEOUT_MS / 2);
        FullHttpResponse r = ch.readOutbound();
        assertEquals(408, r.status().code());
        r.release();
    }

    @Test
    void aKeepAliveRequestRightAfterAnotherGetsItsWholeTimeFromTheTimerLeftArmed() {
        bytes("GET /k HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        handler.requestReceived();
        handler.responseDone();
        advance(TIMEOUT_MS / 2); // the first head's timer is still armed, for half the timeout
        bytes("GET /k2 HTTP/1.1\r\n");
        advance(TIMEOUT_MS / 2);
        assertNull(ch.readOutbound(), "the timer fired for the first head's time: re-armed for what the second has left");
        assertTrue(ch.isOpen());
        advance(TIMEOUT_MS / 2 - 1);
        assertNull(ch.readOutbound());
        advance(1);
        FullHttpResponse r = ch.readOutbound();
        assertEquals(408, r.status().code());
        r.release();
    }

    @Test
    void aReceivedHeadCancelsTheTimerAndTheNextRequestGetsAFreshOne() {
        bytes("GET /k HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        handler.requestReceived();
        advance(TIMEOUT_MS * 3);
        assertNull(ch.readOutbound(), "a slow response is not a slow request");
        assertTrue(ch.isOpen());

        handler.responseDone();
        advance(TIMEOUT_MS * 3); // idle keep-alive: not this handler's business
        assertNull(ch.readOutbound());

        bytes("GET /k2 HTTP/1.1\r\n");
        advance(TIMEOUT_MS);
        FullHttpResponse r = ch.readOutbound();
        assertEquals(408, r.status().code());
        r.release();
    }
}
