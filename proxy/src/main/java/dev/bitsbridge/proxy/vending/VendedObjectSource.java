package dev.bitsbridge.proxy.vending;

import dev.bitsbridge.proxy.download.ObjectSource;
import dev.bitsbridge.proxy.s3.S3Caller;
import dev.bitsbridge.proxy.s3.S3Request;
import java.util.concurrent.CompletableFuture;

/**
 * Vendor mode's download source: each method gets its own URL from the application's backend
 * ({@link UrlVendor}), so HEAD is a real HEAD; an expired URL is replaced by a fresh one once.
 */
public final class VendedObjectSource implements ObjectSource {

    private final S3Caller caller;
    private final UrlVendor vendor;
    private final String key;

    public VendedObjectSource(S3Caller caller, UrlVendor vendor, String key) {
        this.caller = caller;
        this.vendor = vendor;
        this.key = key;
    }

    @Override
    public S3Caller caller() {
        return caller;
    }

    @Override
    public CompletableFuture<S3Request> request(String method, boolean fresh) {
        return vendor.url(key, method, fresh).thenApply(u -> S3Request.presigned(method, u.target(), u.rawQuery()));
    }

    @Override
    public boolean headViaRangedGet() {
        return false;
    }

    @Override
    public boolean refreshable() {
        return true;
    }

    @Override
    public String expiredMessage() {
        return "the URL from the URL vendor had expired, and so had a fresh one";
    }
}
