package dev.bitsbridge.proxy.http;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A parsed {@code Range} request header (RFC 9110 §14.2): the byte-range specs in request order.
 *
 * <p>Parsing never fails loudly. A header that is syntactically invalid, uses another unit, holds a
 * reversed range ({@code 5-2}) or more than {@code maxRanges} specs is <em>ignored</em>: the result
 * is {@link #NONE} and the request is answered 200 with the whole object, as the RFC allows and as
 * S3 does. This bounds the work (and the upstream requests) one header can cause.
 */
public final class RangeHeader {

    /** No usable Range header: serve the whole representation. */
    public static final RangeHeader NONE = new RangeHeader(List.of());

    private final List<RangeSpec> specs;

    private RangeHeader(List<RangeSpec> specs) {
        this.specs = specs;
    }

    /** A header selecting exactly one range. */
    public static RangeHeader single(RangeSpec spec) {
        return new RangeHeader(List.of(spec));
    }

    public static RangeHeader parse(String value, int maxRanges) {
        if (value == null) {
            return NONE;
        }
        String v = value.trim();
        int eq = v.indexOf('=');
        if (eq < 0 || !v.substring(0, eq).trim().equalsIgnoreCase("bytes")) {
            return NONE;
        }
        List<RangeSpec> specs = new ArrayList<>();
        int pos = eq + 1;
        int n = v.length();
        while (pos <= n) {
            int comma = v.indexOf(',', pos);
            int end = comma < 0 ? n : comma;
            String element = v.substring(pos, end).trim();
            pos = end + 1;
            if (element.isEmpty()) {
                // RFC 9110 §5.6.1: empty list elements are allowed and ignored.
                if (comma < 0) {
                    break;
                }
                continue;
            }
            RangeSpec spec = parseSpec(element);
            if (spec == null || specs.size() == maxRanges) {
                return NONE;
            }
            specs.add(spec);
            if (comma < 0) {
                break;
            }
        }
        return specs.isEmpty() ? NONE : new RangeHeader(Collections.unmodifiableList(specs));
    }

    private static RangeSpec parseSpec(String element) {
        int dash = element.indexOf('-');
        if (dash < 0) {
            return null;
        }
        String a = element.substring(0, dash).trim();
        String b = element.substring(dash + 1).trim();
        if (a.isEmpty()) {
            long suffix = Numbers.parseSaturating(b);
            return suffix < 0 ? null : RangeSpec.suffix(suffix);
        }
        long first = Numbers.parseSaturating(a);
        if (first < 0) {
            return null;
        }
        if (b.isEmpty()) {
            return RangeSpec.openEnded(first);
        }
        long last = Numbers.parseSaturating(b);
        if (last < 0 || last < first) {
            return null;
        }
        return RangeSpec.closed(first, last);
    }

    public boolean isPresent() {
        return !specs.isEmpty();
    }

    public boolean isMultiple() {
        return specs.size() > 1;
    }

    public List<RangeSpec> specs() {
        return specs;
    }

    /**
     * The satisfiable ranges for an object of {@code size} bytes, in request order, unsatisfiable
     * ones dropped. Ranges that do not overlap are neither merged nor reordered: BITS rejects a
     * response that does. A set in which some ranges overlap is coalesced (sorted, overlaps merged;
     * RFC 9110 §14.2 allows it): no client needs the same bytes twice in one response, and it is
     * how a 500-byte request of {@code 0-} a hundred times would otherwise make the proxy send a
     * hundred times the object (or {@code 0-0} a hundred times, a hundred S3 requests). So the
     * bytes of one response never exceed the object's size.
     */
    public List<ByteRange> resolve(long size) {
        List<ByteRange> out = new ArrayList<>(specs.size());
        for (RangeSpec spec : specs) {
            ByteRange r = spec.resolve(size);
            if (r != null) {
                out.add(r);
            }
        }
        return overlapping(out) ? coalesce(out) : out;
    }

    private static boolean overlapping(List<ByteRange> ranges) {
        if (ranges.size() < 2) {
            return false;
        }
        List<ByteRange> sorted = new ArrayList<>(ranges);
        sorted.sort(java.util.Comparator.comparingLong(ByteRange::first));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).first() <= sorted.get(i - 1).last()) {
                return true;
            }
        }
        return false;
    }

    private static List<ByteRange> coalesce(List<ByteRange> ranges) {
        List<ByteRange> sorted = new ArrayList<>(ranges);
        sorted.sort(java.util.Comparator.comparingLong(ByteRange::first));
        List<ByteRange> merged = new ArrayList<>();
        ByteRange current = sorted.get(0);
        for (int i = 1; i < sorted.size(); i++) {
            ByteRange r = sorted.get(i);
            if (r.first() <= current.last()) {
                current = new ByteRange(current.first(), Math.max(current.last(), r.last()));
            } else {
                merged.add(current);
                current = r;
            }
        }
        merged.add(current);
        return merged;
    }

    @Override
    public String toString() {
        return specs.toString();
    }
}
