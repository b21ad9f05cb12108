package dev.bitsbridge.proxy.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.error.BridgeError;
import dev.bitsbridge.proxy.s3.S3Errors.S3Error;
import org.junit.jupiter.api.Test;

/** S3 XML error bodies and their mapping to client errors. */
class S3ErrorsTest {

    private static final String NO_SUCH_KEY = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>\
            <Key>a&amp;b</Key><RequestId>4442587FB7D0A2F9</RequestId></Error>""";

    private static final String WRONG_REGION = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>AuthorizationHeaderMalformed</Code><Message>The authorization header is \
            malformed; the region &apos;us-east-1&apos; is wrong; expecting &apos;eu-west-1&apos;</Message>\
            <Region>eu-west-1</Region><RequestId>1</RequestId></Error>""";

    @Test
    void parsesCodeAndMessage() {
        S3Error e = S3Errors.parse(404, NO_SUCH_KEY);
        assertEquals(new S3Error(404, "NoSuchKey", "The specified key does not exist."), e);
        assertEquals("NoSuchKey: The specified key does not exist.", S3Errors.describe(e));
    }

    @Test
    void unescapesXmlEntities() {
        S3Error e = S3Errors.parse(400, WRONG_REGION);
        assertEquals("AuthorizationHeaderMalformed", e.code());
        assertTrue(e.message().contains("the region 'us-east-1' is wrong"), e.message());
        assertEquals("x<y>&\"", S3Errors.parse(400, "<Code>x&lt;y&gt;&amp;&quot;</Code>").code());
        // &amp; is unescaped last, so "&amp;lt;" is the literal text "&lt;", not "<".
        assertEquals("&lt;", S3Errors.parse(400, "<Code>&amp;lt;</Code>").code());
    }

    @Test
    void emptyOrForeignBodies() {
        assertEquals(new S3Error(403, null, null), S3Errors.parse(403, null));
        assertEquals(new S3Error(403, null, null), S3Errors.parse(403, ""));
        assertEquals(new S3Error(502, null, null), S3Errors.parse(502, "<html>Bad Gateway</html>"));
        assertNull(S3Errors.describe(new S3Error(403, null, null)));
        assertEquals("only message", S3Errors.describe(new S3Error(500, null, "only message")));
        assertEquals("OnlyCode", S3Errors.describe(new S3Error(500, "OnlyCode", null)));
    }

    @Test
    void regionFromHeaderOrBody() {
        assertEquals("eu-west-1", S3Errors.region(WRONG_REGION, null));
        assertEquals("ap-south-1", S3Errors.region(WRONG_REGION, "ap-south-1"));
        assertEquals("eu-west-1", S3Errors.region(WRONG_REGION, ""));
        assertNull(S3Errors.region(NO_SUCH_KEY, null));
        assertNull(S3Errors.region(null, null));
        assertNull(S3Errors.region("<Region>EU West</Region>", null));
    }

    @Test
    void mapping() {
        assertEquals(BridgeError.NO_SUCH_KEY, S3Errors.map(new S3Error(404, "NoSuchKey", null)));
        assertEquals(BridgeError.NO_SUCH_KEY, S3Errors.map(new S3Error(404, null, null)));
        assertEquals(BridgeError.NO_SUCH_BUCKET, S3Errors.map(new S3Error(404, "NoSuchBucket", null)));
        assertEquals(BridgeError.ACCESS_DENIED, S3Errors.map(new S3Error(403, "AccessDenied", null)));
        assertEquals(BridgeError.ACCESS_DENIED, S3Errors.map(new S3Error(401, null, null)));
        for (int s : new int[] {500, 502, 503, 504}) {
            assertEquals(BridgeError.UPSTREAM_UNAVAILABLE, S3Errors.map(new S3Error(s, "SlowDown", null)), "" + s);
            assertTrue(S3Errors.retryable(s));
        }
        assertEquals(BridgeError.UPSTREAM_ERROR, S3Errors.map(new S3Error(400, "InvalidArgument", null)));
        assertEquals(BridgeError.UPSTREAM_ERROR, S3Errors.map(new S3Error(501, "NotImplemented", null)));
        assertEquals(BridgeError.UPSTREAM_ERROR, S3Errors.map(new S3Error(301, "PermanentRedirect", null)));
        assertFalse(S3Errors.retryable(400));
        assertFalse(S3Errors.retryable(403));
        assertFalse(S3Errors.retryable(501));
    }
}
