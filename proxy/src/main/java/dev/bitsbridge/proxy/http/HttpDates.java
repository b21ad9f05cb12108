package dev.bitsbridge.proxy.http;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * HTTP-date formatting and parsing (RFC 9110 §5.6.7): IMF-fixdate out, and in all three forms a
 * recipient must accept (IMF-fixdate, RFC 850, asctime). Unparseable dates return {@code null},
 * which makes the conditional header that carried them be ignored, as the RFC requires.
 */
public final class HttpDates {

    private static final DateTimeFormatter IMF_FIXDATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter RFC_850 =
            DateTimeFormatter.ofPattern("EEEE, dd-MMM-yy HH:mm:ss 'GMT'", Locale.US);
    private static final DateTimeFormatter ASCTIME =
            DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.US);

    private HttpDates() {
    }

    public static String format(Instant instant) {
        return IMF_FIXDATE.format(instant);
    }

    public static Instant parse(String value) {
        if (value == null || value.length() > 64) {
            return null;
        }
        String v = value.trim();
        try {
            return ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            // fall through to the obsolete forms
        }
        try {
            LocalDateTime t = LocalDateTime.parse(v, RFC_850);
            // Two-digit years: RFC 9110 says a year more than 50 years ahead is in the past.
            if (t.getYear() > LocalDateTime.now(ZoneOffset.UTC).getYear() + 50) {
                t = t.minusYears(100);
            }
            return t.toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            // fall through
        }
        try {
            return LocalDateTime.parse(v, ASCTIME).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
