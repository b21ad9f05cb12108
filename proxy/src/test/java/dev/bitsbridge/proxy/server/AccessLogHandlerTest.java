package dev.bitsbridge.proxy.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** One access-log line per request, with the fields an operator greps for and no query string. */
class AccessLogHandlerTest {

    private final Logger logger = (Logger) LoggerFactory.getLogger("bitsbridge.access");
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final EmbeddedChannel ch = new EmbeddedChannel(new AccessLogHandler());

    @BeforeEach
    void attach() {
        appender.start();
        logger.addAppender(appender);
    }

    @AfterEach
    void detach() {
        ch.finishAndReleaseAll();
        logger.detachAppender(appender);
    }

    private List<String> lines() {
        return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    private void request(HttpMethod method, String uri, String range) {
        DefaultFullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri);
        if (range != null) {
            req.headers().set("Range", range);
        }
        req.headers().set("User-Agent", "Microsoft BITS/7.8 \"quoted\"");
        ch.writeInbound(req);
        ((DefaultFullHttpRequest) ch.readInbound()).release();
    }

    private void drainOutbound() {
        Object o;
        while ((o = ch.readOutbound()) != null) {
            io.netty.util.ReferenceCountUtil.release(o);
        }
    }

    @Test
    void capabilityIdsInPathsAreLoggedAsShortHashes() {
        String id = "9f1c2b3a4d5e6f708192a3b4c5d6e7f8";
        request(HttpMethod.GET, "/_bitsbridge/l/" + id + "/setup.exe", null);
        ch.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
        drainOutbound();
        request(HttpMethod.DELETE, "/_bitsbridge/links/" + id, null);
        ch.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
        drainOutbound();
        assertEquals(2, lines().size(), lines().toString());
        for (String line : lines()) {
            assertFalse(line.contains(id), line);
            assertTrue(line.contains(dev.bitsbridge.proxy.state.LogIds.of("link", id)), line);
        }
        assertTrue(lines().get(0).contains("/setup.exe"), lines().get(0));
    }

    @Test
    void oneLinePerRequestWithoutQueryString() {
        request(HttpMethod.GET, "/dir/file.msi?X-Amz-Signature=secret&token=t", "bytes=0-4");
        ch.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.PARTIAL_CONTENT,
                Unpooled.wrappedBuffer(new byte[5])));
        drainOutbound();

        assertEquals(1, lines().size(), lines().toString());
        String line = lines().get(0);
        assertTrue(line.matches("GET /dir/file\\.msi 206 5 \\d+ms range=\"bytes=0-4\" ua=\"Microsoft BITS/7\\.8 'quoted'\" s3id=- client=-"),
                line);
        assertFalse(line.contains("secret") || line.contains("token") || line.contains("?"), line);
    }

    @Test
    void streamedBodyBytesAreCountedAndKeepAliveRequestsEachLogOnce() {
        request(HttpMethod.GET, "/big", null);
        ch.writeOutbound(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
        ch.writeOutbound(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[1000])));
        ch.writeOutbound(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[24])));
        assertEquals(0, lines().size(), "logged only when the response is complete");
        ch.writeOutbound(LastHttpContent.EMPTY_LAST_CONTENT);
        request(HttpMethod.HEAD, "/small", null);
        ch.writeOutbound(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
        ch.writeOutbound(new DefaultLastHttpContent());
        drainOutbound();

        assertEquals(2, lines().size(), lines().toString());
        assertTrue(lines().get(0).startsWith("GET /big 200 1024 "), lines().get(0));
        assertTrue(lines().get(0).contains("range=\"-\""), lines().get(0));
        assertTrue(lines().get(1).startsWith("HEAD /small 200 0 "), lines().get(1));
    }

    @Test
    void connectionClosedMidResponseIsLoggedAsAborted() {
        request(HttpMethod.GET, "/big", "bytes=100-");
        ch.writeOutbound(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.PARTIAL_CONTENT));
        ch.writeOutbound(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[10])));
        drainOutbound();
        ch.close();

        assertEquals(1, lines().size(), lines().toString());
        assertTrue(lines().get(0).startsWith("GET /big 206 10 "), lines().get(0));
        assertTrue(lines().get(0).endsWith(" aborted"), lines().get(0));
    }

    @Test
    void responseWithoutARequestIsLoggedWithDashes() {
        ch.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST,
                Unpooled.wrappedBuffer(new byte[3])));
        drainOutbound();
        assertEquals(1, lines().size());
        assertTrue(lines().get(0).startsWith("- - 400 3 "), lines().get(0));
    }

    @Test
    void pathOnlyTruncatesLongPaths() {
        assertEquals("/a", AccessLogHandler.pathOnly("/a?b"));
        String p = AccessLogHandler.pathOnly("/" + "x".repeat(2000));
        assertEquals(515, p.length());
        assertTrue(p.endsWith("..."));
    }
}
