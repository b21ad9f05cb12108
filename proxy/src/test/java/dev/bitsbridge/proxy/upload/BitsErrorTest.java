package dev.bitsbridge.proxy.upload;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * BITS retries a 5xx answer for its whole retry period and gives up on a 4xx one, so which upload
 * errors are 5xx is behaviour, not detail: this pins it, whatever the shared error table becomes.
 */
class BitsErrorTest {

    @Test
    void exactlyTheTransientErrorsAreRetried() {
        Set<BitsError> retried = EnumSet.noneOf(BitsError.class);
        for (BitsError e : BitsError.values()) {
            if (e.status().code() >= 500) {
                retried.add(e);
            }
            assertEquals(e.error().status(), e.status(), e.name());
        }
        assertEquals(EnumSet.of(BitsError.UPLOADS_DISABLED, BitsError.SESSION_NOT_FOUND, BitsError.DISK_FULL,
                BitsError.UPSTREAM, BitsError.BUSY, BitsError.INTERNAL), retried);
        assertEquals(409, BitsError.FILE_EXISTS.status().code());
        assertEquals(422, BitsError.NOT_VERIFIED.status().code());
        assertEquals("0x80190193", BitsError.UPSTREAM_REFUSED.code());
        assertEquals("0x7", BitsError.UPSTREAM_REFUSED.context());
    }
}
