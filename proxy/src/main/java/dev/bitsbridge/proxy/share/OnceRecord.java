package dev.bitsbridge.proxy.share;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bitsbridge.proxy.state.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * One one-time link's ledger and its delivery rules (the resume rule, the 2x budget, spent), one
 * copy for both stores: {@link SpentLedger} keeps one per link on one machine
 * ({@code <state-dir>/shares/<id>.json}); in scale-out it is the JSON object
 * {@code once/<SHA-256 hex of the link id>.json}, plus the lease of the instance whose transfer
 * holds the link, changed only by compare-and-swap ({@link SharedOnceLedger}) on the copy read from
 * S3 just before the swap. The same JSON form either way (no lease on one machine).
 *
 * <p>Not thread-safe: a value read, changed and written by one thread.
 */
final class OnceRecord {

    long expires;
    long size = -1;
    final CoveredRanges covered = new CoveredRanges();
    boolean spent;
    /** Bytes delivered in all, repeats included (the budget's measure). */
    long served;
    /** Written by a cut response but not seen received: {@code [unconfirmedFrom, unconfirmedTo)}, or empty. */
    long unconfirmedFrom;
    long unconfirmedTo;
    /** The holder of the claim ("one transfer at a time"), or null; and until when (epoch millis). */
    String leaseOwner;
    long leaseUntil;

    /** Whether another holder's lease is still running at {@code nowMillis}. */
    boolean leasedByOther(String owner, long nowMillis) {
        return leaseOwner != null && !leaseOwner.equals(owner) && leaseUntil > nowMillis;
    }

    boolean withinBudget(long wanted) {
        return size < 0 || served + wanted <= SpentLedger.BUDGET_TIMES * size;
    }

    /**
     * Adds one response's delivery: {@code length} bytes from {@code first} of an object of
     * {@code objectSize} seen received, of {@code written} written; a response that starts inside
     * the unconfirmed tail of a cut one counts the bytes before it as delivered (the client holds
     * them: it asks from there).
     *
     * @return whether the link is spent now
     */
    boolean delivered(long first, long length, long written, long objectSize, boolean complete) {
        if (spent) {
            return true;
        }
        if (size != objectSize) {
            covered.clear(); // another version of the object: what was delivered is not it
            unconfirmedTo = unconfirmedFrom;
            size = objectSize;
        }
        if (first > unconfirmedFrom && first <= unconfirmedTo) {
            // A resume from inside what a cut response wrote: the client holds what precedes it.
            covered.add(unconfirmedFrom, first);
        }
        covered.add(first, first + length);
        served += length;
        unconfirmedFrom = first + length;
        unconfirmedTo = complete ? first + length : first + Math.max(length, written);
        boolean coveredAll = (objectSize > 0 || complete) && covered.coversAll(objectSize);
        spent = coveredAll || objectSize > 0 && served >= SpentLedger.BUDGET_TIMES * objectSize;
        return spent;
    }

    byte[] toJson() {
        ObjectNode n = Json.mapper().createObjectNode();
        n.put("expires", expires);
        n.put("size", size);
        n.put("spent", spent);
        n.put("served", served);
        n.putArray("unconfirmed").add(unconfirmedFrom).add(unconfirmedTo);
        ArrayNode spans = n.putArray("delivered");
        for (long[] s : covered.spans()) {
            spans.addArray().add(s[0]).add(s[1]);
        }
        if (leaseOwner != null) {
            n.putObject("lease").put("owner", leaseOwner).put("until", leaseUntil);
        }
        return (n.toString() + "\n").getBytes(StandardCharsets.UTF_8);
    }

    static OnceRecord parse(byte[] body) throws IOException {
        JsonNode n;
        try {
            n = Json.mapper().readTree(body);
        } catch (IOException e) {
            throw new IOException("a one-time link ledger is not JSON", e);
        }
        OnceRecord r = new OnceRecord();
        r.expires = n.path("expires").asLong();
        r.size = n.path("size").asLong(-1);
        r.spent = n.path("spent").asBoolean(false);
        r.served = n.path("served").asLong(0);
        r.unconfirmedFrom = n.path("unconfirmed").path(0).asLong(0);
        r.unconfirmedTo = n.path("unconfirmed").path(1).asLong(0);
        for (JsonNode span : n.path("delivered")) {
            r.covered.add(span.path(0).asLong(), span.path(1).asLong());
        }
        JsonNode lease = n.path("lease");
        if (lease.isObject()) {
            r.leaseOwner = lease.path("owner").asText(null);
            r.leaseUntil = lease.path("until").asLong(0);
        }
        return r;
    }
}
