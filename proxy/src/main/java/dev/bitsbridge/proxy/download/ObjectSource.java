package dev.bitsbridge.proxy.download;

import dev.bitsbridge.proxy.s3.S3Caller;
import dev.bitsbridge.proxy.s3.S3Request;
import java.util.concurrent.CompletableFuture;

/**
 * Where one object's bytes come from and how to ask for them, per HTTP method. The download path
 * (ranges, conditionals, multipart, streaming) is the same whatever the source:
 * <ul>
 *   <li>bucket mode: a request signed by the proxy for its own method ({@link SignedObjectSource});</li>
 *   <li>a registered presigned GET URL: no credentials, HEAD emulated with a one-byte ranged GET;</li>
 *   <li>a URL vendor: a URL presigned for the exact method, fetched from the application's backend.</li>
 * </ul>
 * Implementations are immutable or thread-safe; futures may complete on any thread.
 */
public interface ObjectSource {

    /** The caller that sends this source's requests (signing, or anonymous for presigned URLs). */
    S3Caller caller();

    /**
     * The request for {@code method} ({@code GET} or {@code HEAD}), without Range or conditional
     * headers (the download adds those). {@code fresh} asks for a new URL after the previous one
     * expired. Fails with {@link SourceException} when no request can be made.
     */
    CompletableFuture<S3Request> request(String method, boolean fresh);

    /** True when only GET is possible (a URL presigned for GET): HEAD becomes GET + {@code Range: bytes=0-0}. */
    boolean headViaRangedGet();

    /** Whether {@link #request} with {@code fresh} can produce a newer URL than the one that expired. */
    boolean refreshable();

    /** The message for a client when S3 says the URL expired and it cannot be refreshed. */
    String expiredMessage();

    /**
     * The object as an operator names it ({@code s3://bucket/key}), for messages such as a 404's;
     * null where the proxy does not know it (a presigned or vended URL).
     */
    default String object() {
        return null;
    }

    /** A source that cannot give a request: its error and message for the client. */
    final class SourceException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final dev.bitsbridge.proxy.error.BridgeError error;

        public SourceException(dev.bitsbridge.proxy.error.BridgeError error, String message) {
            super(message, null, false, false);
            this.error = error;
        }

        public dev.bitsbridge.proxy.error.BridgeError error() {
            return error;
        }
    }
}
