package dev.bitsbridge.proxy.error;

import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Every error the proxy answers with, before response headers were sent: the status and the
 * default message a client sees. (After headers were sent there is no status to give: the
 * connection is closed so the short body cannot look complete.)
 *
 * <p>The one vocabulary of errors. How an error is written depends on who asked:
 * {@link ErrorResponses#text} for downloads and plain clients, {@link ErrorResponses#json} for
 * the proxy's own JSON endpoints, and BITS headers for upload answers ({@code upload.BitsError}
 * names the BITS code for each of these). Nothing else decides an error's status.
 */
public enum BridgeError {
    BAD_REQUEST(HttpResponseStatus.BAD_REQUEST, "the request is not valid HTTP"),
    INVALID_PATH(HttpResponseStatus.BAD_REQUEST, "the request path is not valid"),
    INVALID_BODY(HttpResponseStatus.BAD_REQUEST, "the request body is not valid"),
    AMBIGUOUS_LENGTH(HttpResponseStatus.BAD_REQUEST, "Content-Length and Transfer-Encoding together are refused"),
    ACCESS_DENIED(HttpResponseStatus.FORBIDDEN, "access denied by S3"),
    FORBIDDEN_ORIGIN(HttpResponseStatus.FORBIDDEN, "cross-site requests are not allowed from this origin"),
    TOKEN_REQUIRED(HttpResponseStatus.UNAUTHORIZED, "this proxy needs a share-link token"),
    TOKEN_REFUSED(HttpResponseStatus.FORBIDDEN, "the share-link token does not allow this request"),
    LINK_BUSY(HttpResponseStatus.CONFLICT,
            "this one-time link is in use by another download; retry when that one ends"),
    LINK_GONE(HttpResponseStatus.GONE, "this share link is no longer valid"),
    LOOPBACK_ONLY(HttpResponseStatus.FORBIDDEN,
            "with --require-token the proxy's own endpoints answer clients on this machine only"),
    ADMIN_TOKEN_REQUIRED(HttpResponseStatus.UNAUTHORIZED,
            "this endpoint needs the admin token: Authorization: Bearer <contents of <state-dir>/admin-token>"),
    ADMIN_TOKEN_REFUSED(HttpResponseStatus.FORBIDDEN, "the admin token is not valid"),
    JSON_REQUIRED(HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE, "the body must be sent as Content-Type: application/json"),
    NO_SUCH_KEY(HttpResponseStatus.NOT_FOUND, "no such object"),
    NOT_FOUND(HttpResponseStatus.NOT_FOUND, "not found"),
    LINK_LIMIT(HttpResponseStatus.INSUFFICIENT_STORAGE,
            "the link limit (--max-links) is reached: delete links or wait for them to expire"),
    ALREADY_EXISTS(HttpResponseStatus.CONFLICT, "the object already exists and may not be overwritten"),
    NOT_VERIFIED(HttpResponseStatus.UNPROCESSABLE_ENTITY, "what S3 stored does not match what was sent"),
    UPSTREAM_REFUSED(HttpResponseStatus.FORBIDDEN, "S3 refused the operation"),
    NO_SUCH_BUCKET(HttpResponseStatus.NOT_FOUND, "no such bucket"),
    METHOD_NOT_ALLOWED(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed"),
    REQUEST_TIMEOUT(HttpResponseStatus.REQUEST_TIMEOUT, "the request was not received in time"),
    PRECONDITION_FAILED(HttpResponseStatus.PRECONDITION_FAILED, "precondition failed: the object has changed"),
    PAYLOAD_TOO_LARGE(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "request body too large"),
    URI_TOO_LONG(HttpResponseStatus.REQUEST_URI_TOO_LONG, "request line too long"),
    RANGE_NOT_SATISFIABLE(HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE, "requested range not satisfiable"),
    MISDIRECTED_REQUEST(HttpResponseStatus.MISDIRECTED_REQUEST, "this proxy does not serve that host name"),
    HEADERS_TOO_LARGE(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "request header fields too large"),
    INTERNAL_ERROR(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error"),
    STATE_NOT_WRITTEN(HttpResponseStatus.INTERNAL_SERVER_ERROR, "the proxy's state folder cannot be written"),
    NOT_IMPLEMENTED(HttpResponseStatus.NOT_IMPLEMENTED, "method not implemented"),
    UPSTREAM_ERROR(HttpResponseStatus.BAD_GATEWAY, "S3 returned an unexpected response"),
    UPSTREAM_UNREACHABLE(HttpResponseStatus.BAD_GATEWAY, "S3 cannot be reached"),
    UPSTREAM_UNAVAILABLE(HttpResponseStatus.SERVICE_UNAVAILABLE, "S3 is unavailable; retry later"),
    CREDENTIALS_UNAVAILABLE(HttpResponseStatus.SERVICE_UNAVAILABLE, "AWS credentials could not be loaded"),
    OVERLOADED(HttpResponseStatus.SERVICE_UNAVAILABLE, "too many connections; retry later"),
    UPSTREAM_TIMEOUT(HttpResponseStatus.GATEWAY_TIMEOUT, "S3 did not answer in time");

    private final HttpResponseStatus status;
    private final String message;

    BridgeError(HttpResponseStatus status, String message) {
        this.status = status;
        this.message = message;
    }

    public HttpResponseStatus status() {
        return status;
    }

    public String message() {
        return message;
    }
}
