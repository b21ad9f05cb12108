package dev.bitsbridge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IdleMemoryTest {

    /** Flags as a JVM keeps them: a value each, and whether someone set it. */
    private static final class FakeFlags implements IdleMemory.Flags {
        final Map<String, String> values = new HashMap<>(Map.of(IdleMemory.INTERVAL, "0"));
        final boolean setByOperator;

        FakeFlags(boolean setByOperator) {
            this.setByOperator = setByOperator;
        }

        @Override
        public boolean isDefault(String name) {
            return !setByOperator && values.get(name).equals("0");
        }

        @Override
        public void set(String name, String value) {
            values.put(name, value);
        }
    }

    @Test
    void setsTheIntervalWhenNobodyChoseIt() {
        FakeFlags flags = new FakeFlags(false);
        assertTrue(IdleMemory.apply(flags));
        assertEquals("5000", flags.values.get(IdleMemory.INTERVAL));
    }

    @Test
    void leavesWhatTheOperatorSet() {
        FakeFlags flags = new FakeFlags(true);
        assertFalse(IdleMemory.apply(flags));
        assertEquals("0", flags.values.get(IdleMemory.INTERVAL));
    }

    @Test
    void aJvmWithoutTheFlagKeepsItsDefaults() {
        IdleMemory.Flags none = new IdleMemory.Flags() {
            @Override
            public boolean isDefault(String name) {
                throw new IllegalArgumentException("VM option \"" + name + "\" does not exist");
            }

            @Override
            public void set(String name, String value) {
                throw new AssertionError("nothing may be set");
            }
        };
        assertFalse(IdleMemory.apply(none));
    }

    @Test
    void theRealJvmTakesIt() {
        HotSpotDiagnosticMXBean bean = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        String before = bean.getVMOption(IdleMemory.INTERVAL).getValue();
        try {
            assertTrue(IdleMemory.apply());
            assertEquals("5000", bean.getVMOption(IdleMemory.INTERVAL).getValue());
        } finally {
            bean.setVMOption(IdleMemory.INTERVAL, before); // the test JVM goes on as it was
        }
    }
}
