package dev.bitsbridge.proxy.testing;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;

/**
 * What the proxy holds in buffers, for the memory tests: Netty's default allocator (everything
 * the proxy reads or writes passes through it) and the JVM's direct buffer pool. A {@link Peak}
 * samples both on a daemon thread while a load runs.
 */
public final class BufferMemory {

    private BufferMemory() {
    }

    /** Bytes Netty's default allocator holds in use, direct and heap. */
    public static long nettyUsed() {
        ByteBufAllocatorMetric m = ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric();
        return m.usedDirectMemory() + m.usedHeapMemory();
    }

    /** Bytes in the JVM's direct buffer pool (Netty's and anyone else's in this process). */
    public static long jdkDirect() {
        for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (b.getName().equals("direct")) {
                return b.getMemoryUsed();
            }
        }
        return 0;
    }

    /** The highest {@link #nettyUsed()} seen every 10 ms between construction and {@link #close()}. */
    public static final class Peak implements AutoCloseable {
        private final Thread sampler;
        private volatile boolean running = true;
        private volatile long peak;

        public Peak() {
            sampler = new Thread(() -> {
                while (running) {
                    peak = Math.max(peak, nettyUsed());
                    try {
                        Thread.sleep(10); // sampling interval, not a wait
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "buffer-memory-peak");
            sampler.setDaemon(true);
            sampler.start();
        }

        /** The peak so far, in bytes. */
        public long bytes() {
            return Math.max(peak, nettyUsed());
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            sampler.join();
        }
    }
}
