package dev.bitsbridge.proxy.upload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bitsbridge.proxy.s3.S3Location;
import dev.bitsbridge.proxy.upload.SharedSession.Spill;
import dev.bitsbridge.proxy.upload.UploadSession.Part;
import dev.bitsbridge.proxy.upload.UploadSession.State;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The shared-mode session record's transitions: what a compare-and-swap re-applies after losing a race. */
class SharedSessionTest {

    static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    static final S3Location LOC = new S3Location("b", "k.bin");

    static SharedSession fresh() {
        return SharedSession.open(LOC, null, 10, T0, "up-1").sized(25);
    }

    static Spill spill(long start, long end) {
        return new Spill(start, end, "spill/" + start + "-" + end, "00");
    }

    @Test
    void bytesAreAcknowledgedOnlyFromTheAcknowledgedLength() {
        SharedSession s = fresh().acknowledged(0, 7, List.of(spill(0, 7)), T0.plusSeconds(1));
        assertEquals(7, s.acked());
        assertEquals(T0.plusSeconds(1), s.lastActivity());
        // A resent fragment that started from 0 too (another instance acknowledged first): no change.
        assertSame(s, s.acknowledged(0, 7, List.of(spill(0, 7)), T0.plusSeconds(2)));
        assertSame(s, s.acknowledged(3, 12, List.of(spill(7, 10), spill(10, 12)), T0));
        SharedSession t = s.acknowledged(7, 12, List.of(spill(7, 10), spill(10, 12)), T0);
        assertEquals(12, t.acked());
        assertEquals(3, t.spills().size());
    }

    @Test
    void aPartIsReadyOnceAllItsBytesAreAcknowledgedAndMadeOnce() {
        SharedSession s = fresh().acknowledged(0, 7, List.of(spill(0, 7)), T0)
                .acknowledged(7, 12, List.of(spill(7, 10), spill(10, 12)), T0);
        assertEquals(List.of(1), s.partsToMake(), "part 1 is bytes 0-9; part 2 (10-19) is not whole yet");
        assertEquals(List.of(spill(0, 7), spill(7, 10)), s.spillsOf(1));
        SharedSession made = s.partMade(new Part(1, "\"e1\"", 10));
        assertTrue(made.hasPart(1));
        assertEquals(List.of(spill(10, 12)), made.spills(), "its spills are forgotten");
        assertEquals(List.of(), made.partsToMake());
        assertSame(made, made.partMade(new Part(1, "\"e1\"", 10)), "another instance made it too: no change");
        SharedSession all = made.acknowledged(12, 25, List.of(spill(12, 20), spill(20, 25)), T0);
        assertEquals(List.of(2, 3), all.partsToMake());
        assertEquals(3, all.lastPart());
        assertEquals(25, all.end(3));
    }

    @Test
    void anEndedSessionIgnoresEveryLaterChange() {
        SharedSession done = fresh().acknowledged(0, 25, List.of(spill(0, 10), spill(10, 20), spill(20, 25)), T0)
                .completed("\"x-3\"", null);
        assertEquals(State.COMPLETED, done.state());
        assertTrue(done.spills().isEmpty());
        assertSame(done, done.cancelled());
        assertSame(done, done.failed(BitsError.FILE_EXISTS, "lost"));
        assertSame(done, done.partMade(new Part(1, "\"e\"", 10)));
        assertEquals(25L, done.replyDocument().get("size"));
        SharedSession cancelled = fresh().cancelled();
        assertFalse(cancelled.open());
        assertNull(cancelled.replyDocument());
    }

    @Test
    void theRecordRoundTripsAndHoldsNoCapabilityInClear() throws Exception {
        String link = SharedSessions.sha256("share-token-id-42");
        SharedSession s = SharedSession.open(LOC, link, 10, T0, "up-1")
                .acknowledged(0, 7, List.of(spill(0, 7)), T0).sized(25)
                .partMade(new Part(1, "\"e1\"", 10));
        byte[] json = s.toBytes();
        assertEquals(s, SharedSession.fromBytes(json));
        assertFalse(new String(json, StandardCharsets.UTF_8).contains("share-token-id-42"));
        assertEquals(64, SharedSessions.hash("{ABC}").length());
        assertEquals(SharedSessions.hash("{abc}"), SharedSessions.hash(" {ABC} "), "ids are matched as local mode does");
    }
}
