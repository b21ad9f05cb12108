package dev.bitsbridge.cli;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.event.KeyValuePair;

/**
 * One flat JSON object per log line: {@code time}, {@code level}, {@code logger}, {@code thread},
 * {@code message}, then the event's SLF4J key-value pairs and MDC entries as top-level fields
 * (the access log's {@code method}, {@code status}, {@code duration_ms}...), and {@code error}
 * with the stack trace if there is one.
 *
 * <p>Logback's own {@code JsonEncoder} was tried first: it nests key-value pairs as a list of
 * one-field objects ({@code "kvpList":[{"status":"200"}]}) and adds the logger context to every
 * line, which makes {@code jq .status} or a log shipper's field mapping awkward. Numbers stay
 * numbers here. Thread-safe: logback calls encoders under the appender's lock, and each call uses
 * its own buffer.
 */
public final class JsonLineEncoder extends EncoderBase<ILoggingEvent> {

    private static final JsonFactory FACTORY = new JsonFactory();
    private static final Set<String> RESERVED = Set.of("time", "level", "logger", "thread", "message", "error");

    @Override
    public byte[] headerBytes() {
        return null;
    }

    @Override
    public byte[] footerBytes() {
        return null;
    }

    @Override
    public byte[] encode(ILoggingEvent e) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("time", Instant.ofEpochMilli(e.getTimeStamp()).toString());
            g.writeStringField("level", e.getLevel().toString());
            g.writeStringField("logger", e.getLoggerName());
            g.writeStringField("thread", e.getThreadName());
            g.writeStringField("message", e.getFormattedMessage());
            Set<String> written = new HashSet<>(RESERVED);
            if (e.getKeyValuePairs() != null) {
                for (KeyValuePair kv : e.getKeyValuePairs()) {
                    if (kv.value != null && written.add(kv.key)) {
                        g.writeFieldName(kv.key);
                        writeValue(g, kv.value);
                    }
                }
            }
            Map<String, String> mdc = e.getMDCPropertyMap();
            if (mdc != null) {
                for (Map.Entry<String, String> m : mdc.entrySet()) {
                    if (m.getValue() != null && written.add(m.getKey())) {
                        g.writeStringField(m.getKey(), m.getValue());
                    }
                }
            }
            IThrowableProxy t = e.getThrowableProxy();
            if (t != null) {
                g.writeStringField("error", ThrowableProxyUtil.asString(t));
            }
            g.writeEndObject();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        out.write('\n');
        return out.toByteArray();
    }

    private static void writeValue(JsonGenerator g, Object v) throws IOException {
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            g.writeNumber(((Number) v).longValue());
        } else if (v instanceof Number n) {
            g.writeNumber(n.doubleValue());
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else {
            g.writeString(String.valueOf(v));
        }
    }
}
