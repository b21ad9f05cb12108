package dev.bitsbridge.proxy.server;

import dev.bitsbridge.proxy.endpoint.ProxyEndpoint;
import dev.bitsbridge.proxy.endpoint.StreamingEndpoint;

import dev.bitsbridge.proxy.config.ConfigException;
import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.cache.SliceCache;
import dev.bitsbridge.proxy.download.Downloads;
import dev.bitsbridge.proxy.download.ObjectSource;
import dev.bitsbridge.proxy.download.ReadAhead;
import dev.bitsbridge.proxy.links.LinkEndpoints;
import dev.bitsbridge.proxy.links.LinkStore;
import dev.bitsbridge.proxy.links.SharedLinkStore;
import dev.bitsbridge.proxy.links.UpstreamAllowlist;
import dev.bitsbridge.proxy.observe.OpsEndpoints;
import dev.bitsbridge.proxy.observe.ProxyMetrics;
import dev.bitsbridge.proxy.observe.Readiness;
import dev.bitsbridge.proxy.observe.TransferRegistry;
import dev.bitsbridge.proxy.s3.CredentialSource;
import dev.bitsbridge.proxy.s3.S3SharedState;
import dev.bitsbridge.proxy.http.RequestPath.InvalidPathException;
import dev.bitsbridge.proxy.s3.KeyMapper;
import dev.bitsbridge.proxy.s3.S3Paths;
import dev.bitsbridge.proxy.s3.SdkS3Clients;
import dev.bitsbridge.proxy.share.ShareEndpoints;
import dev.bitsbridge.proxy.share.ShareGate;
import dev.bitsbridge.proxy.share.ShareLinks;
import dev.bitsbridge.proxy.share.ShareSecret;
import dev.bitsbridge.proxy.share.SharedOnceLedger;
import dev.bitsbridge.proxy.share.SpentLedger;
import dev.bitsbridge.proxy.share.SpentMarkers;
import java.time.Clock;
import software.amazon.awssdk.services.s3.S3Client;
import dev.bitsbridge.proxy.s3.RequestSigner;
import dev.bitsbridge.proxy.s3.RetryPolicy;
import dev.bitsbridge.proxy.s3.S3Addressing;
import dev.bitsbridge.proxy.s3.S3Caller;
import dev.bitsbridge.proxy.state.AdminToken;
import dev.bitsbridge.proxy.state.StateFiles;
import dev.bitsbridge.proxy.upstream.NettyTransport;
import dev.bitsbridge.proxy.upstream.TlsContexts;
import dev.bitsbridge.proxy.upload.BitsUploadEndpoint;
import dev.bitsbridge.proxy.upload.UploadEndpoints;
import dev.bitsbridge.proxy.upload.UploadService;
import dev.bitsbridge.proxy.upstream.UpstreamClient;
import dev.bitsbridge.proxy.vending.UrlVendor;
import dev.bitsbridge.proxy.vending.VendedObjectSource;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * The proxy: binds, serves, and stops gracefully. Owns the event loops, the upstream connection
 * pools and the credential source, and closes them on {@link #close()}.
 *
 * <p>Start with {@link #start()}, which returns once the port is bound; {@link #port()} is then
 * the actual port (useful with port 0). Thread-safe.
 */
public final class BitsBridgeServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BitsBridgeServer.class);

    private final ProxyConfig config;
    private final AwsCredentialsProvider credentialsProvider;
    private final NettyTransport transport;
    private final Clock clock;
    private EventLoopGroup group;
    private Channel serverChannel;
    private UpstreamClient upstream;
    private ReadAhead readAhead = ReadAhead.OFF;
    private SliceCache cache;
    private CredentialSource credentials;
    private ServerContext context;
    private ExecutorService stateExecutor;
    private UploadService uploads;
    /** Scale-out ({@code --state-bucket}): the state every instance shares; null on one machine. */
    private S3SharedState sharedState;
    private S3Client shareMarkersClient;
    private AdminToken adminToken;
    /** Shared mode: the threads that wait on the state bucket (its reads and compare-and-swaps). */
    private ExecutorService sharedExecutor;
    private static final int SHARED_THREADS = 4;

    /** @param credentialsProvider null for anonymous (unsigned) upstream requests */
    public BitsBridgeServer(ProxyConfig config, AwsCredentialsProvider credentialsProvider) {
        this(config, credentialsProvider, Clock.systemUTC());
    }

    /**
     * @param clock the time of share-link expiry, one-time links' ledger, upload-session expiry and
     *     vended-URL reuse (tests move it instead of waiting); never of request signing, which S3
     *     checks against its own clock
     */
    public BitsBridgeServer(ProxyConfig config, AwsCredentialsProvider credentialsProvider, Clock clock) {
        this.config = config;
        this.credentialsProvider = credentialsProvider;
        this.transport = NettyTransport.best();
        this.clock = clock;
    }

    public synchronized BitsBridgeServer start() throws IOException, GeneralSecurityException, InterruptedException {
        if (serverChannel != null) {
            throw new IllegalStateException("already started");
        }
        config.validate();
        // Loaded before anything is started, so a bad pair fails start with nothing to clean up.
        TlsListener tls = config.network().tls()
                ? new TlsListener(config.network().tlsCert(), config.network().tlsKey()).load() : null;
        // Loading trust stores takes most of a second on a small machine: it happens in the
        // background (Warmup), not before the port is bound. A CA bundle that cannot be read fails
        // the TLS connections with that reason (and is logged); the launcher checks the file exists.
        Lazy<SslContext> ssl = new Lazy<>(() -> TlsContexts.upstream(config.caBundle()));
        int threads = config.ioThreads() > 0 ? config.ioThreads() : Runtime.getRuntime().availableProcessors();
        group = transport.newGroup(threads, "bitsbridge-io");
        upstream = new UpstreamClient(transport.clientChannel(), ssl,
                min(config.upstreamTimeout(), Duration.ofSeconds(10)), Duration.ofSeconds(15));
        upstream.proxyRoutes(config.network().upstreamProxy());
        credentials = credentialsProvider == null ? null : new CredentialSource(credentialsProvider);
        if (config.sharedState().enabled()) {
            sharedState = S3SharedState.create(config, credentialsProvider,
                    config.caBundle() == null ? null : TlsContexts.trustManagerFactory(config.caBundle()));
            // Every shared change is a compare-and-swap on PUT If-None-Match: *; without it the
            // cluster would hand out one-time links twice. Refused here, in one line, not later.
            String refused = sharedState.probe();
            if (refused != null) {
                sharedState.close();
                sharedState = null;
                upstream.close();
                if (credentials != null) {
                    credentials.close();
                }
                group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
                throw new ConfigException("--state-bucket: " + refused);
            }
        }
        // Credentials are fetched ahead only where they are surely needed: a proxy used for links
        // or a URL vendor may run without any, and should not warn about it at start.
        ProxyMetrics metrics = new ProxyMetrics();
        // A plain-HTTP --endpoint needs no trust store at all unless links or a vendor point at
        // https hosts, which load it on first use.
        boolean plainEndpoint = config.endpoint() != null && "http".equalsIgnoreCase(config.endpoint().getScheme());
        Warmup.start(plainEndpoint ? null : ssl, config.bucket() != null ? credentials : null, config.region(),
                metrics::bindJvmMetrics);
        S3Addressing addressing = new S3Addressing(config.region(), config.endpoint(), config.pathStyle(),
                config.accelerate(), config.dualstack());
        TransferRegistry transfers = new TransferRegistry();
        S3Caller caller = new S3Caller(upstream, credentials, new RequestSigner(config.region()),
                RetryPolicy.standard(config.upstreamRetries()), config.upstreamTimeout(), "bitsbridge/" + version(),
                metrics);
        HostPolicy policy = new HostPolicy(config.bindAddress(), config.publicHosts(), config.corsOrigins());
        UpstreamAllowlist allowlist = new UpstreamAllowlist(config.endpoint(), config.allowUpstream(),
                config.security().allowPrivateUpstream());
        // URLs handed in (links, vendors) connect only to addresses the allowlist accepts.
        upstream.addressCheck(allowlist);
        Function<String, ObjectSource> keySource = null;
        if (config.urlVendor() != null) {
            UrlVendor vendor = new UrlVendor(config.urlVendor(), config.urlVendorHeaders(), allowlist,
                    config.upstreamTimeout(), clock, config.security().vendorCacheEntries(),
                    config.network().upstreamProxy());
            keySource = key -> new VendedObjectSource(caller, vendor, key);
        }
        readAhead = new ReadAhead(config.parallelConnections(), config.partSize(), config.readAheadMemory());
        Downloads downloads = new Downloads(caller, addressing, config.maxRanges(), keySource).readAhead(readAhead);
        if (config.cache().enabled()) {
            cache = SliceCache.open(config.cache(), clock);
            downloads.cache(cache);
            group.scheduleWithFixedDelay(cache::sweepIdle, 5, 5, TimeUnit.SECONDS); // idle slice files closed
            cacheMetrics(metrics, cache);
        }
        metrics.readAhead(readAhead);
        stateExecutor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "bitsbridge-state");
            t.setDaemon(true);
            return t;
        });
        List<ProxyEndpoint> endpoints = new ArrayList<>();
        Readiness readiness = new Readiness(caller,
                config.bucket() == null ? null : addressing.bucketTarget(config.bucket()), config.bucket(), credentials);
        OpsEndpoints ops = new OpsEndpoints(transfers, metrics, readiness, version());
        endpoints.add(ops);
        if (sharedState != null) {
            // Threads, not one: each shared read or compare-and-swap is an S3 round trip.
            sharedExecutor = Executors.newFixedThreadPool(SHARED_THREADS, r -> {
                Thread t = new Thread(r, "bitsbridge-shared-state");
                t.setDaemon(true);
                return t;
            });
            endpoints.add(new LinkEndpoints(new SharedLinkStore(sharedState, sharedExecutor, clock,
                    config.security().maxLinks(), config.security().linkMaxAge(), config.sharedState().validity()),
                    allowlist, downloads, caller, sharedExecutor));
        } else if (config.stateDir() != null) {
            LinkStore links = new LinkStore(StateFiles.ensureDir(config.stateDir()), clock,
                    config.security().maxLinks(), config.security().linkMaxAge());
            endpoints.add(new LinkEndpoints(links, allowlist, downloads, caller, stateExecutor));
        }
        KeyMapper keyMapper = new KeyMapper(config.bucket(), config.prefix()).hidingState(config.sharedState());
        StreamingEndpoint uploadEndpoint = BitsUploadEndpoint.disabled();
        if (config.allowUpload()) {
            uploads = UploadService.create(config, credentialsProvider, clock, sharedState);
            metrics.gauge("bitsbridge.upload.parts.inflight", "BITS upload parts being sent to S3", uploads,
                    UploadService::partsInFlight);
            ops.uploadsCheck(uploads::conditionalWrites);
            uploadEndpoint = new BitsUploadEndpoint(uploads, keyMapper);
            endpoints.add(new UploadEndpoints(uploads));
        }
        ShareGate shares;
        if (sharedState != null) {
            shares = sharedShareGate(keyMapper, downloads, endpoints);
        } else {
            shares = shareGate(keyMapper, downloads, endpoints);
            adminToken = config.stateDir() == null ? AdminToken.ephemeral() : AdminToken.open(config.stateDir());
        }
        context = new ServerContext(keyMapper, downloads, new ProxyEndpoints(version(), endpoints, config.allowUpload()),
                uploadEndpoint, shares, new AdminGate(adminToken, config.requireToken()), transfers, metrics,
                new dev.bitsbridge.proxy.http.PublicBase(config.publicHosts(), this::port, config.network().tls()));
        UpstreamClient up = upstream;
        ServerContext ctx = context;
        metrics.gauge("bitsbridge.transfers.active", "Responses in progress", transfers, TransferRegistry::activeCount);
        metrics.gauge("bitsbridge.connections.open", "Open client connections", ctx, c -> c.connections().size());
        metrics.counter("bitsbridge.upstream.received", "bytes", "Bytes read from S3 connections (as on the wire)",
                up, UpstreamClient::bytesReceived);
        metrics.counter("bitsbridge.upstream.connections.opened", null, "Upstream connections opened",
                up, UpstreamClient::connectionsOpened);

        if (tls != null) {
            // A renewed certificate (certbot, an internal CA's agent) is picked up without a restart.
            group.scheduleWithFixedDelay(tls::reloadIfChanged, 1, 1, TimeUnit.SECONDS);
        }
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                // Upstream reads pause above 1 MiB queued for a client, resume below 512 KiB:
                // enough in flight for full speed on loopback, bounded per slow client.
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(512 * 1024, 1024 * 1024))
                .childHandler(new BitsBridgeServerInitializer(config, context, policy, tls));
        InetSocketAddress bind = new InetSocketAddress(InetAddress.getByName(config.bindAddress()), config.port());
        try {
            serverChannel = b.bind(bind).sync().channel();
        } catch (Exception e) {
            // The native transport reports "bind(..) failed: Address already in use" as its own
            // exception type; callers get one they can recognise.
            String m = String.valueOf(e.getMessage());
            String why = m.contains("in use") ? "address already in use"
                    : m.contains("assign requested address") || m.contains("not available")
                            ? "no network interface of this machine has the address " + config.bindAddress()
                                    + " (use 127.0.0.1, 0.0.0.0 or an address this machine has)"
                    : m.contains("ermission denied") ? "permission denied (ports below 1024 need privileges)"
                    : null;
            if (e instanceof java.net.BindException || why != null) {
                java.net.BindException be = new java.net.BindException(why != null ? why : m);
                be.initCause(e);
                throw be;
            }
            throw e;
        }
        InetAddress addr = bind.getAddress();
        if (!addr.isLoopbackAddress()) {
            log.warn("listening on {} which is not a loopback address: other machines can reach this proxy."
                    + " Only Host names given with --public-host are accepted.{}", addr.getHostAddress(),
                    config.requireToken() ? "" : " Anyone who can reach it gets objects: consider --require-token.");
        }
        log.info("bitsbridge {} listening on {}://{}:{} ({} transport)", version(), tls != null ? "https" : "http",
                bind.getHostString(), port(), transport.name());
        if (config.network().upstreamProxy().enabled()) {
            log.info("upstream proxy: {} for https, {} for http; reached directly: {}",
                    describe(config.network().upstreamProxy().https()), describe(config.network().upstreamProxy().http()),
                    config.network().upstreamProxy().noProxy().isEmpty() ? "none (no NO_PROXY)"
                            : String.join(",", config.network().upstreamProxy().noProxy()));
        }
        // The limits in force, for an operator tracing a problem (nothing here is a secret).
        log.debug("limits: {} event-loop threads, {} connections, upstream timeout {}, idle timeout {}, drain {},"
                + " {} ranges per request, uploads {}", threads, config.maxConnections(), config.upstreamTimeout(),
                config.idleTimeout(), config.drainTimeout(), config.maxRanges(), config.allowUpload() ? "on" : "off");
        return this;
    }

    /**
     * Share links need the state folder (the signing secret and the one-time links' ledger); the
     * minting endpoint comes with them. Spent markers in the bucket need bucket mode.
     */
    private ShareGate shareGate(KeyMapper keyMapper, Downloads downloads, List<ProxyEndpoint> endpoints)
            throws IOException, GeneralSecurityException {
        if (config.stateDir() == null) {
            return ShareGate.open();
        }
        ShareLinks links = new ShareLinks(ShareSecret.open(config.stateDir()), clock);
        SpentMarkers markers = null;
        if (config.shareSpentMarkers()) {
            shareMarkersClient = SdkS3Clients.create(config, credentialsProvider,
                    config.caBundle() == null ? null : TlsContexts.trustManagerFactory(config.caBundle()));
            markers = new SpentMarkers(shareMarkersClient, config.bucket());
        }
        SpentLedger ledger = SpentLedger.open(config.stateDir().resolve("shares"), stateExecutor, markers, clock);
        endpoints.add(new ShareEndpoints(links, servable(keyMapper, downloads)));
        return new ShareGate(links, ledger, config.requireToken());
    }

    /** Whether a key may be shared: it maps to an object this proxy serves (not refused by the key mapper). */
    private static java.util.function.Predicate<String> servable(KeyMapper keyMapper, Downloads downloads) {
        return key -> {
            try {
                downloads.source("/" + S3Paths.encodeKey(key), keyMapper);
                return true;
            } catch (InvalidPathException e) {
                return false;
            }
        };
    }

    /**
     * Scale-out: share keys and the admin token are the state bucket's (created by the first
     * instance, read again every --state-validity), one-time links are claimed and counted there.
     */
    private ShareGate sharedShareGate(KeyMapper keyMapper, Downloads downloads, List<ProxyEndpoint> endpoints)
            throws IOException {
        ShareSecret secret = ShareSecret.shared(sharedState);
        adminToken = AdminToken.shared(sharedState, config.stateDir());
        AdminToken token = adminToken;
        long every = config.sharedState().validity().toMillis();
        ExecutorService io = sharedExecutor;
        group.scheduleWithFixedDelay(() -> io.execute(() -> {
            secret.refresh();
            token.refresh();
        }), every, every, TimeUnit.MILLISECONDS);
        ShareLinks links = new ShareLinks(secret, clock);
        endpoints.add(new ShareEndpoints(links, servable(keyMapper, downloads)));
        return new ShareGate(links, null, new SharedOnceLedger(sharedState, sharedExecutor, group, clock),
                config.requireToken());
    }

    /** A proxy for the log: its address only, never its credentials. */
    private static String describe(dev.bitsbridge.proxy.config.OutboundProxy p) {
        return p == null ? "none" : p.display();
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) < 0 ? a : b;
    }

    /**
     * The token the proxy's own endpoints require ({@code Authorization: Bearer}): the contents of
     * {@code <state-dir>/admin-token}, or a random one kept in memory without a state folder.
     */
    public String adminToken() {
        return adminToken.value();
    }

    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** The parallel-download settings and budget (parts in flight, bytes held ahead). */
    public ReadAhead readAhead() {
        return readAhead;
    }

    /** The shared disk cache, or null when --cache-dir is not set. */
    public SliceCache cache() {
        return cache;
    }

    private static void cacheMetrics(ProxyMetrics metrics, SliceCache c) {
        var st = c.stats();
        metrics.counter("bitsbridge.cache.hits", null, "Slices a response found complete in the cache", st,
                s -> s.hits());
        metrics.counter("bitsbridge.cache.misses", null, "Slices fetched from S3 into the cache", st, s -> s.misses());
        metrics.counter("bitsbridge.cache.collapsed", null, "Slices a response read from a fill already in flight",
                st, s -> s.collapsedCount());
        metrics.counter("bitsbridge.cache.bypassed", null, "Slices served uncached (no room, or the disk failed)",
                st, s -> s.bypassedCount());
        metrics.counter("bitsbridge.cache.served", "bytes", "Body bytes sent to clients from the cache", st,
                s -> s.bytesFromCache());
        metrics.counter("bitsbridge.cache.sendfile", "bytes",
                "Of the bytes from the cache, those sent straight from the file (blocks checked before)", st,
                s -> s.bytesSentFromFile());
        metrics.counter("bitsbridge.cache.fetched", "bytes", "Body bytes the cache (and reads it bypassed) got from S3",
                st, s -> s.bytesFromS3());
        metrics.gauge("bitsbridge.cache.size.bytes", "Bytes of cached slices, with fills in flight", c,
                SliceCache::sizeBytes);
        metrics.gauge("bitsbridge.cache.limit.bytes", "--cache-size", c, SliceCache::maxBytes);
        metrics.gauge("bitsbridge.cache.open.files", "Slice files kept open for hits", c, SliceCache::slicesOpen);
    }

    /** Upstream connections opened so far: a pool that works keeps this low. */
    public long upstreamConnectionsOpened() {
        return upstream.connectionsOpened();
    }

    public int openConnections() {
        return context.connections().size();
    }

    /** Client requests whose response has not ended yet: what a graceful stop waits for. */
    public int requestsInFlight() {
        return context.inFlight();
    }

    /**
     * Stops accepting, lets responses in flight finish for up to {@code drainTimeout}, then closes
     * everything. Idle keep-alive connections are closed at once.
     */
    public synchronized void stop(Duration drainTimeout) {
        if (serverChannel == null) {
            return;
        }
        serverChannel.close().syncUninterruptibly();
        context.startDraining();
        long deadline = System.nanoTime() + drainTimeout.toNanos();
        while (context.inFlight() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (context.inFlight() > 0) {
            log.warn("drain timeout: closing {} transfers still in flight", context.inFlight());
        }
        context.connections().close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        upstream.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        if (cache != null) {
            cache.close();
        }
        if (credentials != null) {
            credentials.close();
        }
        stateExecutor.shutdown();
        try {
            // State writes queued by the last responses (one-time link progress) reach the disk.
            stateExecutor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (shareMarkersClient != null) {
            shareMarkersClient.close();
        }
        if (sharedExecutor != null) {
            sharedExecutor.shutdown();
            try {
                // Shared writes queued by the last responses (one-time link progress) reach S3.
                sharedExecutor.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            sharedExecutor = null;
        }
        if (uploads != null) {
            uploads.close();
        }
        if (sharedState != null) {
            sharedState.close();
            sharedState = null;
        }
        serverChannel = null;
    }

    @Override
    public void close() {
        stop(config.drainTimeout());
    }

    public static String version() {
        String v = BitsBridgeServer.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
