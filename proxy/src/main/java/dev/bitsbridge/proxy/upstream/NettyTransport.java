package dev.bitsbridge.proxy.upstream;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The socket transport: native epoll on Linux when available (fewer copies and syscalls), NIO
 * elsewhere (Windows, macOS). Server and upstream channels share one event-loop group, so an
 * upstream connection lives on the same thread as the client connection it serves.
 */
public record NettyTransport(
        IoHandlerFactory ioHandlerFactory,
        Class<? extends ServerSocketChannel> serverChannel,
        Class<? extends SocketChannel> clientChannel,
        String name) {

    public static NettyTransport best() {
        if (!Boolean.getBoolean("bitsbridge.nio") && Epoll.isAvailable()) {
            return new NettyTransport(EpollIoHandler.newFactory(), EpollServerSocketChannel.class,
                    EpollSocketChannel.class, "epoll");
        }
        return nio();
    }

    public static NettyTransport nio() {
        return new NettyTransport(NioIoHandler.newFactory(), NioServerSocketChannel.class,
                NioSocketChannel.class, "nio");
    }

    public EventLoopGroup newGroup(int threads, String threadPrefix) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(threadPrefix, true), ioHandlerFactory);
    }
}
