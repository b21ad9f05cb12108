package dev.bitsbridge.proxy.upload;

import java.util.Locale;

/** The BITS Upload Protocol's packet types ({@code BITS-Packet-Type}), matched case-insensitively. */
public enum BitsPacketType {
    PING("ping"),
    CREATE_SESSION("create-session"),
    FRAGMENT("fragment"),
    CLOSE_SESSION("close-session"),
    CANCEL_SESSION("cancel-session");

    private final String wire;

    BitsPacketType(String wire) {
        this.wire = wire;
    }

    /** The packet type named by a header value, or null for none or an unknown one. */
    public static BitsPacketType parse(String header) {
        if (header == null) {
            return null;
        }
        String h = header.trim().toLowerCase(Locale.ROOT);
        for (BitsPacketType t : values()) {
            if (t.wire.equals(h)) {
                return t;
            }
        }
        return null;
    }
}
