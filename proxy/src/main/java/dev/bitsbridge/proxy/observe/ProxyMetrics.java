package dev.bitsbridge.proxy.observe;

import dev.bitsbridge.proxy.upstream.UpstreamException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * The proxy's {@link ProxyEvents} as Micrometer meters in a Prometheus registry, rendered by
 * {@link #scrape()} for {@code GET /_bitsbridge/metrics}. Every name starts with
 * {@code bitsbridge_} except the standard JVM ones ({@code jvm_*}, {@code process_*},
 * {@code system_*}), which keep the names dashboards expect.
 *
 * <p>Meters with tags are looked up once per (method, status) and then cached in a map keyed by a
 * small value, so an event costs a map lookup and an atomic add, no registry search. Tag values
 * are bounded (HTTP methods are normalised, statuses are three digits).
 *
 * <p>Thread-safe.
 */
public final class ProxyMetrics implements ProxyEvents {

    private static final Duration[] LATENCY_BUCKETS = {
        Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
        Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
        Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30)};

    /** The S3 statuses the caller retries ({@code S3Errors.retryable}), registered up front. */
    private static final int[] RETRYABLE_STATUSES = {500, 502, 503, 504};
    /** The failures the caller retries (see {@code S3Caller}), registered up front. */
    private static final UpstreamException.Kind[] RETRIED_KINDS = {UpstreamException.Kind.CONNECT_FAILED,
        UpstreamException.Kind.CLOSED_BEFORE_RESPONSE, UpstreamException.Kind.TRUNCATED};

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter bytesSent;
    private final Counter bytesReceived;
    private final Map<UpstreamException.Kind, Counter> upstreamErrors = new EnumMap<>(UpstreamException.Kind.class);
    private final Counter credentialErrors;
    private final Map<Integer, Counter> requests = new ConcurrentHashMap<>();
    private final Map<Integer, Timer> upstreamLatency = new ConcurrentHashMap<>();
    private final Map<String, Counter> retries = new ConcurrentHashMap<>();
    private final Map<Integer, Counter> upstreamHttpErrors = new ConcurrentHashMap<>();
    /** Whether the JVM series are registered (guarded by this). */
    private boolean jvmBound;

    public ProxyMetrics() {
        bytesSent = Counter.builder("bitsbridge.sent").baseUnit("bytes")
                .description("Response body bytes written to client sockets, counted as they go").register(registry);
        bytesReceived = Counter.builder("bitsbridge.received").baseUnit("bytes")
                .description("Request body bytes read from clients (uploads)").register(registry);
        for (UpstreamException.Kind k : UpstreamException.Kind.values()) {
            upstreamErrors.put(k, upstreamErrorCounter(k.name().toLowerCase(java.util.Locale.ROOT)));
        }
        credentialErrors = upstreamErrorCounter("credentials");
        // Every series a dashboard or an alert rule reads is there at 0 from the start: a rate()
        // over a series that appears only with its first event misses that event, and "absent"
        // reads as "no data" rather than "none happened".
        for (int status : RETRYABLE_STATUSES) {
            upstreamHttpErrors.put(status, upstreamErrorCounter("http_" + status));
            retryCounter("http_" + status);
        }
        for (UpstreamException.Kind k : RETRIED_KINDS) {
            retryCounter(k.name().toLowerCase(java.util.Locale.ROOT));
        }
        if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider p) {
            ByteBufAllocatorMetric m = p.metric();
            gauge("bitsbridge.netty.allocator.used.direct", m, ByteBufAllocatorMetric::usedDirectMemory,
                    "Direct memory held by Netty's default allocator");
            gauge("bitsbridge.netty.allocator.used.heap", m, ByteBufAllocatorMetric::usedHeapMemory,
                    "Heap memory held by Netty's default allocator");
        }
    }

    /**
     * Registers the JVM's series (memory and buffer pools, GC, threads, classes, CPU, uptime), once;
     * later calls do nothing. They load the JMX management classes (about 400 classes, a tenth of a
     * second or more), so the server calls this from its background warm-up, after the first
     * requests had the machine to themselves; a scrape that comes earlier binds them itself (see
     * {@link #scrape()}), so every scrape has them.
     */
    public synchronized void bindJvmMetrics() {
        if (jvmBound) {
            return;
        }
        jvmBound = true;
        new JvmMemoryMetrics().bindTo(registry); // includes jvm_buffer_* (direct and mapped pools)
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    private <T> void gauge(String name, T obj, ToDoubleFunction<T> f, String description) {
        Gauge.builder(name, obj, f).baseUnit("bytes").description(description).register(registry);
    }

    private Counter upstreamErrorCounter(String kind) {
        return Counter.builder("bitsbridge.upstream.errors").tag("kind", kind)
                .description("Upstream attempts without a usable response, by kind").register(registry);
    }

    /** The registry, for gauges owned by other components (active transfers, pools). */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Registers a gauge read from {@code obj} at scrape time. */
    public <T> void gauge(String name, String description, T obj, ToDoubleFunction<T> f) {
        Gauge.builder(name, obj, f).description(description).register(registry);
    }

    /**
     * The gauges and counts of parallel transfers and read-ahead, read from {@code r} when
     * scraped: parts in flight, bytes held ahead of clients and reserved of the budget (never
     * above {@code bitsbridge_parallel_readahead_budget_bytes}), sequential readings being read
     * ahead, ranges answered from memory, ranged GETs sent for parts, transfers that went back to
     * one connection, parts given back by stalled clients.
     */
    public void readAhead(dev.bitsbridge.proxy.download.ReadAhead r) {
        gauge("bitsbridge.parallel.parts.inflight", "Ranged GETs of parallel downloads in progress", r,
                dev.bitsbridge.proxy.download.ReadAhead::partsInFlight);
        gauge("bitsbridge.parallel.readahead.bytes", "Bytes fetched ahead of clients and held", r,
                dev.bitsbridge.proxy.download.ReadAhead::bytesHeld);
        gauge("bitsbridge.parallel.readahead.reserved.bytes", "Bytes of the read-ahead budget reserved by parts", r,
                dev.bitsbridge.proxy.download.ReadAhead::bytesReserved);
        gauge("bitsbridge.parallel.readahead.budget.bytes", "The read-ahead budget (--read-ahead-memory)", r,
                dev.bitsbridge.proxy.download.ReadAhead::budget);
        gauge("bitsbridge.readahead.streams", "Client connections read sequentially with read-ahead", r,
                dev.bitsbridge.proxy.download.ReadAhead::streams);
        counter("bitsbridge.readahead.ranges", null, "Range requests answered from read-ahead", r,
                dev.bitsbridge.proxy.download.ReadAhead::rangesFromMemory);
        counter("bitsbridge.parallel.parts", null, "Ranged GETs sent for parts (retries included)", r,
                dev.bitsbridge.proxy.download.ReadAhead::partsFetched);
        counter("bitsbridge.parallel.narrowed", null, "Parallel downloads back to one connection (parts added nothing)", r,
                dev.bitsbridge.proxy.download.ReadAhead::transfersNarrowed);
        counter("bitsbridge.parallel.parts.released", null, "Parts fetched ahead and given back by stalled clients", r,
                dev.bitsbridge.proxy.download.ReadAhead::partsReleased);
    }

    /** Registers a monotonic count kept by {@code obj} (e.g. upstream bytes received). */
    public <T> void counter(String name, String baseUnit, String description, T obj, ToDoubleFunction<T> f) {
        FunctionCounter.builder(name, obj, f).baseUnit(baseUnit).description(description).register(registry);
    }

    /** The Prometheus text exposition format (version 0.0.4), JVM series included. */
    public String scrape() {
        bindJvmMetrics();
        return registry.scrape();
    }

    @Override
    public void upstreamResponse(String method, int status, long nanos) {
        int key = methodIndex(method) * 1000 + status;
        upstreamLatency.computeIfAbsent(key, k -> Timer.builder("bitsbridge.upstream.latency")
                .description("Time from sending an upstream request to its response head")
                .tag("method", method(method)).tag("status", Integer.toString(status))
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .register(registry)).record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        if (status >= 500) {
            upstreamHttpErrors.computeIfAbsent(status, s -> upstreamErrorCounter("http_" + s)).increment();
        }
    }

    @Override
    public void upstreamFailure(UpstreamException.Kind kind) {
        upstreamErrors.get(kind).increment();
    }

    @Override
    public void credentialsFailure() {
        credentialErrors.increment();
    }

    @Override
    public void upstreamRetry(String reason) {
        retryCounter(reason).increment();
    }

    private Counter retryCounter(String reason) {
        return retries.computeIfAbsent(reason, r -> Counter.builder("bitsbridge.upstream.retries").tag("reason", r)
                .description("Upstream attempts retried, by reason").register(registry));
    }

    @Override
    public void requestBodyReceived(long bytes) {
        bytesReceived.increment(bytes);
    }

    @Override
    public void requestDone(String method, int status, long sent, long nanos, boolean complete) {
        int key = (methodIndex(method) * 1000 + status) * 2 + (complete ? 1 : 0);
        requests.computeIfAbsent(key, k -> Counter.builder("bitsbridge.requests")
                .description("Client requests answered, by method, status and whether the response completed")
                .tag("method", method(method)).tag("status", status == 0 ? "none" : Integer.toString(status))
                .tag("outcome", complete ? "complete" : "aborted")
                .register(registry)).increment();
    }

    @Override
    public void responseBodySent(long bytes) {
        bytesSent.increment(bytes);
    }

    private static final String[] METHODS = {"GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE", "other"};

    private static int methodIndex(String m) {
        for (int i = 0; i < METHODS.length - 1; i++) {
            if (METHODS[i].equals(m)) {
                return i;
            }
        }
        return METHODS.length - 1;
    }

    /** Bounded tag values: anything outside the common methods is "other" (a client picks methods). */
    private static String method(String m) {
        return METHODS[methodIndex(m)];
    }
}
