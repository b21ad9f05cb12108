package dev.bitsbridge.proxy.upstream;

import java.net.InetAddress;

/**
 * Decides whether an upstream connection may go to the address a host name resolved to. Called
 * by the resolver of {@link UpstreamClient} between resolution and connect, with the very address
 * that is then connected to: a name cannot resolve to a public address for the check and to a
 * private one for the connection (DNS rebinding). Implementations are pure and thread-safe.
 */
@FunctionalInterface
public interface AddressCheck {

    /** Allows everything (requests the proxy builds from its own configuration). */
    AddressCheck NONE = (endpoint, address) -> null;

    /** @return null to connect, else why not (one line, shown to the client) */
    String refusal(UpstreamEndpoint endpoint, InetAddress address);
}
