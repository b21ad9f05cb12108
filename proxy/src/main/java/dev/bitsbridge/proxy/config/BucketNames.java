package dev.bitsbridge.proxy.config;

/** S3 bucket naming rules, checked before a bucket name is put into a host name or path. */
public final class BucketNames {

    private BucketNames() {
    }

    /**
     * 3 to 63 characters of lower-case letters, digits, dots and hyphens, starting and ending with
     * a letter or digit. (The legacy us-east-1 rules allowed more; nothing new uses them.)
     */
    public static boolean isValid(String name) {
        int n = name.length();
        if (n < 3 || n > 63) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'
                    || c == '_'; // '_' is legal in legacy buckets and in most S3-compatible servers
            if (!ok) {
                return false;
            }
        }
        return Character.isLetterOrDigit(name.charAt(0)) && Character.isLetterOrDigit(name.charAt(n - 1))
                && !name.contains("..");
    }

    /** Whether the name can be the first label of a virtual-hosted TLS host name. */
    public static boolean isDnsCompatible(String name) {
        return isValid(name) && name.indexOf('_') < 0 && name.indexOf('.') < 0;
    }
}
