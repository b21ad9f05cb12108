package dev.bitsbridge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class IdleMemoryTest {

    /** Flags as a JVM keeps them: a value each, and whether someone set it; refuses min > max. */
    private static final class FakeFlags implements IdleMemory.Flags {
        final Map<String, String> values = new HashMap<>(Map.of(IdleMemory.INTERVAL, "0",
                IdleMemory.MIN_FREE, "40", IdleMemory.MAX_FREE, "70"));
        final Set<String> setByOperator;
        final List<String> calls = new ArrayList<>();

        FakeFlags(String... setByOperator) {
            this.setByOperator = Set.of(setByOperator);
        }

        @Override
        public boolean isDefault(String name) {
            return !setByOperator.contains(name) && !calls.contains(name);
        }

        @Override
        public void set(String name, String value) {
            Map<String, String> next = new HashMap<>(values);
            next.put(name, value);
            if (Integer.parseInt(next.get(IdleMemory.MIN_FREE)) > Integer.parseInt(next.get(IdleMemory.MAX_FREE))) {
                throw new IllegalArgumentException("MinHeapFreeRatio above MaxHeapFreeRatio");
            }
            values.putAll(next);
            calls.add(name);
        }
    }

    @Test
    void setsTheIntervalAndBothRatiosWhenNobodyChoseThem() {
        FakeFlags flags = new FakeFlags();
        assertEquals(List.of(IdleMemory.INTERVAL, IdleMemory.MIN_FREE, IdleMemory.MAX_FREE), IdleMemory.apply(flags));
        assertEquals(Map.of(IdleMemory.INTERVAL, "5000", IdleMemory.MIN_FREE, "10", IdleMemory.MAX_FREE, "30"),
                flags.values);
    }

    @Test
    void leavesWhatTheOperatorSetAndTheRatiosAsAPair() {
        FakeFlags flags = new FakeFlags(IdleMemory.MAX_FREE, IdleMemory.INTERVAL);
        assertEquals(List.of(), IdleMemory.apply(flags));
        assertEquals(Map.of(IdleMemory.INTERVAL, "0", IdleMemory.MIN_FREE, "40", IdleMemory.MAX_FREE, "70"),
                flags.values);
    }

    @Test
    void aJvmWithoutTheFlagsKeepsItsDefaults() {
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
        assertEquals(List.of(), IdleMemory.apply(none));
    }

    @Test
    void theRealJvmTakesThem() {
        HotSpotDiagnosticMXBean bean = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        Map<String, String> before = new HashMap<>();
        for (String name : IdleMemory.SETTINGS.keySet()) {
            before.put(name, bean.getVMOption(name).getValue());
        }
        try {
            IdleMemory.apply();
            for (String name : IdleMemory.SETTINGS.keySet()) {
                assertEquals(IdleMemory.SETTINGS.get(name), bean.getVMOption(name).getValue(), name);
            }
        } finally {
            // the test JVM goes on with what it had (maximum first: the minimum may not exceed it)
            bean.setVMOption(IdleMemory.MAX_FREE, before.get(IdleMemory.MAX_FREE));
            bean.setVMOption(IdleMemory.MIN_FREE, before.get(IdleMemory.MIN_FREE));
            bean.setVMOption(IdleMemory.INTERVAL, before.get(IdleMemory.INTERVAL));
        }
    }
}
