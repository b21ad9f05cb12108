package dev.bitsbridge.proxy.server;

import dev.bitsbridge.proxy.download.ObjectSource;
import dev.bitsbridge.proxy.endpoint.ClientResponse;
import dev.bitsbridge.proxy.endpoint.Transfer;
import dev.bitsbridge.proxy.error.BridgeError;
import dev.bitsbridge.proxy.http.RequestPath.InvalidPathException;
import dev.bitsbridge.proxy.share.ShareGate;
import dev.bitsbridge.proxy.share.ShareLinks;
import dev.bitsbridge.proxy.share.ShareToken;
import dev.bitsbridge.proxy.share.SharedOnceLedger;
import dev.bitsbridge.proxy.share.SpentLedger;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The share-link stage of an object request (GET, HEAD, BITS_POST), between routing and serving:
 * the request's token is decided by the {@link ShareGate} (401, 403 and 410 answered here), a
 * one-time link is checked against other proxies' spent markers, claimed for one transfer at a
 * time and its delivered bytes counted; only then is the download started (or the upload handed
 * back to the read loop).
 *
 * <p>Threading: one instance per connection, confined to its event loop; the spent-marker check
 * and the claim retries come back to it through the response's event loop. A callback that finds
 * the response done or answered (the client left) does nothing.
 */
final class ShareStage {

    private static final Logger log = LoggerFactory.getLogger(ShareStage.class);
    /** How often, 25 ms apart, a busy one-time link is tried again before 409. */
    private static final int CLAIM_RETRIES = 8;

    private final ServerContext server;
    /** The one-time link the current transfer holds (released once the response ends). */
    private ShareToken onceClaim;
    /** In a cluster: the shared claim the current transfer holds (released once the response ends). */
    private SharedOnceLedger.Claim clusterClaim;
    /** How often a busy one-time link of a cluster is tried again, 100 ms apart, before 409. */
    private static final int CLUSTER_CLAIM_RETRIES = 5;

    ShareStage(ServerContext server) {
        this.server = server;
    }

    /**
     * Admits or refuses {@code req}; an admitted download is started (its transfer given to
     * {@code started}), an admitted upload is {@code upload}'s to start (given the id of the share
     * link it was admitted with, or null).
     */
    void admit(HttpRequest req, String rawPath, boolean isUpload, ClientResponse out, Consumer<Transfer> started,
            Consumer<String> upload) {
        ShareGate.Decision d;
        try {
            d = server.shares().decide(req, rawPath, isUpload);
        } catch (InvalidPathException e) {
            out.error(BridgeError.INVALID_PATH, e.getMessage());
            return;
        }
        if (d.refused()) {
            refuse(out, d.refusal());
            return;
        }
        if (d.spentInBucket() != null) {
            // Another proxy may have spent this one-time link: its marker decides (off the loop).
            out.onLoop(d.spentInBucket(), (spent, err) -> {
                if (out.isDone() || out.headSent()) {
                    return; // the client went away meanwhile
                }
                if (err != null) {
                    log.warn("cannot check the bucket for a spent share link: {}", err.toString());
                    out.error(BridgeError.UPSTREAM_UNAVAILABLE, "cannot check whether this one-time link was used");
                } else if (spent) {
                    refuse(out, ShareLinks.Refusal.SPENT);
                } else {
                    started.accept(download(req, rawPath, d.token(), out, started, CLAIM_RETRIES));
                }
            });
            return;
        }
        if (isUpload) {
            upload.accept(d.token() == null ? null : d.token().id());
        } else {
            started.accept(download(req, rawPath, d.token(), out, started, CLAIM_RETRIES));
        }
    }

    private Transfer download(HttpRequest req, String rawPath, ShareToken token, ClientResponse out,
            Consumer<Transfer> started, int claimRetries) {
        try {
            ObjectSource source = server.downloads().source(rawPath, server.keyMapper());
            boolean once = token != null && token.once();
            if (once && server.shares().sharedLedger() != null) {
                clusterDownload(req, source, token, out, started, CLUSTER_CLAIM_RETRIES);
                return null;
            }
            if (once) {
                SpentLedger ledger = server.shares().ledger();
                // A HEAD delivers nothing: it needs no claim (BITS sends one before its ranges).
                if (!req.method().equals(HttpMethod.HEAD)) {
                    if (!ledger.begin(token)) {
                        awaitClaim(req, rawPath, token, out, started, claimRetries);
                        return null;
                    }
                    onceClaim = token;
                    // Checked with the claim held: no other transfer can add to the link meanwhile.
                    if (!ledger.withinBudget(token, ShareGate.wanted(req, ledger.knownSize(token)))) {
                        refuse(out, ShareLinks.Refusal.OVER_BUDGET);
                        return null;
                    }
                }
                out.trackDelivery((first, length, written, size, complete) ->
                        ledger.delivered(token, first, length, written, size, complete));
            }
            return server.downloads().start(req, source, out, once);
        } catch (InvalidPathException e) {
            out.error(BridgeError.INVALID_PATH, e.getMessage());
            return null;
        }
    }

    /**
     * A one-time link in a cluster (scale-out): the shared ledger is read and, for a GET, claimed
     * off the event loop; the download starts here once the claim is held. A busy link is tried
     * again {@code left} times, 100 ms apart (the holder's release may be a round trip away).
     */
    private void clusterDownload(HttpRequest req, ObjectSource source, ShareToken token, ClientResponse out,
            Consumer<Transfer> started, int left) {
        SharedOnceLedger ledger = server.shares().sharedLedger();
        if (req.method().equals(HttpMethod.HEAD)) {
            out.onLoop(ledger.spent(token), (spent, err) -> {
                if (out.isDone() || out.headSent()) {
                    return;
                }
                if (err != null) {
                    unreadable(out, err);
                } else if (spent) {
                    refuse(out, ShareLinks.Refusal.SPENT);
                } else {
                    started.accept(server.downloads().start(req, source, out, true));
                }
            });
            return;
        }
        out.onLoop(ledger.claim(token, size -> ShareGate.wanted(req, size)), (claim, err) -> {
            if (err == null && claim.outcome() == SharedOnceLedger.Outcome.CLAIMED
                    && (out.isDone() || out.headSent())) {
                ledger.release(claim); // the client went away meanwhile: give the link back
                return;
            }
            if (out.isDone() || out.headSent()) {
                return;
            }
            if (err != null) {
                unreadable(out, err);
                return;
            }
            switch (claim.outcome()) {
                case CLAIMED -> {
                    clusterClaim = claim;
                    out.trackDelivery(claim::delivered);
                    started.accept(server.downloads().start(req, source, out, true));
                }
                case SPENT -> refuse(out, ShareLinks.Refusal.SPENT);
                case OVER_BUDGET -> refuse(out, ShareLinks.Refusal.OVER_BUDGET);
                default -> {
                    if (left == 0) {
                        out.error(BridgeError.LINK_BUSY, null);
                    } else {
                        out.ctx().executor().schedule(() -> {
                            if (!out.isDone() && !out.headSent()) {
                                clusterDownload(req, source, token, out, started, left - 1);
                            }
                        }, 100, TimeUnit.MILLISECONDS);
                    }
                }
            }
        });
    }

    private static void unreadable(ClientResponse out, Throwable err) {
        log.warn("cannot read a one-time link's ledger in the state bucket: {}",
                (err.getCause() != null ? err.getCause() : err).toString());
        out.error(BridgeError.UPSTREAM_UNAVAILABLE, "cannot check whether this one-time link was used");
    }

    /**
     * The previous transfer's end is noted when its last write completes, which a fast client can
     * overtake with its next request on a new connection: wait a moment before calling it busy.
     */
    private void awaitClaim(HttpRequest req, String rawPath, ShareToken token, ClientResponse out,
            Consumer<Transfer> started, int left) {
        if (left == 0) {
            out.error(BridgeError.LINK_BUSY, null);
            return;
        }
        out.ctx().executor().schedule(() -> {
            if (out.isDone() || out.headSent()) {
                return; // the client went away meanwhile
            }
            started.accept(download(req, rawPath, token, out, started, left - 1));
        }, 25, TimeUnit.MILLISECONDS);
    }

    private static void refuse(ClientResponse out, ShareLinks.Refusal refusal) {
        HttpHeaders extra = null;
        if (refusal == ShareLinks.Refusal.MISSING) {
            extra = new DefaultHttpHeaders().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"bitsbridge\"");
        }
        out.error(refusal.error(), refusal.message(), extra);
    }

    /** The response ended (or the connection closed): a one-time link's claim is given back. */
    void responseEnded() {
        if (clusterClaim != null) {
            server.shares().sharedLedger().release(clusterClaim);
            clusterClaim = null;
        }
        if (onceClaim != null) {
            server.shares().ledger().end(onceClaim);
            onceClaim = null;
        }
    }
}
