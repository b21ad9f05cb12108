package dev.bitsbridge.proxy.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** What a response counts as delivered (issue #15, finding 7). */
class DeliveryMeterTest {

    @Test
    void aCutResponseCountsTheMostEverSeenAcknowledged() {
        DeliveryMeter m = new DeliveryMeter();
        m.wrote(4_000_000);
        m.sample(3_900_000); // 100 KB reached the client's machine
        m.wrote(100_000);
        m.sample(3_000_000); // 1.1 MB
        m.sample(-1); // the socket was already gone: ignored
        assertEquals(1_100_000, m.delivered(false));
        assertEquals(4_100_000, m.written());
        assertEquals(4_100_000, m.delivered(true), "written whole: all of it");
    }

    @Test
    void aSampleNeverTakesBackWhatWasSeenAndNeverCountsMoreThanWritten() {
        DeliveryMeter m = new DeliveryMeter();
        m.wrote(1000);
        m.sample(0);
        m.wrote(1000);
        m.sample(2000); // the head of the next write sits before the body: held grew, delivered did not shrink
        assertEquals(1000, m.delivered(false));
    }

    @Test
    void whereTheKernelCannotBeAskedACutResponseCountsWhatWasWritten() {
        DeliveryMeter m = new DeliveryMeter();
        m.wrote(5000);
        m.sample(-1);
        assertEquals(5000, m.delivered(false));
    }
}
