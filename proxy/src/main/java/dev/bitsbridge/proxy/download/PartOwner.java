package dev.bitsbridge.proxy.download;

import io.netty.channel.ChannelHandlerContext;

/**
 * What a {@link RangePart} needs from the transfer it belongs to: a {@link ParallelDownload} (one
 * response) or a {@link PrefetchStream} (a connection's sequential reading, across responses).
 * Threading: called on the client connection's event loop only.
 */
interface PartOwner {

    ReadAhead readAhead();

    ObjectSource source();

    /** The client connection: its event loop runs the parts, its allocator holds their buffers. */
    ChannelHandlerContext ctx();

    /** The ETag every part is pinned to (If-Match). */
    String etag();

    /** The object's size, which every part's Content-Range must state. */
    long size();

    /** A part has new bytes, or finished receiving. */
    void partProgress(RangePart p);

    /** A part started or stopped using an upstream connection. */
    void partReceiving(boolean now);

    /** A part failed for good (after its retries), or the object changed. */
    void fail(RangePart p, String why);
}
