package dev.bitsbridge.proxy.download;

import dev.bitsbridge.proxy.endpoint.ClientResponse;
import dev.bitsbridge.proxy.endpoint.Transfer;

import dev.bitsbridge.proxy.http.RequestPath.InvalidPathException;
import dev.bitsbridge.proxy.s3.KeyMapper;
import dev.bitsbridge.proxy.s3.S3Addressing;
import dev.bitsbridge.proxy.s3.S3Caller;
import dev.bitsbridge.proxy.s3.S3Location;
import io.netty.handler.codec.http.HttpRequest;
import java.util.function.Function;

/**
 * Entry point of the download path: picks the single-request or the multi-range strategy for a
 * GET or HEAD. Thread-safe (holds only immutable collaborators).
 */
public final class Downloads {

    private final DownloadContext context;
    private final S3Addressing addressing;
    private final Function<String, ObjectSource> keySource;
    private volatile ReadAhead readAhead = ReadAhead.OFF;

    /** @param keySource vendor mode: the source for a bare key (no bucket), else null */
    public Downloads(S3Caller caller, S3Addressing addressing, int maxRanges, Function<String, ObjectSource> keySource) {
        this.context = new DownloadContext(caller, maxRanges);
        this.addressing = addressing;
        this.keySource = keySource;
    }

    /** Fetches large bodies as parallel ranged GETs (off unless set). */
    public Downloads readAhead(ReadAhead settings) {
        this.readAhead = settings;
        return this;
    }

    public ReadAhead readAhead() {
        return readAhead;
    }

    /** Whether plain paths name keys served through a URL vendor rather than signed requests. */
    public boolean vendorMode() {
        return keySource != null;
    }

    /** Starts answering {@code request} for a bare key (vendor mode). */
    public Transfer startKey(HttpRequest request, String key, ClientResponse out) {
        return start(request, keySource.apply(key), out);
    }

    /** Starts answering {@code request} for {@code location} (bucket mode) on {@code out}. */
    public Transfer start(HttpRequest request, S3Location location, ClientResponse out) {
        return start(request, signed(location), out);
    }

    /** Starts answering {@code request} from any object source; runs on the client's loop. */
    public Transfer start(HttpRequest request, ObjectSource source, ClientResponse out) {
        return start(request, source, out, false);
    }

    /** The source a request path names: bucket mode signs for the location, vendor mode asks for URLs. */
    public ObjectSource source(String rawPath, KeyMapper keys) throws InvalidPathException {
        return vendorMode() ? keySource.apply(keys.mapKey(rawPath))
                : signed(keys.map(rawPath));
    }

    private ObjectSource signed(S3Location location) {
        return new SignedObjectSource(context.caller(), addressing.target(location), location);
    }

    /**
     * @param singleRange serve at most one range per response: a request for several gets the
     *     whole object (RFC 9110 allows ignoring Range), so every body is one contiguous run of
     *     the object whose delivery {@link ClientResponse#delivering} can account for
     */
    public Transfer start(HttpRequest request, ObjectSource source, ClientResponse out, boolean singleRange) {
        DownloadRequest d = DownloadRequest.from(request, singleRange ? 1 : context.maxRanges());
        if (d.range().isMultiple()) {
            MultiRangeDownload m = new MultiRangeDownload(out, source, d);
            m.start();
            return m;
        }
        ObjectDownload o = new ObjectDownload(out, source, d).readAhead(readAhead);
        o.start();
        return o;
    }
}
