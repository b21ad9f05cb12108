package dev.bitsbridge.proxy.links;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bitsbridge.proxy.state.Json;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bitsbridge.proxy.endpoint.ClientResponse;
import dev.bitsbridge.proxy.download.Downloads;
import dev.bitsbridge.proxy.endpoint.Transfer;
import dev.bitsbridge.proxy.error.BridgeError;
import dev.bitsbridge.proxy.s3.S3Caller;
import dev.bitsbridge.proxy.endpoint.JsonResponses;
import dev.bitsbridge.proxy.endpoint.ProxyEndpoint;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import dev.bitsbridge.proxy.config.Durations;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The presigned-URL bridge's endpoints:
 * <ul>
 *   <li>{@code POST /_bitsbridge/links} {@code {"url": "<presigned GET URL>", "name": "setup.exe",
 *       "lifetime": "7d"}} ({@code name} and {@code lifetime} optional) → 201 {@code {"id", "url"
 *       (local), "expires" (the upstream URL's), "link_expires"}}; 507 when {@code --max-links}
 *       links exist;</li>
 *   <li>{@code GET /_bitsbridge/links}: every link, as described below, without signatures;</li>
 *   <li>{@code GET}, {@code PUT} (a fresh {@code url}), {@code DELETE /_bitsbridge/links/<id>};</li>
 *   <li>{@code GET}/{@code HEAD /_bitsbridge/l/<id>/<name>}: the link itself, with the full
 *       download semantics (ranges, multipart, conditionals).</li>
 * </ul>
 * Upstream URLs are checked against the {@link UpstreamAllowlist} and never echoed back with their
 * query (the signature). Store writes run on {@code stateExecutor}, answers on the event loop.
 */
public final class LinkEndpoints implements ProxyEndpoint {

    private static final Logger log = LoggerFactory.getLogger(LinkEndpoints.class);
    static final String LINKS = "/_bitsbridge/links";
    static final String SERVE = "/_bitsbridge/l/";

    private final LinkRegistry store;
    private final UpstreamAllowlist allowlist;
    private final Downloads downloads;
    private final S3Caller caller;
    private final Executor stateExecutor;

    public LinkEndpoints(LinkRegistry store, UpstreamAllowlist allowlist, Downloads downloads, S3Caller caller,
            Executor stateExecutor) {
        this.store = store;
        this.allowlist = allowlist;
        this.downloads = downloads;
        this.caller = caller;
        this.stateExecutor = stateExecutor;
    }

    @Override
    public boolean matches(String rawPath) {
        return rawPath.equals(LINKS) || rawPath.startsWith(LINKS + "/") || rawPath.startsWith(SERVE);
    }

    @Override
    public Transfer handle(HttpRequest req, String rawPath, ByteBuf body, ClientResponse out) {
        HttpMethod m = req.method();
        if (rawPath.startsWith(SERVE)) {
            return serve(req, rawPath, out);
        }
        if (rawPath.equals(LINKS)) {
            if (m.equals(HttpMethod.POST)) {
                create(req, body, out);
            } else if (m.equals(HttpMethod.GET) || m.equals(HttpMethod.HEAD)) {
                list(out);
            } else {
                methodNotAllowed(out, "GET, HEAD, POST");
            }
            return null;
        }
        String id = rawPath.substring(LINKS.length() + 1);
        if (m.equals(HttpMethod.GET) || m.equals(HttpMethod.HEAD)) {
            found(store.find(id), out, l -> {
                if (l == null) {
                    JsonResponses.error(out, BridgeError.NOT_FOUND, "no such link");
                } else {
                    JsonResponses.send(out, HttpResponseStatus.OK, describe(l, out).toString());
                }
                return null;
            });
        } else if (m.equals(HttpMethod.PUT)) {
            replace(req, id, body, out);
        } else if (m.equals(HttpMethod.DELETE)) {
            mutate(out, () -> store.delete(id), deleted -> {
                if (deleted) {
                    JsonResponses.send(out, HttpResponseStatus.OK, java.util.Map.of("deleted", id));
                } else {
                    JsonResponses.error(out, BridgeError.NOT_FOUND, "no such link");
                }
            });
        } else {
            methodNotAllowed(out, "GET, HEAD, PUT, DELETE");
        }
        return null;
    }

    private Transfer serve(HttpRequest req, String rawPath, ClientResponse out) {
        String rest = rawPath.substring(SERVE.length());
        int slash = rest.indexOf('/');
        String id = slash < 0 ? rest : rest.substring(0, slash);
        return found(store.find(id), out, l -> {
            if (l == null) {
                out.error(BridgeError.NO_SUCH_KEY, "no such link");
                return null;
            }
            if (!req.method().equals(HttpMethod.GET) && !req.method().equals(HttpMethod.HEAD)) {
                out.error(BridgeError.METHOD_NOT_ALLOWED, "links serve GET and HEAD",
                        new DefaultHttpHeaders().set(HttpHeaderNames.ALLOW, "GET, HEAD"));
                return null;
            }
            return downloads.start(req, new LinkObjectSource(caller, l), out);
        });
    }

    /**
     * Continues with the link a lookup found: at once when it was known here (always on one
     * machine), else on the event loop once the shared store has read it; the transfer started then
     * is reached through the one returned now, so a client that leaves meanwhile cancels it.
     */
    private static Transfer found(CompletableFuture<Link> lookup, ClientResponse out,
            java.util.function.Function<Link, Transfer> then) {
        if (lookup.isDone() && !lookup.isCompletedExceptionally()) {
            return then.apply(lookup.join());
        }
        LaterTransfer later = new LaterTransfer();
        out.onLoop(lookup, (l, err) -> {
            if (out.isDone() || out.headSent()) {
                return; // the client went away meanwhile
            }
            Throwable cause = err == null ? null : SharedLinkStore.cause(err);
            if (cause instanceof SharedLinkStore.BusyException) {
                out.error(BridgeError.UPSTREAM_UNAVAILABLE, "too many link lookups at once; retry",
                        new DefaultHttpHeaders().set(HttpHeaderNames.RETRY_AFTER, "1"));
            } else if (cause != null) {
                log.warn("cannot read a link from the state bucket: {}", cause.toString());
                out.error(BridgeError.UPSTREAM_UNAVAILABLE, "the link store cannot be read; retry");
            } else {
                later.started(then.apply(l));
            }
        });
        return later;
    }

    /** A transfer started after its request's handler returned (event loop only). */
    private static final class LaterTransfer implements Transfer {
        private Transfer inner;
        private boolean cancelled;

        void started(Transfer t) {
            if (cancelled && t != null) {
                t.cancel();
            } else {
                inner = t;
            }
        }

        @Override
        public void cancel() {
            cancelled = true;
            if (inner != null) {
                inner.cancel();
            }
        }
    }

    private void create(HttpRequest req, ByteBuf body, ClientResponse out) {
        JsonNode in = JsonResponses.objectBody(body, out);
        if (in == null) {
            return;
        }
        PresignedUrl url = checkedUrl(in, out);
        if (url == null) {
            return;
        }
        String name = in.path("name").asText("");
        if (name.isEmpty()) {
            name = url.fileName();
        }
        if (!validName(name)) {
            JsonResponses.error(out, BridgeError.INVALID_BODY,
                    "name must be 1 to 255 characters, without '/', '\\\\' or control characters");
            return;
        }
        Duration lifetime;
        try {
            lifetime = in.hasNonNull("lifetime") ? Durations.parse(in.get("lifetime").asText()) : null;
        } catch (IllegalArgumentException e) {
            JsonResponses.error(out, BridgeError.INVALID_BODY, "lifetime: " + e.getMessage());
            return;
        }
        String refused = store.lifetimeRefusal(lifetime);
        if (refused != null) {
            JsonResponses.error(out, BridgeError.INVALID_BODY, refused);
            return;
        }
        String n = name;
        mutate(out, () -> store.create(url, n, lifetime), l -> {
            log.info("{} registered for {}", dev.bitsbridge.proxy.state.LogIds.of("link", l.id()), url.redacted());
            JsonResponses.send(out, HttpResponseStatus.CREATED, describe(l, out).toString(),
                    new DefaultHttpHeaders().set(HttpHeaderNames.LOCATION, LINKS + "/" + l.id()));
        });
    }

    private void replace(HttpRequest req, String id, ByteBuf body, ClientResponse out) {
        JsonNode in = JsonResponses.objectBody(body, out);
        if (in == null) {
            return;
        }
        PresignedUrl url = checkedUrl(in, out);
        if (url == null) {
            return;
        }
        mutate(out, () -> store.replace(id, url), l -> {
            if (l == null) {
                JsonResponses.error(out, BridgeError.NOT_FOUND, "no such link");
            } else {
                log.info("{} now points at {}", dev.bitsbridge.proxy.state.LogIds.of("link", id), url.redacted());
                JsonResponses.send(out, HttpResponseStatus.OK, describe(l, out).toString());
            }
        });
    }

    private PresignedUrl checkedUrl(JsonNode in, ClientResponse out) {
        PresignedUrl url;
        try {
            url = PresignedUrl.parse(in.path("url").asText(null));
        } catch (IllegalArgumentException e) {
            JsonResponses.error(out, BridgeError.INVALID_BODY, e.getMessage());
            return null;
        }
        String refused = allowlist.why(url.endpoint());
        if (refused != null) {
            JsonResponses.error(out, BridgeError.INVALID_BODY, refused);
            return null;
        }
        return url;
    }


    static boolean validName(String name) {
        if (name.isEmpty() || name.length() > 255 || name.equals(".") || name.equals("..")) {
            return false;
        }
        return name.chars().noneMatch(c -> c < 0x20 || c == 0x7f || c == '/' || c == '\\');
    }

    /** The listing: what {@code GET /_bitsbridge/links/<id>} says of each, plus the upstream's host and path. */
    private void list(ClientResponse out) {
        if (!store.shared()) {
            try {
                list(store.list(), out);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e); // the local store does no I/O to list
            }
            return;
        }
        out.onLoop(CompletableFuture.supplyAsync(() -> {
            try {
                return store.list();
            } catch (IOException e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, stateExecutor), (all, err) -> {
            if (out.isDone() || out.headSent()) {
                return;
            }
            if (err != null) {
                log.warn("cannot list the links in the state bucket: {}", SharedLinkStore.cause(err).toString());
                JsonResponses.error(out, BridgeError.UPSTREAM_UNAVAILABLE, "the link store cannot be read; retry");
            } else {
                list(all, out);
            }
        });
    }

    private void list(java.util.List<Link> all, ClientResponse out) {
        ObjectNode root = Json.mapper().createObjectNode();
        root.put("count", all.size());
        root.put("max", store.maxLinks());
        com.fasterxml.jackson.databind.node.ArrayNode arr = root.putArray("links");
        for (Link l : all) {
            ObjectNode n = describe(l, out);
            n.put("host", l.upstream().endpoint().hostHeader());
            n.put("path", l.upstream().target().encodedPath());
            arr.add(n);
        }
        JsonResponses.send(out, HttpResponseStatus.OK, root.toString());
    }

    private ObjectNode describe(Link l, ClientResponse out) {
        ObjectNode n = Json.mapper().createObjectNode();
        n.put("id", l.id());
        n.put("name", l.name());
        n.put("url", out.publicBase() + SERVE + l.id() + "/"
                + dev.bitsbridge.proxy.s3.S3Paths.encodeQueryComponent(l.name()));
        n.put("upstream", l.upstream().redacted());
        if (l.upstream().expires() != null) {
            n.put("expires", l.upstream().expires().toString());
        } else {
            n.putNull("expires");
        }
        n.put("created", l.created().toString());
        n.put("link_expires", l.expires().toString());
        return n;
    }

    private static void methodNotAllowed(ClientResponse out, String allow) {
        JsonResponses.error(out, BridgeError.METHOD_NOT_ALLOWED, "allowed here: " + allow,
                new DefaultHttpHeaders().set(HttpHeaderNames.ALLOW, allow));
    }

    /** Runs a store change off the event loop, then answers on it. */
    private <T> void mutate(ClientResponse out, IoSupplier<T> change, java.util.function.Consumer<T> answer) {
        out.onLoop(CompletableFuture.supplyAsync(() -> {
            try {
                return change.get();
            } catch (IOException | LinkStore.LimitReachedException e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, stateExecutor), (v, err) -> {
            Throwable cause = err == null ? null : err.getCause();
            if (cause instanceof LinkStore.LimitReachedException) {
                JsonResponses.error(out, BridgeError.LINK_LIMIT, cause.getMessage());
            } else if (err != null) {
                log.error("link store write failed: {}", err.getCause() == null ? err : err.getCause().toString());
                JsonResponses.error(out, BridgeError.STATE_NOT_WRITTEN, "the link store could not be written");
            } else {
                answer.accept(v);
            }
        });
    }

    @FunctionalInterface
    private interface IoSupplier<T> {
        T get() throws IOException, LinkStore.LimitReachedException;
    }
}
