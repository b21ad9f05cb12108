package dev.bitsbridge.proxy.http;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.Locale;

/**
 * HTTP-date formatting and parsing (RFC 9110 §5.6.7): IMF-fixdate out, and in all three forms a
 * recipient must accept (IMF-fixdate, RFC 850, asctime). Unparseable dates return {@code null},
 * which makes the conditional header that carried them be ignored, as the RFC requires.
 *
 * <p>Every range of a BITS job carries the same If-Unmodified-Since and gets the same
 * Last-Modified back, so the last value parsed and formatted is kept (an immutable pair in a
 * volatile field: thread-safe without locks), and IMF-fixdate, the only form S3 and current
 * clients send, is read by position before {@code DateTimeFormatter} is tried: together they took
 * 4% of the proxy's CPU per 64 KiB range. Thread-safe.
 */
public final class HttpDates {

    private static final DateTimeFormatter IMF_FIXDATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    // Two-digit years: RFC 9110 says a year more than 50 years ahead is in the past. The century
    // must be chosen while parsing, not after: the weekday is checked against the resolved date,
    // and "yy" alone (base 2000) made every 19xx date fail that check.
    private static final DateTimeFormatter RFC_850 = new DateTimeFormatterBuilder()
            .appendPattern("EEEE, dd-MMM-")
            .appendValueReduced(ChronoField.YEAR, 2, 2, LocalDate.now(ZoneOffset.UTC).minusYears(49))
            .appendPattern(" HH:mm:ss 'GMT'")
            .toFormatter(Locale.US);
    private static final DateTimeFormatter ASCTIME =
            DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.US);

    private static final String[] DAYS = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    private static final String MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec";

    private record Parsed(String text, Instant instant) {
    }

    private static volatile Parsed lastParsed = new Parsed("", null);
    private static volatile Parsed lastFormatted = new Parsed("", Instant.EPOCH);
    /** The Date header of this second: its own slot, so it never evicts the Last-Modified above. */
    private static volatile Parsed currentSecond = new Parsed("", Instant.EPOCH);

    private HttpDates() {
    }

    public static String format(Instant instant) {
        Parsed p = lastFormatted;
        if (p.instant.getEpochSecond() == instant.getEpochSecond() && !p.text.isEmpty()) {
            return p.text;
        }
        String s = IMF_FIXDATE.format(instant);
        lastFormatted = new Parsed(s, Instant.ofEpochSecond(instant.getEpochSecond()));
        return s;
    }

    /**
     * The current time as an IMF-fixdate, for the Date header every response carries (RFC 9110
     * §6.6.1); formatted once per second whatever the request rate.
     */
    public static String now() {
        long second = System.currentTimeMillis() / 1000;
        Parsed p = currentSecond;
        if (p.instant.getEpochSecond() == second && !p.text.isEmpty()) {
            return p.text;
        }
        Instant i = Instant.ofEpochSecond(second);
        String s = IMF_FIXDATE.format(i);
        currentSecond = new Parsed(s, i);
        return s;
    }

    public static Instant parse(String value) {
        if (value == null || value.length() > 64) {
            return null;
        }
        Parsed p = lastParsed;
        if (p.text.equals(value)) {
            return p.instant;
        }
        Instant i = parseUncached(value);
        if (i != null) {
            lastParsed = new Parsed(value, i);
        }
        return i;
    }

    /** IMF-fixdate by position ({@code Sun, 06 Nov 1994 08:49:37 GMT}), or null to try the formatters. */
    static Instant imfFixdate(String v) {
        if (v.length() != 29 || v.charAt(3) != ',' || v.charAt(4) != ' ' || v.charAt(7) != ' ' || v.charAt(11) != ' '
                || v.charAt(16) != ' ' || v.charAt(19) != ':' || v.charAt(22) != ':' || !v.endsWith(" GMT")) {
            return null;
        }
        int day = digits(v, 5, 2);
        int month = MONTHS.indexOf(v.substring(8, 11));
        int year = digits(v, 12, 4);
        int hour = digits(v, 17, 2);
        int minute = digits(v, 20, 2);
        int second = digits(v, 23, 2);
        if (day < 1 || month < 0 || month % 3 != 0 || year < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59
                || second < 0 || second > 59) {
            return null;
        }
        try {
            LocalDate date = LocalDate.of(year, month / 3 + 1, day);
            if (!DAYS[date.getDayOfWeek().ordinal()].equals(v.substring(0, 3))) {
                return null; // let the formatter decide (it refuses a wrong weekday)
            }
            return date.atStartOfDay().toInstant(ZoneOffset.UTC).plusSeconds(hour * 3600L + minute * 60L + second);
        } catch (java.time.DateTimeException e) {
            return null;
        }
    }

    private static int digits(String s, int from, int n) {
        int v = 0;
        for (int i = from; i < from + n; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    private static Instant parseUncached(String value) {
        String v = value.trim();
        Instant fast = imfFixdate(v);
        if (fast != null) {
            return fast;
        }
        try {
            return ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            // fall through to the obsolete forms
        }
        try {
            return LocalDateTime.parse(v, RFC_850).toInstant(ZoneOffset.UTC);
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
