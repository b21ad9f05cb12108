package dev.bitsbridge.proxy.upload;

import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * The errors the upload protocol answers with: HTTP status, the HRESULT sent as
 * {@code BITS-Error-Code}, and the {@code BITS-Error-Context} (0x5 server, 0x7 server
 * application). BITS retries 5xx answers and gives up on 4xx ones.
 */
public enum BitsError {
    /** Uploads are not enabled on this proxy. */
    UPLOADS_DISABLED(HttpResponseStatus.NOT_IMPLEMENTED, 0x80070005, 0x5),
    /** A malformed packet (missing or bad headers). */
    INVALID_ARG(HttpResponseStatus.BAD_REQUEST, 0x80070057, 0x5),
    /** The path does not name an object that may be written. */
    ACCESS_DENIED(HttpResponseStatus.FORBIDDEN, 0x80070005, 0x7),
    /** The object exists and may not be overwritten (first upload wins). */
    FILE_EXISTS(HttpResponseStatus.CONFLICT, 0x80070050, 0x7),
    /** A fragment starts past the bytes received: 416, and the client resends from the offset given. */
    RANGE_GAP(HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE, 0x80070057, 0x5),
    /** Unknown session: the client starts again from Create-Session. */
    SESSION_NOT_FOUND(HttpResponseStatus.INTERNAL_SERVER_ERROR, 0x8020001F, 0x5),
    /** Over {@code --max-upload-size} or S3's object limit. */
    TOO_LARGE(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, 0x80200020, 0x5),
    /** No protocol in common. */
    PROTOCOL_NOT_SUPPORTED(HttpResponseStatus.BAD_REQUEST, 0x80070057, 0x5),
    /** The state folder cannot be written. */
    DISK_FULL(HttpResponseStatus.INTERNAL_SERVER_ERROR, 0x80070112, 0x5),
    /** S3 or the network failed; the client retries. */
    UPSTREAM(HttpResponseStatus.SERVICE_UNAVAILABLE, 0x80190000 + 503, 0x7),
    /** S3 refused an operation for good (4xx other than 408/429, or 501): retrying cannot help. */
    UPSTREAM_REFUSED(HttpResponseStatus.FORBIDDEN, 0x80190000 + 403, 0x7),
    /**
     * What S3 answered does not match what was sent (a part's ETag, the completed object's size or
     * ETag): the upload is discarded and the client told, permanently, rather than told "done".
     */
    NOT_VERIFIED(HttpResponseStatus.UNPROCESSABLE_ENTITY, 0x8007000D, 0x7),
    /** This proxy refuses uploads: the endpoint cannot guarantee exactly-once (see the message). */
    UPLOADS_REFUSED(HttpResponseStatus.FORBIDDEN, 0x80070005, 0x7),
    /** A session or spool quota is full for now; the client retries later. */
    BUSY(HttpResponseStatus.SERVICE_UNAVAILABLE, 0x80190000 + 503, 0x5),
    /** The session belongs to another object (its URL differs from the Create-Session's). */
    WRONG_SESSION(HttpResponseStatus.BAD_REQUEST, 0x80070057, 0x5),
    /** Anything else that went wrong on the proxy's side; the client retries. */
    INTERNAL(HttpResponseStatus.INTERNAL_SERVER_ERROR, 0x80004005, 0x5);

    private final HttpResponseStatus status;
    private final int hresult;
    private final int context;

    BitsError(HttpResponseStatus status, int hresult, int context) {
        this.status = status;
        this.hresult = hresult;
        this.context = context;
    }

    public HttpResponseStatus status() {
        return status;
    }

    public String code() {
        return String.format("0x%08X", hresult);
    }

    public String context() {
        return "0x" + Integer.toHexString(context);
    }
}
