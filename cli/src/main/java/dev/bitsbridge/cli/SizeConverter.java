package dev.bitsbridge.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Sizes as people write them: {@code 512}, {@code 64K}, {@code 8M}, {@code 8MiB}, {@code 10G}, {@code 5T} (binary units). */
public final class SizeConverter implements ITypeConverter<Long> {

    private static final Pattern FORMAT = Pattern.compile("(\\d{1,15})\\s*([kmgt]?)(i?b)?");

    @Override
    public Long convert(String value) {
        Matcher m = FORMAT.matcher(value.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new TypeConversionException("'" + value + "' is not a size (examples: 64K, 8M, 10G)");
        }
        long n = Long.parseLong(m.group(1));
        int shift = switch (m.group(2)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            case "t" -> 40;
            default -> 0;
        };
        if (shift > 0 && n > (Long.MAX_VALUE >> shift)) {
            throw new TypeConversionException("'" + value + "' is too large");
        }
        return n << shift;
    }
}
