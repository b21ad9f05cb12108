package dev.bitsbridge.proxy.server;

import dev.bitsbridge.proxy.endpoint.StreamingEndpoint;

import dev.bitsbridge.proxy.download.Downloads;
import dev.bitsbridge.proxy.observe.ProxyEvents;
import dev.bitsbridge.proxy.observe.TransferRegistry;
import dev.bitsbridge.proxy.s3.KeyMapper;
import dev.bitsbridge.proxy.share.ShareGate;
import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the per-connection handlers share: the routing collaborators, the open connections, the
 * count of requests in flight (for a graceful drain), and whether the server is draining.
 * Thread-safe.
 */
final class ServerContext {

    private final KeyMapper keyMapper;
    private final Downloads downloads;
    private final ProxyEndpoints endpoints;
    private final StreamingEndpoint uploads;
    private final ShareGate shares;
    private final ChannelGroup connections = new DefaultChannelGroup("bitsbridge-clients", GlobalEventExecutor.INSTANCE);
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean draining;
    private final TransferRegistry transfers;
    private final ProxyEvents events;
    private final AdminGate admin;

    ServerContext(KeyMapper keyMapper, Downloads downloads, ProxyEndpoints endpoints, StreamingEndpoint uploads,
            ShareGate shares, AdminGate admin, TransferRegistry transfers, ProxyEvents events,
            dev.bitsbridge.proxy.http.PublicBase publicBase) {
        this.publicBase = publicBase;
        this.admin = admin;
        this.shares = shares;
        this.transfers = transfers;
        this.events = events;
        this.keyMapper = keyMapper;
        this.downloads = downloads;
        this.endpoints = endpoints;
        this.uploads = uploads;
    }

    private final dev.bitsbridge.proxy.http.PublicBase publicBase;

    /** The base of URLs handed out (the Host, or a --public-host name). */
    dev.bitsbridge.proxy.http.PublicBase publicBase() {
        return publicBase;
    }

    /** The BITS upload endpoint, or null when uploads are off. */
    StreamingEndpoint uploads() {
        return uploads;
    }

    /** What share links decide for object requests. */
    ShareGate shares() {
        return shares;
    }

    /** Who may call the proxy's own endpoints. */
    AdminGate admin() {
        return admin;
    }

    KeyMapper keyMapper() {
        return keyMapper;
    }

    Downloads downloads() {
        return downloads;
    }

    ProxyEndpoints endpoints() {
        return endpoints;
    }

    TransferRegistry transfers() {
        return transfers;
    }

    ProxyEvents events() {
        return events;
    }

    boolean draining() {
        return draining;
    }

    void startDraining() {
        draining = true;
    }

    int inFlight() {
        return inFlight.get();
    }

    ChannelGroup connections() {
        return connections;
    }

    void connectionOpened(Channel ch) {
        connections.add(ch);
    }

    void connectionClosed(Channel ch) {
        connections.remove(ch);
    }

    void requestStarted() {
        inFlight.incrementAndGet();
    }

    void requestFinished() {
        inFlight.decrementAndGet();
    }
}
