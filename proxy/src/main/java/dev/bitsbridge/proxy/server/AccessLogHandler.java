package dev.bitsbridge.proxy.server;

import dev.bitsbridge.proxy.endpoint.ClientResponse;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.FileRegion;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One access-log line per request, on logger {@code bitsbridge.access}: method, path, status,
 * body bytes sent, duration, Range and User-Agent, S3's request id of the last upstream response,
 * and {@code aborted} when the connection closed before the response was complete. The same
 * fields are attached as SLF4J key-value pairs ({@code method}, {@code path}, {@code status},
 * {@code bytes}, {@code duration_ms}, {@code range}, {@code user_agent},
 * {@code upstream_request_id}, {@code client}, {@code note}) so a JSON encoder can emit them as
 * fields, unless the launcher said its layout has no use for them ({@link AccessLog#keyValues}).
 * The query string is never logged (it can carry presigned signatures or share tokens), nor is
 * any credential-bearing header.
 *
 * <p>Threading: one instance per connection, confined to its event loop.
 */
final class AccessLogHandler extends ChannelDuplexHandler {

    static final Logger ACCESS = LoggerFactory.getLogger("bitsbridge.access");

    private String method;
    private String path;
    private String range;
    private String userAgent;
    private long startNanos;
    private int status;
    private long bytes;
    private boolean inProgress;
    private ChannelHandlerContext ctx;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest req && !inProgress) {
            inProgress = true;
            method = req.method().name();
            path = pathOnly(req.uri());
            range = req.headers().get(HttpHeaderNames.RANGE);
            userAgent = req.headers().get(HttpHeaderNames.USER_AGENT);
            startNanos = System.nanoTime();
            status = 0;
            bytes = 0;
            ctx.channel().attr(ClientResponse.UPSTREAM_REQUEST_ID).set(null);
            ctx.channel().attr(ClientResponse.FAILURE).set(null);
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse r) {
            status = r.status().code();
            if (!inProgress) {
                // A response to bytes that never became a request (400, 408, 431, 503 at accept).
                inProgress = true;
                method = "-";
                path = "-";
                range = null;
                userAgent = null;
                startNanos = System.nanoTime();
                bytes = 0;
            }
        }
        if (msg instanceof ByteBufHolder h) {
            bytes += h.content().readableBytes();
        } else if (msg instanceof ByteBuf b) {
            bytes += b.readableBytes();
        } else if (msg instanceof FileRegion r) {
            bytes += r.count(); // a cache hit sent from its file
        }
        if (msg instanceof LastHttpContent && inProgress) {
            promise = promise.unvoid();
            promise.addListener(f -> log(f.isSuccess() ? null : "aborted"));
        }
        ctx.write(msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (inProgress) {
            log("aborted");
        }
        ctx.fireChannelInactive();
    }

    private void log(String note) {
        if (!inProgress) {
            return;
        }
        inProgress = false;
        if (ACCESS.isInfoEnabled()) {
            long ms = (System.nanoTime() - startNanos) / 1_000_000;
            String requestId = ctx == null ? null : ctx.channel().attr(ClientResponse.UPSTREAM_REQUEST_ID).get();
            String client = client();
            // The line built once, here, rather than by the logging library from ten arguments:
            // one line per request is a measurable share of a warm cache hit.
            StringBuilder line = new StringBuilder(160).append(method).append(' ').append(path).append(' ');
            if (status == 0) {
                line.append('-');
            } else {
                line.append(status);
            }
            line.append(' ').append(bytes).append(' ').append(ms).append("ms range=\"")
                    .append(range == null ? "-" : range).append("\" ua=\"")
                    .append(userAgent == null ? "-" : userAgent.replace('"', '\'')).append("\" s3id=")
                    .append(requestId == null ? "-" : requestId).append(" client=").append(client);
            if (note != null) {
                line.append(' ').append(note);
            }
            if (!AccessLog.keyValues()) {
                ACCESS.info(line.toString());
            } else {
                ACCESS.atInfo()
                        .addKeyValue("method", method).addKeyValue("path", path)
                        .addKeyValue("status", status).addKeyValue("bytes", bytes).addKeyValue("duration_ms", ms)
                        .addKeyValue("range", range).addKeyValue("user_agent", userAgent)
                        .addKeyValue("upstream_request_id", requestId).addKeyValue("client", client)
                        .addKeyValue("note", note)
                        .log(line.toString());
            }
        }
        logFailure();
    }

    /**
     * A failed request also gets a line of its own with the cause, at WARN for the proxy's or S3's
     * failures (5xx) and at INFO for refusals (4xx), so an operator sees why without matching
     * statuses to code: what S3 said (its error message, as the client got it), a connect, TLS or
     * timeout failure, and S3's request id for AWS support. Client aborts are not failures.
     */
    private void logFailure() {
        String why = ctx == null ? null : ctx.channel().attr(ClientResponse.FAILURE).getAndSet(null);
        if (why == null || status < 400) {
            return;
        }
        String requestId = ctx.channel().attr(ClientResponse.UPSTREAM_REQUEST_ID).get();
        org.slf4j.spi.LoggingEventBuilder b = status >= 500 ? FAILURES.atWarn() : FAILURES.atInfo();
        b.addKeyValue("method", method).addKeyValue("path", path).addKeyValue("status", status)
                .addKeyValue("upstream_request_id", requestId).addKeyValue("client", client())
                .log("{} {} failed with {}: {} (s3id={})", method, path, status, why,
                        requestId == null ? "-" : requestId);
    }

    /** Failures with their cause; a logger of its own so operators can route or silence it. */
    static final Logger FAILURES = LoggerFactory.getLogger("bitsbridge.failures");

    private String client() {
        if (ctx != null && ctx.channel().remoteAddress() instanceof java.net.InetSocketAddress a) {
            return a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
        }
        return "-";
    }

    static String pathOnly(String uri) {
        int q = uri.indexOf('?');
        String p = redactCapability(q < 0 ? uri : uri.substring(0, q));
        return p.length() > 512 ? p.substring(0, 512) + "..." : p;
    }

    private static final java.util.regex.Pattern CAPABILITY =
            java.util.regex.Pattern.compile("^(/_bitsbridge/(?:l|links|uploads)/)([^/]+)");

    /** The id in a link or upload-session path is the credential: logged as a short hash. */
    static String redactCapability(String path) {
        if (!path.startsWith("/_bitsbridge/")) {
            return path; // what the pattern's anchor requires: object paths skip the regex
        }
        java.util.regex.Matcher m = CAPABILITY.matcher(path);
        if (!m.find()) {
            return path;
        }
        String kind = m.group(1).contains("uploads") ? "upload" : "link";
        return m.group(1) + dev.bitsbridge.proxy.state.LogIds.of(kind, m.group(2)) + path.substring(m.end());
    }
}
