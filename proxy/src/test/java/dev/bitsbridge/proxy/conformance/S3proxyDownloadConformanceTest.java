package dev.bitsbridge.proxy.conformance;

/** The download cases against s3proxy. */
class S3proxyDownloadConformanceTest extends DownloadConformance {

    @Override
    ConformanceUpstream startUpstream() throws Exception {
        return ConformanceUpstream.s3proxy();
    }
}
