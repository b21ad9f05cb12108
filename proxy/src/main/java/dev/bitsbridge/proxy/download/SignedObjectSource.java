package dev.bitsbridge.proxy.download;

import dev.bitsbridge.proxy.s3.S3Caller;
import dev.bitsbridge.proxy.s3.S3Location;
import dev.bitsbridge.proxy.s3.S3Request;
import dev.bitsbridge.proxy.s3.S3Target;
import java.util.concurrent.CompletableFuture;

/** Bucket mode: the proxy holds credentials and signs each request for its own method. */
final class SignedObjectSource implements ObjectSource {

    private final S3Caller caller;
    private final S3Target target;
    private final S3Location location;

    SignedObjectSource(S3Caller caller, S3Target target, S3Location location) {
        this.caller = caller;
        this.target = target;
        this.location = location;
    }

    @Override
    public String object() {
        return location.toString();
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
