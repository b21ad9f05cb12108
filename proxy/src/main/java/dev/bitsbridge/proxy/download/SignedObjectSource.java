package dev.bitsbridge.proxy.download;

import dev.bitsbridge.proxy.s3.S3Caller;
import dev.bitsbridge.proxy.s3.S3Request;
import dev.bitsbridge.proxy.s3.S3Target;
import java.util.concurrent.CompletableFuture;

/** Bucket mode: the proxy holds credentials and signs each request for its own method. */
final class SignedObjectSource implements ObjectSource {

    private final S3Caller caller;
    private final S3Target target;

    SignedObjectSource(S3Caller caller, S3Target target) {
        this.caller = caller;
        this.target = target;
    }

    @Override
    public S3Caller caller() {
        return caller;
    }

    @Override
    public CompletableFuture<S3Request> request(String method, boolean fresh) {
        return CompletableFuture.completedFuture(S3Request.of(method, target));
    }

    @Override
    public Object identity() {
        return target;
    }

    @Override
    public boolean headViaRangedGet() {
        return false;
    }

    @Override
    public boolean refreshable() {
        return false;
    }

    @Override
    public String expiredMessage() {
        return null;
    }
}
