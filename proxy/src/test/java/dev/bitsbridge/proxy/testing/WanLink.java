package dev.bitsbridge.proxy.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A user-space WAN delay line for benchmarks (no root, no {@code tc netem}): listens on
 * 127.0.0.1 (port 0), forwards each connection to a target, and makes every connection behave
 * like one TCP flow across a long link:
 * <ul>
 *   <li>every byte arrives {@code rtt/2} after it was sent, in each direction;</li>
 *   <li>at most {@code window} bytes per direction are in flight: a byte's credit comes back
 *       {@code rtt/2} after it was delivered (its "ACK"), so one connection moves at most
 *       {@code window / rtt} bytes per second (512 KiB / 40 ms = 12.8 MiB/s), as a real flow
 *       limited by its receive window does;</li>
 *   <li>opening a connection costs one extra {@code rtt} (the TCP handshake) before the first
 *       byte is forwarded.</li>
 * </ul>
 * Not emulated: slow start, loss, jitter. The sender feels backpressure as on a real link: the
 * reader stops reading its socket while the window is used up.
 *
 * <p>Threading: one accept thread, and per connection a reader and a writer thread per direction
 * (blocking sockets); a shared scheduler returns credits. {@link #close()} closes every socket.
 */
public final class WanLink implements AutoCloseable {

    private static final int CHUNK = 64 * 1024;

    private final ServerSocket server;
    private final String targetHost;
    private final int targetPort;
    private final long oneWayNanos;
    private final int window;
    private final ScheduledExecutorService acks = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "wan-ack"));
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private volatile boolean closed;

    public WanLink(String targetHost, int targetPort, Duration rtt, int window) throws IOException {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.oneWayNanos = rtt.toNanos() / 2;
        this.window = window;
        this.server = new ServerSocket(0, 128, InetAddress.getByName("127.0.0.1"));
        daemon(this::acceptLoop, "wan-accept").start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Connections accepted so far. */
    public int connections() {
        return connections.get();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = server.accept();
                connections.incrementAndGet();
                sockets.add(client);
                daemon(() -> connect(client), "wan-connect").start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void connect(Socket client) {
        try {
            LockSupport.parkNanos(2 * oneWayNanos); // the handshake's round trip
            Socket target = new Socket(targetHost, targetPort);
            sockets.add(target);
            client.setTcpNoDelay(true);
            target.setTcpNoDelay(true);
            new Direction(client, target).start("up");
            new Direction(target, client).start("down");
        } catch (IOException e) {
            closeQuietly(client);
        }
    }

    /** One direction of one connection: read under the window's credit, deliver after the delay. */
    private final class Direction {
        private final Socket from;
        private final Socket to;
        private final Semaphore credit = new Semaphore(window);
        private final BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();

        private record Chunk(byte[] data, long due) {
        }

        Direction(Socket from, Socket to) {
            this.from = from;
            this.to = to;
        }

        void start(String name) {
            daemon(this::read, "wan-read-" + name).start();
            daemon(this::write, "wan-write-" + name).start();
        }

        private void read() {
            byte[] buf = new byte[CHUNK];
            int chunk = Math.min(CHUNK, window);
            try {
                InputStream in = from.getInputStream();
                while (true) {
                    credit.acquire(chunk);
                    int n = in.read(buf, 0, chunk);
                    if (n < 0) {
                        break;
                    }
                    credit.release(chunk - n);
                    queue.put(new Chunk(java.util.Arrays.copyOf(buf, n), System.nanoTime() + oneWayNanos));
                }
            } catch (IOException | InterruptedException e) {
                // closed: fall through to the end marker
            }
            queue.add(new Chunk(null, System.nanoTime() + oneWayNanos));
        }

        private void write() {
            try {
                OutputStream out = to.getOutputStream();
                while (true) {
                    Chunk c = queue.take();
                    long wait;
                    while ((wait = c.due - System.nanoTime()) > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    if (c.data == null) {
                        to.shutdownOutput();
                        return;
                    }
                    out.write(c.data);
                    int n = c.data.length;
                    acks.schedule(() -> credit.release(n), oneWayNanos, TimeUnit.NANOSECONDS);
                }
            } catch (IOException | InterruptedException e) {
                closeQuietly(from);
                closeQuietly(to);
            }
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Socket s : sockets) {
            closeQuietly(s);
        }
        acks.shutdownNow();
    }

    /** Runs a delay line from the command line: {@code WanLink TARGET_HOST TARGET_PORT RTT_MS WINDOW_BYTES}. */
    public static void main(String[] args) throws Exception {
        try (WanLink link = new WanLink(args[0], Integer.parseInt(args[1]), Duration.ofMillis(Long.parseLong(args[2])),
                Integer.parseInt(args[3]))) {
            System.out.println("wan link on 127.0.0.1:" + link.port() + " -> " + args[0] + ":" + args[1]);
            Thread.currentThread().join();
        }
    }
}
