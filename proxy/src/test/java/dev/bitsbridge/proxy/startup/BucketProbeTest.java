package dev.bitsbridge.proxy.startup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.bitsbridge.proxy.startup.CheckResult.Status;
import org.junit.jupiter.api.Test;

/** S3's answers to the bucket listing, as the one line the operator reads (no S3 needed). */
class BucketProbeTest {

    static String error(String code, String message, String extra) {
        return "<?xml version=\"1.0\"?><Error><Code>" + code + "</Code><Message>" + message + "</Message>" + extra
                + "</Error>";
    }

    @Test
    void aWrongRegionNamesTheRightOne() {
        CheckResult redirect = BucketProbe.interpret(301, error("PermanentRedirect", "use the endpoint", ""),
                "eu-west-1", "b", "us-east-1");
        assertEquals("s3://b is in region eu-west-1, not us-east-1: set --region eu-west-1", redirect.detail());
        CheckResult malformed = BucketProbe.interpret(400, error("AuthorizationHeaderMalformed",
                "the region 'us-east-1' is wrong; expecting 'ap-south-1'", "<Region>ap-south-1</Region>"), null, "b",
                "us-east-1");
        assertEquals("s3://b is in region ap-south-1, not us-east-1: set --region ap-south-1", malformed.detail());
    }

    @Test
    void eachCommonFailureSaysWhatToDo() {
        assertEquals(Status.OK, BucketProbe.interpret(200, "", "us-east-1", "b", "us-east-1").status());
        CheckResult denied = BucketProbe.interpret(403, error("AccessDenied", "Access Denied", ""), null, "b", "us-east-1");
        assertEquals(Status.WARN, denied.status(), "GetObject may still be allowed: the proxy starts");
        assertEquals("the credentials have expired (ExpiredToken): renew them (aws sso login, a new session token)"
                + " and start again", BucketProbe.interpret(400, error("ExpiredToken", "expired", ""), null, "b",
                        "us-east-1").detail());
        assertEquals(Status.FAIL, BucketProbe.interpret(403, error("RequestTimeTooSkewed", "skew", ""), null, "b",
                "us-east-1").status());
        assertEquals("listing s3://b failed: S3 answered 500", BucketProbe.interpret(500, "", null, "b", "us-east-1")
                .detail());
    }
}
