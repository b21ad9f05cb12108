package dev.bitsbridge.cli;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import java.lang.management.ManagementFactory;

/**
 * Lets a proxy that has gone quiet give its Java heap back to the operating system.
 *
 * <p>Why: with the JVM's defaults the heap may grow to a quarter of the machine's memory, and G1
 * keeps what it committed under load until a full collection, which a proxy never triggers. After
 * a few large transfers and a burst of small ranges a serve process sat at 608 MiB while it held
 * 15 MiB of live objects (a PC running one BITS job expects a small background process). G1's own
 * answer (JEP 346) is a periodic collection when none ran for an interval, after which the heap
 * shrinks to what {@code MaxHeapFreeRatio} allows. Under load collections happen anyway and it never
 * fires. The flag is "manageable", so it is set here and {@code java -jar} needs no options.
 *
 * <p>Only the interval: lowering {@code MaxHeapFreeRatio} as well shrank the heap further, but
 * kept it small under load too, and 64 KiB cache hits then cost 7 us more CPU each (60.8 against
 * 53.5 us, six alternating rounds); the interval alone cost nothing measurable (53.5 against 55.2).
 *
 * <p>A value the operator set ({@code -XX:G1PeriodicGCInterval}, {@code JAVA_OPTS}) is left alone;
 * so is everything when the runtime has no HotSpot diagnostic bean or refuses the value.
 * Threading: {@link #applySoon} hands the work to a daemon thread once at start-up, which waits
 * {@link #DELAY_MILLIS} first: loading the management classes on two cores while the first request
 * is served delays its first byte (the server defers its JVM metrics the same way), and a heap
 * has nothing to give back in its first seconds. Nothing waits for it.
 */
final class IdleMemory {

    /** A collection after this long without one: the process is idle. */
    static final String INTERVAL = "G1PeriodicGCInterval";
    static final String INTERVAL_MILLIS = "5000";
    /** How long after listening the setting is applied. */
    static final long DELAY_MILLIS = 2000;

    /** The JVM's flags as far as this class needs them; the real ones or a test's. */
    interface Flags {
        /** Whether the flag still has the value the JVM chose itself (not set by anyone). */
        boolean isDefault(String name);

        void set(String name, String value);
    }

    private IdleMemory() {
    }

    /** Applies the setting on a daemon thread, {@link #DELAY_MILLIS} from now: off the start-up path. */
    static void applySoon() {
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(DELAY_MILLIS);
            } catch (InterruptedException e) {
                return; // shutting down
            }
            apply();
        }, "bitsbridge-idle-memory");
        t.setDaemon(true);
        t.start();
    }

    /** Applies the setting to this JVM; whether it was set. */
    static boolean apply() {
        HotSpotDiagnosticMXBean bean;
        try {
            bean = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        } catch (RuntimeException | LinkageError e) {
            return false; // a runtime without jdk.management: the JVM's defaults stay
        }
        if (bean == null) {
            return false;
        }
        return apply(new Flags() {
            @Override
            public boolean isDefault(String name) {
                return bean.getVMOption(name).getOrigin() == VMOption.Origin.DEFAULT;
            }

            @Override
            public void set(String name, String value) {
                bean.setVMOption(name, value);
            }
        });
    }

    static boolean apply(Flags flags) {
        try {
            if (!flags.isDefault(INTERVAL)) {
                return false;
            }
            flags.set(INTERVAL, INTERVAL_MILLIS);
            return true;
        } catch (RuntimeException e) {
            return false; // no such flag on this JVM (not HotSpot's G1), or a value it refuses
        }
    }
}
