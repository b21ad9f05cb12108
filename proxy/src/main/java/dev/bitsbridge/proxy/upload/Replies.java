package dev.bitsbridge.proxy.upload;

import java.util.LinkedHashMap;
import java.util.Map;

/** The Acks of the upload protocol that carry headers. Stateless; thread-safe. */
final class Replies {

    private Replies() {
    }

    /** Create-Session's Ack. */
    static Reply created(String protocol, String sessionId) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("BITS-Protocol", protocol);
        h.put("BITS-Session-Id", sessionId);
        h.put("Accept-Encoding", "identity");
        return Reply.ok(h);
    }

    /** A fragment's Ack: the next offset expected, and for the completing one where its reply is. */
    static Reply ack(UploadSession s, long received, boolean complete) {
        return ack(s.id, received, complete);
    }

    /** A fragment's Ack for the session {@code id} (shared mode has no {@link UploadSession}). */
    static Reply ack(String id, long received, boolean complete) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("BITS-Session-Id", id);
        h.put("BITS-Received-Content-Range", Long.toString(received));
        if (complete) {
            h.put(FragmentWriter.REPLY_MARKER, replyPath(id));
        }
        return Reply.ok(h);
    }

    static String replyPath(String id) {
        return "/_bitsbridge/uploads/" + id.replace("{", "").replace("}", "") + "/reply";
    }
}
