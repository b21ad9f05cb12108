package dev.bitsbridge.proxy.s3;

/** An object in S3: a bucket and a key (decoded, as S3 stores it). */
public record S3Location(String bucket, String key) {

    @Override
    public String toString() {
        return "s3://" + bucket + "/" + key;
    }
}
