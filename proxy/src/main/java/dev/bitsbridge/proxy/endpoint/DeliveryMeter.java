package dev.bitsbridge.proxy.endpoint;

/**
 * What one response has delivered: bytes written to the socket, and of those, the most ever seen
 * to have left the kernel (written minus what the kernel still held, see {@link SocketQueue}).
 * A plain decision class; not thread-safe (a response's event loop owns it).
 *
 * <ul>
 *   <li>A response written whole delivered everything written: the kernel took its last byte and
 *       the connection did not fail (a client that drops a response its socket buffers already
 *       hold cannot be told apart; that is the approximation).</li>
 *   <li>A response cut short delivered what was seen acknowledged, sampled as writes complete and
 *       every few milliseconds: never more than reached the client's machine, possibly a little
 *       less (acknowledgements after the last sample are not seen).</li>
 *   <li>Where the kernel cannot be asked (not Linux epoll), a cut response delivered what was
 *       written to the socket.</li>
 * </ul>
 */
public final class DeliveryMeter {

    private long written;
    private long acknowledged;
    private boolean measured;

    /** {@code n} more bytes were handed to the kernel. */
    public void wrote(long n) {
        written += n;
    }

    /** The kernel held {@code held} bytes just now (-1: unknown, ignored). */
    public void sample(long held) {
        if (held < 0) {
            return;
        }
        measured = true;
        acknowledged = Math.max(acknowledged, Math.max(0, written - held));
    }

    public long written() {
        return written;
    }

    /** @param complete the response was written whole */
    public long delivered(boolean complete) {
        if (complete || !measured) {
            return written;
        }
        return Math.min(acknowledged, written);
    }
}
