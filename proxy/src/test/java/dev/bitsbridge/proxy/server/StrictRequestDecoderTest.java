package dev.bitsbridge.proxy.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the decoder hands up the pipeline: a bodyless request as one whole message (pipelined ones
 * each whole, in order), a request with a body as its head and then its contents, both framings
 * kept for the guard to refuse.
 */
class StrictRequestDecoderTest {

    private final EmbeddedChannel ch = new EmbeddedChannel(new StrictRequestDecoder(4096, 8192));

    @AfterEach
    void finish() {
        ch.finishAndReleaseAll();
    }

    private void send(String raw) {
        ch.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
    }

    @Test
    void bodylessRequestsArriveWholeOneMessageEachInOrder() {
        send("GET /a HTTP/1.1\r\nHost: h\r\nRange: bytes=0-9\r\n\r\nHEAD /b HTTP/1.1\r\nHost: h\r\n\r\n");

        FullHttpRequest a = assertInstanceOf(FullHttpRequest.class, ch.readInbound());
        assertEquals("/a", a.uri());
        assertEquals("bytes=0-9", a.headers().get("Range"));
        assertEquals(0, a.content().readableBytes());
        assertTrue(a.decoderResult().isSuccess());
        a.release();
        FullHttpRequest b = assertInstanceOf(FullHttpRequest.class, ch.readInbound());
        assertEquals("HEAD", b.method().name());
        assertEquals("/b", b.uri());
        b.release();
        assertNull(ch.readInbound());
    }

    @Test
    void aRequestWithABodyIsItsHeadThenItsContent() {
        send("PUT /k HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello");

        HttpRequest head = assertInstanceOf(HttpRequest.class, ch.readInbound());
        assertFalse(head instanceof HttpContent, "the head alone: the body is read on demand");
        LastHttpContent body = assertInstanceOf(LastHttpContent.class, ch.readInbound());
        assertEquals("hello", body.content().toString(StandardCharsets.US_ASCII));
        body.release();
        assertNull(ch.readInbound());
    }

    @Test
    void bothFramingsAreKeptAndAMalformedHeadIsNotMerged() {
        send("POST /k HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n");
        HttpRequest both = assertInstanceOf(HttpRequest.class, ch.readInbound());
        assertEquals("3", both.headers().get("Content-Length"));
        assertTrue(both.headers().contains("Transfer-Encoding"));
        io.netty.util.ReferenceCountUtil.release(both);
        ch.finishAndReleaseAll();

        EmbeddedChannel bad = new EmbeddedChannel(new StrictRequestDecoder(4096, 8192));
        bad.writeInbound(Unpooled.copiedBuffer("GET /k HTTP/1.1\r\nBad Header\r\n\r\n", StandardCharsets.ISO_8859_1));
        HttpRequest r = assertInstanceOf(HttpRequest.class, bad.readInbound());
        assertTrue(r.decoderResult().isFailure(), "a failed head goes up as Netty made it, for the guard's 400");
        io.netty.util.ReferenceCountUtil.release(r);
        bad.finishAndReleaseAll();
    }
}
