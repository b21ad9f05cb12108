package dev.bitsbridge.proxy.s3;

import dev.bitsbridge.proxy.upstream.UpstreamEndpoint;

/**
 * A fully addressed S3 request target: the endpoint to connect to and the encoded path to send
 * (and sign), for one object.
 */
public record S3Target(UpstreamEndpoint endpoint, String encodedPath) {
}
