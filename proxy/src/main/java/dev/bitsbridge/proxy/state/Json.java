package dev.bitsbridge.proxy.state;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The one shared Jackson mapper, created on first use: Jackson's start-up (hundreds of classes)
 * is paid only by a proxy that actually reads or writes JSON, not by every start. ObjectMapper is
 * thread-safe once configured.
 */
public final class Json {

    private Json() {
    }

    private static final class Holder {
        static final ObjectMapper MAPPER = new ObjectMapper();
    }

    public static ObjectMapper mapper() {
        return Holder.MAPPER;
    }
}
