package dev.bitsbridge.proxy.endpoint;

/** A response being produced for one request; cancelled when the client goes away. */
public interface Transfer {
    void cancel();
}
