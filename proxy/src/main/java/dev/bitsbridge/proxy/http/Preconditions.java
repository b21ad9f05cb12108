package dev.bitsbridge.proxy.http;

import java.time.Instant;
import java.util.List;

/**
 * The conditional headers of a GET or HEAD and their evaluation against an object's validators,
 * in the order of RFC 9110 §13.2.2. Pure: no I/O, no Netty types.
 *
 * <p>{@code Unless-Modified-Since}, which old BITS clients send, is treated as
 * {@code If-Unmodified-Since}. An unparseable date makes its header be ignored.
 */
public record Preconditions(
        List<String> ifMatch,
        List<String> ifNoneMatch,
        Instant ifModifiedSince,
        Instant ifUnmodifiedSince,
        String ifRangeEtag,
        Instant ifRangeDate,
        boolean ifRangePresent) {

    public static final Preconditions NONE = new Preconditions(null, null, null, null, null, null, false);

    /** The outcome of evaluating the preconditions before any range is considered. */
    public enum Outcome {
        PROCEED,
        NOT_MODIFIED,
        PRECONDITION_FAILED
    }

    public static Preconditions of(
            String ifMatch,
            String ifNoneMatch,
            String ifModifiedSince,
            String ifUnmodifiedSince,
            String unlessModifiedSince,
            String ifRange) {
        Instant unmodified = HttpDates.parse(ifUnmodifiedSince);
        if (unmodified == null) {
            unmodified = HttpDates.parse(unlessModifiedSince);
        }
        String rangeEtag = null;
        Instant rangeDate = null;
        if (ifRange != null) {
            String r = ifRange.trim();
            if (r.startsWith("\"") || r.startsWith("W/")) {
                rangeEtag = r;
            } else {
                rangeDate = HttpDates.parse(r);
            }
        }
        return new Preconditions(
                ifMatch == null ? null : EntityTags.parseList(ifMatch),
                ifNoneMatch == null ? null : EntityTags.parseList(ifNoneMatch),
                HttpDates.parse(ifModifiedSince),
                unmodified,
                rangeEtag,
                rangeDate,
                ifRange != null);
    }

    public boolean isEmpty() {
        return ifMatch == null && ifNoneMatch == null && ifModifiedSince == null
                && ifUnmodifiedSince == null && !ifRangePresent;
    }

    /** RFC 9110 §13.2.2 steps 1 to 4, for an object that exists (GET and HEAD). */
    public Outcome evaluate(String etag, Instant lastModified) {
        if (ifMatch != null) {
            if (!matchesAny(ifMatch, etag, true)) {
                return Outcome.PRECONDITION_FAILED;
            }
        } else if (ifUnmodifiedSince != null && lastModified != null && lastModified.isAfter(ifUnmodifiedSince)) {
            return Outcome.PRECONDITION_FAILED;
        }
        if (ifNoneMatch != null) {
            if (matchesAny(ifNoneMatch, etag, false)) {
                return Outcome.NOT_MODIFIED;
            }
        } else if (ifModifiedSince != null && lastModified != null && !lastModified.isAfter(ifModifiedSince)) {
            return Outcome.NOT_MODIFIED;
        }
        return Outcome.PROCEED;
    }

    /**
     * RFC 9110 §13.1.5: whether a Range may be honoured. True without If-Range. An ETag must match
     * strongly; a date must equal Last-Modified exactly (a date validator is weak otherwise, and
     * If-Range needs a strong one). An unparseable If-Range value means the range is not honoured.
     */
    public boolean rangeApplies(String etag, Instant lastModified) {
        if (!ifRangePresent) {
            return true;
        }
        if (ifRangeEtag != null) {
            return EntityTags.strongMatch(ifRangeEtag, etag);
        }
        return ifRangeDate != null && ifRangeDate.equals(lastModified);
    }

    private static boolean matchesAny(List<String> tags, String etag, boolean strong) {
        for (String tag : tags) {
            if (tag.equals("*")) {
                return true;
            }
            if (strong ? EntityTags.strongMatch(tag, etag) : EntityTags.weakMatch(tag, etag)) {
                return true;
            }
        }
        return false;
    }
}
