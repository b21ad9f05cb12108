package dev.bitsbridge.proxy.conformance;

/** The download cases against s3rver (skipped with a message where s3rver is not installed). */
class S3rverDownloadConformanceTest extends DownloadConformance {

    @Override
    ConformanceUpstream startUpstream() throws Exception {
        return ConformanceUpstream.s3rver();
    }
}
