package dev.bitsbridge.proxy.upload;

import java.util.Map;

/**
 * The answer to one BITS upload packet: an error with its message, or the headers of the Ack.
 * Immutable. Its own file so that the classes that produce answers (the part pipeline, the
 * upstream-failure mapping, the quotas) need not reach into {@code UploadService}.
 */
public record Reply(BitsError error, String message, Map<String, String> headers) {

    static Reply ok(Map<String, String> headers) {
        return new Reply(null, null, headers);
    }

    static Reply fail(BitsError error, String message) {
        return new Reply(error, message, Map.of());
    }
}
