package dev.bitsbridge.proxy.endpoint;

import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.RawUnixChannelOption;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * How many of the bytes written to a client socket the kernel still holds: not yet sent, or sent
 * and not yet acknowledged by the client's TCP. Bytes written and no longer held have reached the
 * client's machine; one-time share links count those as delivered, not bytes merely written
 * (loopback's socket buffers take megabytes that a client which then leaves never sees).
 *
 * <p>Linux with the epoll transport only: Linux's {@code TCP_INFO}, read whole through Netty's
 * raw socket option (Netty's {@code EpollTcpInfo} has no {@code tcpi_notsent_bytes}), gives
 * {@code tcpi_notsent_bytes} (exact, Linux 4.6+) plus {@code tcpi_unacked} segments times
 * {@code tcpi_snd_mss} (an upper bound: a segment may be shorter than the MSS, so what is
 * counted delivered errs low). Elsewhere (the NIO transport, other systems) the answer is
 * "unknown" and callers fall back to bytes written.
 *
 * <p>Stateless; call on the channel's event loop (a system call, a few microseconds).
 */
public final class SocketQueue {

    /** {@code IPPROTO_TCP}, {@code TCP_INFO} and offsets in {@code struct tcp_info} (linux/tcp.h). */
    private static final int IPPROTO_TCP = 6;
    private static final int TCP_INFO = 11;
    private static final int SND_MSS = 16;
    private static final int UNACKED = 24;
    private static final int NOTSENT_BYTES = 144;
    private static final int LENGTH = 148;
    private static final RawUnixChannelOption OPTION = new RawUnixChannelOption("TCP_INFO", IPPROTO_TCP, TCP_INFO,
            LENGTH);

    private SocketQueue() {
    }

    /** Whether {@link #held} can answer for this channel. */
    public static boolean measurable(Channel ch) {
        return ch instanceof EpollSocketChannel;
    }

    /** Bytes the kernel still holds for the peer, or -1 when that cannot be known (closed, not epoll). */
    public static long held(Channel ch) {
        if (!measurable(ch) || !ch.isOpen()) {
            return -1;
        }
        try {
            ByteBuffer b = ch.config().getOption(OPTION);
            if (b == null || b.limit() < LENGTH) {
                return -1;
            }
            b.order(ByteOrder.nativeOrder());
            long mss = Integer.toUnsignedLong(b.getInt(SND_MSS));
            long unacked = Integer.toUnsignedLong(b.getInt(UNACKED));
            long notSent = Integer.toUnsignedLong(b.getInt(NOTSENT_BYTES));
            return notSent + unacked * mss;
        } catch (RuntimeException e) {
            return -1; // the socket went away between the check and the call
        }
    }
}
