package dev.bitsbridge.proxy.download;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.http.ContentRange;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class UpstreamChecksTest {

    static String problem(String contentRange, String contentLength) {
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.PARTIAL_CONTENT);
        if (!contentRange.isEmpty()) {
            r.headers().set("Content-Range", contentRange);
        }
        if (!contentLength.isEmpty()) {
            r.headers().set("Content-Length", contentLength);
        }
        return UpstreamChecks.partialProblem(r, ContentRange.parse(r.headers().get("Content-Range")));
    }

    @ParameterizedTest
    @CsvSource({"'bytes 0-9/36', 10", "'bytes 35-35/36', 1", "'bytes 0-9/36', ''"})
    void aCoherent206Passes(String cr, String cl) {
        assertNull(problem(cr, cl));
    }

    @ParameterizedTest
    @CsvSource({
        "'', 0",                 // no Content-Range
        "'bytes 0--1/0', 0",      // what a range of an empty object gets from some servers
        "'bytes */36', 0",        // the unsatisfied form on a 206
        "'bytes 0-9/5', 10",      // past the stated total
        "'bytes 0-9/36', 36",     // Content-Length of the whole object on a part
        "'bytes 0-9/36', 9",      // one byte short: would end early
        "'bytes 0-9/36', ten",
    })
    void aContradictory206IsNamed(String cr, String cl) {
        String p = problem(cr, cl);
        assertNotNull(p);
        assertTrue(p.startsWith("S3 answered 206"), p);
    }
}
