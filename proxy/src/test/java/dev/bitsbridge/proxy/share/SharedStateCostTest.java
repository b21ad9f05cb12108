package dev.bitsbridge.proxy.share;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.bitsbridge.proxy.links.Link;
import dev.bitsbridge.proxy.links.PresignedUrl;
import dev.bitsbridge.proxy.links.SharedLinkStore;
import dev.bitsbridge.proxy.s3.S3SharedState;
import dev.bitsbridge.proxy.state.AdminToken;
import dev.bitsbridge.proxy.testing.S3Server;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The S3 requests each shared-state operation costs (docs/scale-out.md, "Links, share keys and
 * one-time links"), counted on the wire: every request the state store's SDK client sends to
 * s3proxy, by operation name. A change that adds a round trip to a hot path fails here.
 */
class SharedStateCostTest {

    private static S3Server s3;
    private static S3SharedState state;
    private static final Map<String, AtomicInteger> sent = new ConcurrentHashMap<>();
    private static final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

    @BeforeAll
    static void start() throws Exception {
        s3 = new S3Server();
        s3.createBucket("state");
        ExecutionInterceptor counter = new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution c, ExecutionAttributes a) {
                sent.computeIfAbsent(a.getAttribute(SdkExecutionAttribute.OPERATION_NAME), k -> new AtomicInteger())
                        .incrementAndGet();
            }
        };
        S3Client client = S3Client.builder().endpointOverride(s3.endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(s3.credentials()).forcePathStyle(true)
                // As the proxy's own clients (SdkS3Clients): plain bodies, not aws-chunked.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .overrideConfiguration(o -> o.addExecutionInterceptor(counter)).build();
        state = new S3SharedState(client, "state", "cost/");
    }

    @AfterAll
    static void stop() throws Exception {
        timer.shutdownNow();
        state.close();
        s3.close();
    }

    /** Runs {@code op} and returns the requests it sent, e.g. {@code {ListObjectsV2=1, GetObject=1}}. */
    private static Map<String, Integer> count(Op op) throws Exception {
        sent.clear();
        op.run();
        Map<String, Integer> out = new LinkedHashMap<>();
        // Requests the code makes, not the SDK's attempts (beforeExecution): s3proxy sometimes
        // leaves a conditional PUT unanswered, the SDK retries it, and the retry, refused by the
        // first attempt's object, makes the store HEAD it to know it as its own
        // (S3SharedStateTest covers that path); neither is a cost of the path counted here.
        sent.remove("HeadObject");
        sent.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> out.put(e.getKey(), e.getValue().get()));
        System.out.println("requests: " + out);
        return out;
    }

    private interface Op {
        void run() throws Exception;
    }

    @Test
    void links() throws Exception {
        SharedLinkStore store = new SharedLinkStore(state, Runnable::run, Clock.systemUTC(), 0, Duration.ofDays(7),
                Duration.ofSeconds(10));
        SharedLinkStore limited = new SharedLinkStore(state, Runnable::run, Clock.systemUTC(), 100,
                Duration.ofDays(7), Duration.ofSeconds(10));
        SharedLinkStore other = new SharedLinkStore(state, Runnable::run, Clock.systemUTC(), 0, Duration.ofDays(7),
                Duration.ofSeconds(10));
        PresignedUrl url = PresignedUrl.parse("https://bucket.s3.amazonaws.com/a.bin?X-Amz-Signature=abc");
        Link[] l = new Link[1];
        assertEquals(Map.of("ListObjectsV2", 1, "PutObject", 1), count(() -> l[0] = store.create(url, "a.bin", null)));
        // --max-links: one more LIST of links/ (1 request per 1,000 links)
        assertEquals(Map.of("ListObjectsV2", 2, "PutObject", 1), count(() -> limited.create(url, "b.bin", null)));
        // another instance: a miss reads the link, then it is served from memory for --state-validity
        assertEquals(Map.of("GetObject", 1, "ListObjectsV2", 1), count(() -> assertNotNull(other.find(l[0].id()).get())));
        assertEquals(Map.of(), count(() -> assertNotNull(other.find(l[0].id()).get())));
        // an unknown id: one LIST, then remembered absent
        assertEquals(Map.of("ListObjectsV2", 1), count(() -> assertNull(other.find("0123456789abcdef").get())));
        assertEquals(Map.of(), count(() -> assertNull(other.find("0123456789abcdef").get())));
        // a fresh URL: read + conditional write of the next generation + the LIST confirming it
        assertEquals(Map.of("GetObject", 1, "ListObjectsV2", 2, "PutObject", 1),
                count(() -> other.replace(l[0].id(), url)));
        assertEquals(Map.of("GetObject", 1, "ListObjectsV2", 2, "DeleteObject", 2),
                count(() -> other.delete(l[0].id())));
        // the listing: a LIST, then LIST + GET per link
        assertEquals(Map.of("GetObject", 1, "ListObjectsV2", 2), count(() -> assertEquals(1, store.list().size())));
    }

    @Test
    void oneTimeLinksAndKeys() throws Exception {
        SharedOnceLedger ledger = new SharedOnceLedger(state, Runnable::run, timer, Clock.systemUTC());
        ShareSecret[] secret = new ShareSecret[1];
        assertEquals(Map.of("ListObjectsV2", 2, "PutObject", 1), count(() -> secret[0] = ShareSecret.shared(state)));
        assertEquals(Map.of("GetObject", 1, "ListObjectsV2", 1), count(() -> secret[0].refresh()));
        assertEquals(Map.of("GetObject", 1, "ListObjectsV2", 2, "PutObject", 1),
                count(() -> ShareSecret.rotate(state, true)));
        AdminToken[] token = new AdminToken[1];
        assertEquals(Map.of("ListObjectsV2", 2, "PutObject", 1), count(() -> token[0] = AdminToken.shared(state, null)));
        assertEquals(Map.of("GetObject", 1, "ListObjectsV2", 1), count(() -> token[0].refresh()));

        ShareLinks links = new ShareLinks(secret[0], Clock.systemUTC());
        ShareToken t = links.newToken("a.bin", Duration.ofMinutes(5), true, false);
        SharedOnceLedger.Claim[] c = new SharedOnceLedger.Claim[1];
        // the first claim creates the ledger: LIST (none) + LIST (create's check) + PUT
        assertEquals(Map.of("ListObjectsV2", 2, "PutObject", 1), count(() -> c[0] = ledger.claim(t, s -> s).get()));
        assertEquals(SharedOnceLedger.Outcome.CLAIMED, c[0].outcome());
        // a concurrent claim elsewhere: read, busy
        assertEquals(Map.of("GetObject", 1, "ListObjectsV2", 1),
                count(() -> assertEquals(SharedOnceLedger.Outcome.BUSY, ledger.claim(t, s -> s).get().outcome())));
        c[0].delivered(0, 1000, 1000, 1000, true);
        // the end of the response: read, merge, swap and its confirming LIST (spent now)
        assertEquals(Map.of("GetObject", 1, "ListObjectsV2", 2, "PutObject", 1), count(() -> ledger.release(c[0]).get()));
        // spent is final and remembered: no request
        assertEquals(Map.of(), count(() -> assertEquals(true, ledger.spentHere(t))));
        // a HEAD's check on another instance: read
        SharedOnceLedger other = new SharedOnceLedger(state, Runnable::run, timer, Clock.systemUTC());
        assertEquals(Map.of("GetObject", 1, "ListObjectsV2", 1), count(() -> assertEquals(true, other.spent(t).get())));
    }
}
