package dev.bitsbridge.proxy.download;

import dev.bitsbridge.proxy.s3.S3Caller;

/** What every download needs from the server: the S3 caller and the range limit. Immutable. */
record DownloadContext(S3Caller caller, int maxRanges) {
}
