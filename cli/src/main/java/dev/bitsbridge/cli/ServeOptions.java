package dev.bitsbridge.cli;

import dev.bitsbridge.proxy.config.SharedStateConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The options of {@code bitsbridge serve}, one group per section of its help. {@link ServeCommand}
 * maps them onto {@code ProxyConfig}; {@code config show} and {@code share} read the same groups, so an
 * option is declared once. Plain holders filled by picocli on the launcher's thread.
 */
final class ServeOptions {

    private ServeOptions() {
    }

    static final class Upstream {
        @Option(names = "--bucket", paramLabel = "BUCKET",
                description = "Serve s3://BUCKET/<prefix><key> at /<key>. Without it, paths are /<bucket>/<key>.")
        String bucket;

        @Option(names = "--prefix", paramLabel = "PREFIX", defaultValue = "",
                description = "Key prefix prepended to every path (keys outside it are unreachable).")
        String prefix;

        @Option(names = "--region", paramLabel = "REGION",
                description = "AWS region (default: AWS_REGION, the profile's region, else us-east-1).")
        String region;

        @Option(names = "--endpoint", paramLabel = "URL",
                description = "An S3-compatible endpoint (http or https) instead of AWS.")
        String endpoint;

        @Option(names = "--path-style", description = "Address buckets as https://host/<bucket>/ (not <bucket>.host).")
        boolean pathStyle;

        @Option(names = "--accelerate", description = "Use the S3 Transfer Acceleration endpoint.")
        boolean accelerate;

        @Option(names = "--dualstack", description = "Use the dual-stack (IPv4 and IPv6) S3 endpoints.")
        boolean dualstack;

        @Option(names = "--ca-bundle", paramLabel = "FILE",
                description = "Extra trusted CA certificates (PEM) for the upstream; default: AWS_CA_BUNDLE.")
        Path caBundle;

        @Option(names = "--upstream-proxy", paramLabel = "URL",
                description = "Reach S3 (and links, the URL vendor, STS) through this forward proxy:"
                        + " http://[user:pass@]host:port (default: HTTPS_PROXY / HTTP_PROXY).")
        String upstreamProxy;

        @Option(names = "--no-proxy", paramLabel = "HOSTS", split = ",",
                description = "Hosts reached without the proxy: names (with their subdomains), IPs, *"
                        + " (default: NO_PROXY).")
        List<String> noProxy;
    }

    static final class Credentials {
        @Option(names = "--profile", paramLabel = "NAME", description = "Use this profile from ~/.aws/config and credentials.")
        String profile;

        @Option(names = "--role-arn", paramLabel = "ARN", description = "Assume this role through STS (refreshed automatically).")
        String roleArn;

        @Option(names = "--role-session-name", paramLabel = "NAME", defaultValue = "bitsbridge",
                description = "Session name for --role-arn (default: ${DEFAULT-VALUE}).")
        String roleSessionName;
    }

    static final class Listening {
        @Option(names = "--bind", paramLabel = "ADDR", defaultValue = "127.0.0.1",
                description = "Address to listen on (default: ${DEFAULT-VALUE}; anything else is reachable from other machines).")
        String bind;

        @Option(names = "--port", paramLabel = "N", defaultValue = "8080",
                description = "Port to listen on (default: ${DEFAULT-VALUE}; 0 picks a free one).")
        int port;

        @Option(names = "--public-host", paramLabel = "NAME", split = ",",
                description = "A host name clients use to reach this proxy (repeatable); others get 421.")
        List<String> publicHosts = new ArrayList<>();

        @Option(names = "--tls-cert", paramLabel = "FILE",
                description = "Serve https with this certificate chain (PEM); reloaded when the file changes.")
        Path tlsCert;

        @Option(names = "--tls-key", paramLabel = "FILE",
                description = "The private key of --tls-cert (PEM, PKCS#8: -----BEGIN PRIVATE KEY-----).")
        Path tlsKey;

        @Option(names = "--cors-origin", paramLabel = "ORIGIN", split = ",",
                description = "A web origin allowed to use the proxy from a browser (repeatable); others get 403.")
        List<String> corsOrigins = new ArrayList<>();
    }

    static final class Presigned {
        @Option(names = "--state-dir", paramLabel = "DIR",
                description = {"Where links, the share-link secret and upload sessions are kept (default: ~/.bitsbridge;",
                    "  on Windows %%LOCALAPPDATA%%\\bitsbridge)."})
        Path stateDir;

        @Option(names = "--url-vendor", paramLabel = "URL",
                description = "Vendor mode: get a presigned URL per key and verb from this backend endpoint.")
        String urlVendor;

        @Option(names = "--url-vendor-header", paramLabel = "\"NAME: VALUE\"",
                description = "A header sent to the URL vendor (repeatable), e.g. an API key.")
        List<String> urlVendorHeaders = new ArrayList<>();

        @Option(names = "--allow-upstream", paramLabel = "HOST[:PORT]", split = ",",
                description = {"Another host links and vendors may point at (repeatable):",
                    "  HOST[:PORT] or http(s)://HOST[:PORT].",
                    "  S3 host names over https and --endpoint are always allowed."})
        List<String> allowUpstream = new ArrayList<>();

        @Option(names = "--allow-private-upstream",
                description = "Let links and vendor URLs reach loopback, private and link-local addresses"
                        + " (refused by default: SSRF; --endpoint and IP-literal --allow-upstream entries always may).")
        boolean allowPrivateUpstream;

        @Option(names = "--max-links", paramLabel = "N", defaultValue = "10000",
                description = "Registered links at most; more get 507 until some are deleted or expire"
                        + " (default: ${DEFAULT-VALUE}; 0: no limit).")
        int maxLinks;

        @Option(names = "--link-max-age", paramLabel = "DURATION", defaultValue = "30d", converter = DurationConverter.class,
                description = "A registered link is dropped this long after its last change (registration or PUT"
                        + " of a fresh URL), unless it named a shorter lifetime (default: ${DEFAULT-VALUE}).")
        Duration linkMaxAge;
    }

    static final class Sharing {
        @Option(names = "--require-token",
                description = {"Serve objects only with a valid share-link token,",
                    "  in ?token= or Authorization: Bearer. The proxy's own endpoints always need the admin token",
                    "  (<state-dir>/admin-token)."})
        boolean requireToken;

        @Option(names = "--share-spent-markers",
                description = {"Record spent one-time links as objects under",
                    "  .bitsbridge/spent/ in the bucket (conditional writes), so proxies sharing a bucket and a secret"
                            + " agree."})
        boolean spentMarkers;
    }

    static final class Uploads {
        @Option(names = "--allow-upload", description = "Accept BITS uploads (BITS_POST) into the bucket (bucket mode).")
        boolean allowUpload;

        @Option(names = "--allow-overwrite",
                description = "Let an upload replace an existing object (default: the first upload wins).")
        boolean allowOverwrite;

        @Option(names = "--max-upload-size", paramLabel = "SIZE", defaultValue = "5T", converter = SizeConverter.class,
                description = "Largest upload accepted, e.g. 10G (default: S3's limit, ${DEFAULT-VALUE}).")
        long maxUploadSize;

        @Option(names = "--upload-part-size", paramLabel = "SIZE", defaultValue = "8M", converter = SizeConverter.class,
                description = "S3 part size for uploads, at least 5M (default: ${DEFAULT-VALUE}).")
        long partSize;

        @Option(names = "--upload-parallelism", paramLabel = "N", defaultValue = "8",
                description = "Parts of one BITS upload sent to S3 at once; fragments are acknowledged once they"
                        + " are on disk (default: ${DEFAULT-VALUE}; 1 to 64).")
        int parallelism;

        @Option(names = "--upload-session-ttl", paramLabel = "DURATION", defaultValue = "7d",
                converter = DurationConverter.class,
                description = "Abort uploads idle this long and remove their spooled data (default: ${DEFAULT-VALUE}).")
        Duration sessionTtl;

        @Option(names = "--max-upload-sessions", paramLabel = "N", defaultValue = "64",
                description = "Open upload sessions at most; Create-Session beyond gets 503, retried later"
                        + " (default: ${DEFAULT-VALUE}; 0: no limit).")
        int maxSessions;

        @Option(names = "--max-spool-bytes", paramLabel = "SIZE", defaultValue = "2G", converter = SizeConverter.class,
                description = "Upload bytes spooled on disk, all sessions together; fragments beyond get 503,"
                        + " retried later (default: ${DEFAULT-VALUE}; 0: no limit).")
        long maxSpoolBytes;

        @Option(names = "--max-fragment-size", paramLabel = "SIZE", defaultValue = "64M",
                converter = SizeConverter.class,
                description = "Largest BITS fragment accepted; larger get 413 and BITS sends smaller ones"
                        + " (default: ${DEFAULT-VALUE}; 0: no limit).")
        long maxFragmentSize;
    }

    static final class Limits {
        @Option(names = "--upstream-timeout", paramLabel = "DURATION", defaultValue = "30s",
                converter = DurationConverter.class,
                description = "No answer from S3 in this time: 504 (default: ${DEFAULT-VALUE}).")
        Duration upstreamTimeout;

        @Option(names = "--max-connections", paramLabel = "N", defaultValue = "1024",
                description = "Concurrent client connections; more get 503 (default: ${DEFAULT-VALUE}).")
        int maxConnections;

        @Option(names = "--max-connections-per-client", paramLabel = "N", defaultValue = "64",
                description = "Concurrent connections from one client address; more get 503 (default: ${DEFAULT-VALUE}).")
        int maxConnectionsPerClient;

        @Option(names = "--idle-timeout", paramLabel = "DURATION", defaultValue = "120s", converter = DurationConverter.class,
                description = "Close connections idle this long (default: ${DEFAULT-VALUE}).")
        Duration idleTimeout;

        @Option(names = "--request-header-timeout", paramLabel = "DURATION", defaultValue = "30s",
                converter = DurationConverter.class,
                description = "A request head must arrive within this time, else 408 (default: ${DEFAULT-VALUE}).")
        Duration requestHeaderTimeout;

        @Option(names = "--drain-timeout", paramLabel = "DURATION", defaultValue = "30s", converter = DurationConverter.class,
                description = "On SIGTERM, let transfers in flight finish for up to this long (default: ${DEFAULT-VALUE}).")
        Duration drainTimeout;

        @Option(names = "--io-threads", paramLabel = "N", defaultValue = "0",
                description = "Network threads; 0 (the default) means one per processor.")
        int ioThreads;

        @Option(names = "--max-ranges", paramLabel = "N", defaultValue = "100",
                description = "More ranges than this in one request: the whole object is served (default: ${DEFAULT-VALUE}).")
        int maxRanges;

        @Option(names = "--parallel-connections", paramLabel = "N", defaultValue = "16",
                description = "Ranged GETs in flight per large download (a whole object, a range over twice"
                        + " --part-size, or the ranges after the current one of a client reading sequentially);"
                        + " 1 turns parallel downloads and read-ahead off (default: ${DEFAULT-VALUE}).")
        int parallelConnections;

        @Option(names = "--part-size", paramLabel = "SIZE", defaultValue = "8M", converter = SizeConverter.class,
                description = "Bytes per ranged GET of a parallel download (default: ${DEFAULT-VALUE}).")
        long downloadPartSize;

        @Option(names = "--read-ahead-memory", paramLabel = "SIZE", defaultValue = "128M", converter = SizeConverter.class,
                description = "Bytes all parallel downloads and read-ahead together may hold ahead of their"
                        + " clients (default: ${DEFAULT-VALUE}).")
        long readAheadMemory;
    }

    static final class Cache {
        @Option(names = "--cache-dir", paramLabel = "DIR",
                description = "Keep the objects served in DIR and serve them to every client from there: one S3"
                        + " download per slice for a whole fleet. Off unless set.")
        Path dir;

        @Option(names = "--cache-size", paramLabel = "SIZE", defaultValue = "10G", converter = SizeConverter.class,
                description = "The most the cache may take on disk; least recently used slices go first"
                        + " (default: ${DEFAULT-VALUE}).")
        long size;

        @Option(names = "--cache-validity", paramLabel = "DURATION", defaultValue = "60s",
                converter = DurationConverter.class,
                description = "How long a cached object is served without asking S3 whether it changed; after it,"
                        + " one conditional request (default: ${DEFAULT-VALUE}).")
        Duration validity;
    }

    static final class Scale {
        @Option(names = "--state-bucket", paramLabel = "BUCKET",
                description = "Keep links, share keys, one-time links and upload sessions in BUCKET, so several"
                        + " instances behind a load balancer serve any request (docs/scale-out.md). Off unless set.")
        String bucket;

        @Option(names = "--state-prefix", paramLabel = "PREFIX", defaultValue = SharedStateConfig.DEFAULT_PREFIX,
                description = "Key prefix of the state objects; instances sharing it are one cluster. Default:"
                        + " ${DEFAULT-VALUE}")
        String prefix;

        @Option(names = "--state-validity", paramLabel = "DURATION", defaultValue = "10s",
                converter = DurationConverter.class,
                description = "How long an instance trusts its copy of shared state before reading it again: a"
                        + " deleted link or a rotated share key reaches every instance within it"
                        + " (default: ${DEFAULT-VALUE}).")
        Duration validity;
    }

    static final class Operations {
        @Option(names = "--config", paramLabel = "FILE",
                description = "Read options from FILE ('option = value' lines; default: BITSBRIDGE_CONFIG).")
        Path config;

        @Option(names = "--log-format", paramLabel = "FORMAT", defaultValue = "text",
                description = "text (default) or json: one JSON object per line on stderr.")
        LogSetup.Format logFormat;

        @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "info",
                description = "error, warn, info (default), debug or trace.")
        String logLevel;

        @Option(names = "--skip-checks",
                description = "Start without the start-up checks (credentials, endpoint, bucket): for offline starts.")
        boolean skipChecks;

        @Option(names = "--log-file", paramLabel = "FILE",
                description = "Log to FILE instead of stderr, rotated by size (for a service).")
        Path logFile;

        @Option(names = "--log-file-size", paramLabel = "SIZE", defaultValue = "10M", converter = SizeConverter.class,
                description = "Rotate the log file when it reaches SIZE (default: ${DEFAULT-VALUE}).")
        long logFileSize;

        @Option(names = "--log-file-count", paramLabel = "N", defaultValue = "5",
                description = "Rotated log files kept: FILE.1 (newest) to FILE.N (default: ${DEFAULT-VALUE}).")
        int logFileCount;
    }
}
