package dev.bitsbridge.proxy.links;

import dev.bitsbridge.proxy.download.ObjectSource;
import dev.bitsbridge.proxy.s3.S3Caller;
import dev.bitsbridge.proxy.s3.S3Request;
import java.util.concurrent.CompletableFuture;

/**
 * A registered link as a download source: every request goes to the link's presigned GET URL,
 * unsigned (the URL carries the signature; Range and conditional headers are not signed, so they
 * may be added). HEAD is a one-byte ranged GET, the one request a GET-only URL allows.
 */
final class LinkObjectSource implements ObjectSource {

    private final S3Caller caller;
    private final Link link;

    LinkObjectSource(S3Caller caller, Link link) {
        this.caller = caller;
        this.link = link;
    }

    @Override
    public S3Caller caller() {
        return caller;
    }

    @Override
    public CompletableFuture<S3Request> request(String method, boolean fresh) {
        PresignedUrl u = link.upstream();
        return CompletableFuture.completedFuture(S3Request.presigned("GET", u.target(), u.rawQuery()));
    }

    @Override
    public boolean headViaRangedGet() {
        return true;
    }

    @Override
    public boolean refreshable() {
        return false;
    }

    @Override
    public String expiredMessage() {
        return "the upstream URL of link " + link.id() + " has expired"
                + (link.upstream().expires() == null ? "" : " (at " + link.upstream().expires() + ")")
                + "; register a fresh presigned URL with PUT /_bitsbridge/links/" + link.id()
                + " {\"url\": \"...\"}: the local URL stays the same";
    }
}
