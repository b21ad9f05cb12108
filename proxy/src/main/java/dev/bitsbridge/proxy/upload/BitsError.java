package dev.bitsbridge.proxy.upload;

import dev.bitsbridge.proxy.error.BridgeError;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * How the upload protocol writes an error: each is one of the proxy's {@link BridgeError}s (which
 * gives the HTTP status and its meaning) plus the HRESULT sent as {@code BITS-Error-Code} and the
 * {@code BITS-Error-Context} (0x5 server, 0x7 server application). BITS retries 5xx answers and
 * gives up on 4xx ones, so the status chosen here decides whether a client keeps trying.
 */
public enum BitsError {
    /** Uploads are not enabled on this proxy. */
    UPLOADS_DISABLED(BridgeError.NOT_IMPLEMENTED, 0x80070005, 0x5),
    /** A malformed packet (missing or bad headers). */
    INVALID_ARG(BridgeError.BAD_REQUEST, 0x80070057, 0x5),
    /** The path does not name an object that may be written. */
    ACCESS_DENIED(BridgeError.ACCESS_DENIED, 0x80070005, 0x7),
    /** The object exists and may not be overwritten (first upload wins). */
    FILE_EXISTS(BridgeError.ALREADY_EXISTS, 0x80070050, 0x7),
    /** A fragment starts past the bytes received: 416, and the client resends from the offset given. */
    RANGE_GAP(BridgeError.RANGE_NOT_SATISFIABLE, 0x80070057, 0x5),
    /** Unknown session: the client starts again from Create-Session. */
    SESSION_NOT_FOUND(BridgeError.INTERNAL_ERROR, 0x8020001F, 0x5),
    /** Over {@code --max-upload-size} or S3's object limit. */
    TOO_LARGE(BridgeError.PAYLOAD_TOO_LARGE, 0x80200020, 0x5),
    /** No protocol in common. */
    PROTOCOL_NOT_SUPPORTED(BridgeError.BAD_REQUEST, 0x80070057, 0x5),
    /** The state folder cannot be written. */
    DISK_FULL(BridgeError.STATE_NOT_WRITTEN, 0x80070112, 0x5),
    /** S3 or the network failed; the client retries. */
    UPSTREAM(BridgeError.UPSTREAM_UNAVAILABLE, 0x80190000 + 503, 0x7),
    /** S3 refused an operation for good (4xx other than 408/429, or 501): retrying cannot help. */
    UPSTREAM_REFUSED(BridgeError.UPSTREAM_REFUSED, 0x80190000 + 403, 0x7),
    /**
     * What S3 answered does not match what was sent (a part's ETag, the completed object's size or
     * ETag): the upload is discarded and the client told, permanently, rather than told "done".
     */
    NOT_VERIFIED(BridgeError.NOT_VERIFIED, 0x8007000D, 0x7),
    /** This proxy refuses uploads: the endpoint cannot guarantee exactly-once (see the message). */
    UPLOADS_REFUSED(BridgeError.ACCESS_DENIED, 0x80070005, 0x7),
    /** A session or spool quota is full for now; the client retries later. */
    BUSY(BridgeError.OVERLOADED, 0x80190000 + 503, 0x5),
    /** The session belongs to another object (its URL differs from the Create-Session's). */
    WRONG_SESSION(BridgeError.BAD_REQUEST, 0x80070057, 0x5),
    /** Anything else that went wrong on the proxy's side; the client retries. */
    INTERNAL(BridgeError.INTERNAL_ERROR, 0x80004005, 0x5);

    private final BridgeError error;
    private final int hresult;
    private final int context;

    BitsError(BridgeError error, int hresult, int context) {
        this.error = error;
        this.hresult = hresult;
        this.context = context;
    }

    /** The proxy's error this is. */
    public BridgeError error() {
        return error;
    }

    public HttpResponseStatus status() {
        return error.status();
    }

    public String code() {
        return String.format("0x%08X", hresult);
    }

    public String context() {
        return "0x" + Integer.toHexString(context);
    }
}
