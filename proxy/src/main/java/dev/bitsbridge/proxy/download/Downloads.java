package dev.bitsbridge.proxy.download;

import dev.bitsbridge.proxy.s3.S3Addressing;
import dev.bitsbridge.proxy.s3.S3Caller;
import dev.bitsbridge.proxy.s3.S3Location;
import io.netty.handler.codec.http.HttpRequest;

/**
 * Entry point of the download path: picks the single-request or the multi-range strategy for a
 * GET or HEAD. Thread-safe (holds only immutable collaborators).
 */
public final class Downloads {

    private final DownloadContext context;
    private final S3Addressing addressing;

    public Downloads(S3Caller caller, S3Addressing addressing, int maxRanges) {
        this.context = new DownloadContext(caller, maxRanges);
        this.addressing = addressing;
    }

    /** Starts answering {@code request} for {@code location} (bucket mode) on {@code out}. */
    public Transfer start(HttpRequest request, S3Location location, ClientResponse out) {
        return start(request, new SignedObjectSource(context.caller(), addressing.target(location)), out);
    }

    /** Starts answering {@code request} from any object source; runs on the client's loop. */
    public Transfer start(HttpRequest request, ObjectSource source, ClientResponse out) {
        DownloadRequest d = DownloadRequest.from(request, context.maxRanges());
        if (d.range().isMultiple()) {
            MultiRangeDownload m = new MultiRangeDownload(out, source, d);
            m.start();
            return m;
        }
        ObjectDownload o = new ObjectDownload(out, source, d);
        o.start();
        return o;
    }
}
