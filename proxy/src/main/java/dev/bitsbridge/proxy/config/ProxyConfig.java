package dev.bitsbridge.proxy.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Everything the proxy is configured with. Immutable; built with {@link #builder()}, whose defaults
 * are the documented ones (docs/configuration.md). The launcher maps options and environment
 * variables onto this; the library never reads either itself.
 */
public record ProxyConfig(
        String bindAddress,
        int port,
        String bucket,
        String prefix,
        String region,
        URI endpoint,
        boolean pathStyle,
        boolean accelerate,
        boolean dualstack,
        Duration upstreamTimeout,
        Path caBundle,
        int maxHeaderSize,
        int maxInitialLineLength,
        Duration idleTimeout,
        Duration requestHeaderTimeout,
        int maxConnections,
        List<String> publicHosts,
        List<String> corsOrigins,
        Duration drainTimeout,
        int maxRanges,
        int upstreamRetries,
        int ioThreads,
        Path stateDir,
        URI urlVendor,
        List<String> urlVendorHeaders,
        List<String> allowUpstream,
        boolean allowUpload,
        boolean allowOverwrite,
        long maxUploadSize,
        long uploadPartSize,
        Duration uploadSessionTtl,
        int maxUploadSessions,
        long maxSpoolBytes,
        long maxFragmentSize,
        int uploadParallelism,
        boolean requireToken,
        boolean shareSpentMarkers,
        int parallelConnections,
        long partSize,
        long readAheadMemory,
        SecurityConfig security,
        CacheConfig cache,
        NetworkConfig network,
        SharedStateConfig sharedState) {

    public ProxyConfig {
        security = security == null ? SecurityConfig.DEFAULTS : security;
        cache = cache == null ? CacheConfig.OFF : cache;
        network = network == null ? NetworkConfig.DEFAULTS : network;
        sharedState = sharedState == null ? SharedStateConfig.OFF : sharedState;
        Objects.requireNonNull(bindAddress, "bindAddress");
        Objects.requireNonNull(upstreamTimeout, "upstreamTimeout");
        prefix = prefix == null ? "" : prefix;
        // "releases" would also expose "releases-private/...": a prefix is a folder (issue #15, finding 10).
        if (!prefix.isEmpty() && !prefix.endsWith("/")) {
            prefix = prefix + "/";
        }
        publicHosts = List.copyOf(publicHosts);
        corsOrigins = List.copyOf(corsOrigins);
        urlVendorHeaders = List.copyOf(urlVendorHeaders);
        allowUpstream = List.copyOf(allowUpstream);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Checks every rule this configuration must satisfy (see {@code ConfigRules}); the first one
     * broken throws a {@link ConfigException} whose message is one line naming the option.
     *
     * @return this configuration, for chaining
     */
    public ProxyConfig validate() {
        ConfigRules.check(this);
        return this;
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.bindAddress = bindAddress;
        b.port = port;
        b.bucket = bucket;
        b.prefix = prefix;
        b.region = region;
        b.endpoint = endpoint;
        b.pathStyle = pathStyle;
        b.accelerate = accelerate;
        b.dualstack = dualstack;
        b.upstreamTimeout = upstreamTimeout;
        b.caBundle = caBundle;
        b.maxHeaderSize = maxHeaderSize;
        b.maxInitialLineLength = maxInitialLineLength;
        b.idleTimeout = idleTimeout;
        b.requestHeaderTimeout = requestHeaderTimeout;
        b.maxConnections = maxConnections;
        b.publicHosts = publicHosts;
        b.corsOrigins = corsOrigins;
        b.drainTimeout = drainTimeout;
        b.maxRanges = maxRanges;
        b.upstreamRetries = upstreamRetries;
        b.ioThreads = ioThreads;
        b.stateDir = stateDir;
        b.urlVendor = urlVendor;
        b.urlVendorHeaders = urlVendorHeaders;
        b.allowUpstream = allowUpstream;
        b.allowUpload = allowUpload;
        b.allowOverwrite = allowOverwrite;
        b.maxUploadSize = maxUploadSize;
        b.uploadPartSize = uploadPartSize;
        b.uploadSessionTtl = uploadSessionTtl;
        b.maxUploadSessions = maxUploadSessions;
        b.maxSpoolBytes = maxSpoolBytes;
        b.maxFragmentSize = maxFragmentSize;
        b.uploadParallelism = uploadParallelism;
        b.requireToken = requireToken;
        b.shareSpentMarkers = shareSpentMarkers;
        b.parallelConnections = parallelConnections;
        b.partSize = partSize;
        b.readAheadMemory = readAheadMemory;
        b.security = security;
        b.cache = cache;
        b.network = network;
        b.sharedState = sharedState;
        return b;
    }

    /** Builder with the documented defaults. Not thread-safe. */
    public static final class Builder {
        private String bindAddress = "127.0.0.1";
        private int port = 8080;
        private String bucket;
        private String prefix = "";
        private String region = "us-east-1";
        private URI endpoint;
        private boolean pathStyle;
        private boolean accelerate;
        private boolean dualstack;
        private Duration upstreamTimeout = Duration.ofSeconds(30);
        private Path caBundle;
        private int maxHeaderSize = 16 * 1024;
        private int maxInitialLineLength = 8 * 1024;
        private Duration idleTimeout = Duration.ofSeconds(120);
        private Duration requestHeaderTimeout = Duration.ofSeconds(30);
        private int maxConnections = 1024;
        private List<String> publicHosts = List.of();
        private List<String> corsOrigins = List.of();
        private Duration drainTimeout = Duration.ofSeconds(30);
        private int maxRanges = 100;
        private int upstreamRetries = 4;
        private int ioThreads = 0;
        private Path stateDir;
        private URI urlVendor;
        private List<String> urlVendorHeaders = List.of();
        private List<String> allowUpstream = List.of();
        private boolean allowUpload;
        private boolean allowOverwrite;
        private long maxUploadSize;
        private long uploadPartSize = 8 * 1024 * 1024;
        private Duration uploadSessionTtl = Duration.ofDays(7);
        private int maxUploadSessions = 64;
        private long maxSpoolBytes = 2L * 1024 * 1024 * 1024;
        private long maxFragmentSize = 64L * 1024 * 1024;
        private int uploadParallelism = 8;
        private boolean requireToken;
        private boolean shareSpentMarkers;
        private int parallelConnections = 16;
        private long partSize = 8L * 1024 * 1024;
        private long readAheadMemory = 128L * 1024 * 1024;
        private SecurityConfig security = SecurityConfig.DEFAULTS;
        private CacheConfig cache = CacheConfig.OFF;
        private NetworkConfig network = NetworkConfig.DEFAULTS;
        private SharedStateConfig sharedState = SharedStateConfig.OFF;

        public Builder bindAddress(String v) { bindAddress = v; return this; }
        public Builder port(int v) { port = v; return this; }
        public Builder bucket(String v) { bucket = v; return this; }
        public Builder prefix(String v) { prefix = v; return this; }
        public Builder region(String v) { region = v; return this; }
        public Builder endpoint(URI v) { endpoint = v; return this; }
        public Builder pathStyle(boolean v) { pathStyle = v; return this; }
        public Builder accelerate(boolean v) { accelerate = v; return this; }
        public Builder dualstack(boolean v) { dualstack = v; return this; }
        public Builder upstreamTimeout(Duration v) { upstreamTimeout = v; return this; }
        public Builder caBundle(Path v) { caBundle = v; return this; }
        public Builder maxHeaderSize(int v) { maxHeaderSize = v; return this; }
        public Builder maxInitialLineLength(int v) { maxInitialLineLength = v; return this; }
        public Builder idleTimeout(Duration v) { idleTimeout = v; return this; }
        public Builder requestHeaderTimeout(Duration v) { requestHeaderTimeout = v; return this; }
        public Builder maxConnections(int v) { maxConnections = v; return this; }
        public Builder publicHosts(List<String> v) { publicHosts = v; return this; }
        public Builder corsOrigins(List<String> v) { corsOrigins = v; return this; }
        public Builder drainTimeout(Duration v) { drainTimeout = v; return this; }
        public Builder maxRanges(int v) { maxRanges = v; return this; }
        public Builder upstreamRetries(int v) { upstreamRetries = v; return this; }
        /** Event-loop threads; 0 means one per available processor. */
        public Builder ioThreads(int v) { ioThreads = v; return this; }
        /** Where links (and other durable state) live; null disables link registration. */
        public Builder stateDir(Path v) { stateDir = v; return this; }
        /** Vendor mode: per-verb presigned URLs come from this backend endpoint. */
        public Builder urlVendor(URI v) { urlVendor = v; return this; }
        public Builder urlVendorHeaders(List<String> v) { urlVendorHeaders = v; return this; }
        /** Extra upstream hosts (HOST or HOST:PORT) that links and vendors may point at. */
        public Builder allowUpstream(List<String> v) { allowUpstream = v; return this; }
        /** Accept BITS uploads (BITS_POST) into the bucket. */
        public Builder allowUpload(boolean v) { allowUpload = v; return this; }
        /** Let an upload replace an existing object (off: first upload wins). */
        public Builder allowOverwrite(boolean v) { allowOverwrite = v; return this; }
        /** Largest accepted upload in bytes; 0 means S3's limit (5 TiB). */
        public Builder maxUploadSize(long v) { maxUploadSize = v; return this; }
        /** S3 part size for uploads (at least 5 MiB). */
        public Builder uploadPartSize(long v) { uploadPartSize = v; return this; }
        public Builder uploadSessionTtl(Duration v) { uploadSessionTtl = v; return this; }
        public Builder maxUploadSessions(int v) { maxUploadSessions = v; return this; }
        public Builder maxSpoolBytes(long v) { maxSpoolBytes = v; return this; }
        public Builder maxFragmentSize(long v) { maxFragmentSize = v; return this; }
        /** Part uploads in flight at most per BITS upload session (fragments are acknowledged from disk). */
        public Builder uploadParallelism(int v) { uploadParallelism = v; return this; }
        /** Object requests need a valid share-link token; management endpoints answer loopback only. */
        public Builder requireToken(boolean v) { requireToken = v; return this; }
        /** Record spent one-time links as marker objects in the bucket (proxies sharing a bucket agree). */
        public Builder shareSpentMarkers(boolean v) { shareSpentMarkers = v; return this; }

        /** Ranged GETs in flight at most per large download; 1 turns parallel downloads off. */
        public Builder parallelConnections(int v) { parallelConnections = v; return this; }
        /** Bytes per ranged GET of a parallel download; spans over twice this are split. */
        public Builder partSize(long v) { partSize = v; return this; }
        /** Bytes all parallel downloads together may hold ahead of their clients. */
        public Builder readAheadMemory(long v) { readAheadMemory = v; return this; }

        /** The hardening limits (docs/security.md); {@link SecurityConfig#DEFAULTS} unless set. */
        public Builder security(SecurityConfig v) { security = v; return this; }

        /** Shorthand: links and vendor URLs may resolve to private and loopback addresses. */
        public Builder allowPrivateUpstream(boolean v) { security = security.withAllowPrivateUpstream(v); return this; }

        /** The shared disk cache (docs/cache.md); {@link CacheConfig#OFF} unless set. */
        public Builder cache(CacheConfig v) { cache = v; return this; }
        /** Forward proxies for upstream requests and the TLS listener; {@link NetworkConfig#DEFAULTS} unless set. */
        public Builder network(NetworkConfig v) { network = v; return this; }
        /** Scale-out: state shared in S3 (docs/scale-out.md); {@link SharedStateConfig#OFF} unless set. */
        public Builder sharedState(SharedStateConfig v) { sharedState = v; return this; }

        public ProxyConfig build() {
            return new ProxyConfig(bindAddress, port, bucket, prefix, region, endpoint, pathStyle, accelerate,
                    dualstack, upstreamTimeout, caBundle, maxHeaderSize, maxInitialLineLength, idleTimeout,
                    requestHeaderTimeout, maxConnections, publicHosts, corsOrigins, drainTimeout, maxRanges,
                    upstreamRetries, ioThreads, stateDir, urlVendor, urlVendorHeaders, allowUpstream, allowUpload,
                    allowOverwrite, maxUploadSize, uploadPartSize, uploadSessionTtl, maxUploadSessions, maxSpoolBytes,
                    maxFragmentSize, uploadParallelism, requireToken, shareSpentMarkers, parallelConnections, partSize,
                    readAheadMemory, security, cache, network, sharedState);
        }
    }
}
