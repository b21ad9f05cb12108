package dev.bitsbridge.proxy.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.bitsbridge.proxy.testing.Await;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * What the kernel still holds of a client socket's bytes, on a real epoll socket pair: megabytes
 * while the client does not read, nothing once it has read everything (issue #15, finding 7).
 */
class SocketQueueTest {

    private static final int SIZE = 8 * 1024 * 1024;

    @Test
    void theKernelHoldsWhatTheClientHasNotReadAndNothingOnceItHas() throws Exception {
        assumeTrue(Epoll.isAvailable(), "Linux epoll only");
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        CompletableFuture<Channel> accepted = new CompletableFuture<>();
        try {
            Channel server = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelActive(ChannelHandlerContext ctx) {
                            accepted.complete(ctx.channel());
                        }
                    }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            int port = ((InetSocketAddress) server.localAddress()).getPort();
            try (Socket client = new Socket()) {
                client.setReceiveBufferSize(64 * 1024);
                client.connect(new InetSocketAddress("127.0.0.1", port));
                Channel ch = accepted.get(5, TimeUnit.SECONDS);
                assertTrue(SocketQueue.measurable(ch));
                ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[SIZE]));
                AtomicLong held = new AtomicLong();
                // The client reads nothing: what the kernel took stays there.
                Await.until(Duration.ofSeconds(5), () -> {
                    held.set(onLoop(ch));
                    return held.get() > 0;
                }, () -> "held " + held.get());
                InputStream in = client.getInputStream();
                assertEquals(SIZE, in.readNBytes(SIZE).length);
                Await.until(Duration.ofSeconds(5), () -> onLoop(ch) == 0, () -> "still held after the client read all");
            }
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void otherTransportsAreNotMeasured() {
        EmbeddedChannel ch = new EmbeddedChannel();
        assertEquals(-1, SocketQueue.held(ch));
        ch.finishAndReleaseAll();
    }

    private static long onLoop(Channel ch) throws Exception {
        return ch.eventLoop().submit(() -> SocketQueue.held(ch)).get(5, TimeUnit.SECONDS);
    }
}
