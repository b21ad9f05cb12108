package dev.bitsbridge.proxy.upload;

import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.s3.S3Location;
import dev.bitsbridge.proxy.s3.SdkS3Clients;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.TrustManagerFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.ListPartsResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.Part;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The S3 side of uploads, with the AWS SDK's S3 client: uploads are a handful of control calls
 * and part uploads streamed from the spool file, so a blocking client on a bounded pool is the
 * simple, sturdy choice (downloads, where per-byte cost matters, use the Netty path). Every part
 * carries Content-MD5, so S3 checks the bytes it received, and its payload is signed with its
 * SHA-256 (no aws-chunked framing: see {@link SdkS3Clients}); what S3 answers is checked by
 * {@link PartPipeline}, not here.
 *
 * <p>Blocking; call from the upload executor only. Thread-safe.
 */
final class S3Uploader implements AutoCloseable {

    private final S3Client s3;

    S3Uploader(ProxyConfig config, AwsCredentialsProvider credentials, TrustManagerFactory trust) {
        this.s3 = dev.bitsbridge.proxy.s3.SdkS3Clients.create(config, credentials, trust);
    }

    static TrustManagerFactory trust(Path caBundle) throws IOException, GeneralSecurityException {
        return caBundle == null ? null : dev.bitsbridge.proxy.upstream.TlsContexts.trustManagerFactory(caBundle);
    }

    /** What a HEAD says of an object: its size and ETag. */
    record ObjectHead(long size, String etag) {
    }

    /** The object's size and ETag, or null if there is none. */
    ObjectHead head(S3Location loc) {
        HeadObjectResponse r = SdkS3Clients.head(s3, loc.bucket(), loc.key());
        return r == null ? null : new ObjectHead(r.contentLength() == null ? -1 : r.contentLength(), r.eTag());
    }

    boolean exists(S3Location loc) {
        return head(loc) != null;
    }

    /** The object's ETag, or null if there is none. */
    String etag(S3Location loc) {
        ObjectHead h = head(loc);
        return h == null ? null : h.etag();
    }

    String createMultipart(S3Location loc) {
        return s3.createMultipartUpload(r -> r.bucket(loc.bucket()).key(loc.key())
                .contentType("application/octet-stream")).uploadId();
    }

    /**
     * Uploads {@code length} bytes of {@code file} from {@code offset} as part {@code number}, with
     * {@code md5} (base64) as Content-MD5; returns the ETag S3 answered (the caller checks it).
     */
    String uploadPart(S3Location loc, String uploadId, int number, Path file, long offset, long length, String md5) {
        return s3.uploadPart(r -> r.bucket(loc.bucket()).key(loc.key()).uploadId(uploadId).partNumber(number)
                .contentLength(length).contentMD5(md5),
                RequestBody.fromContentProvider(() -> slice(file, offset, length), length, "application/octet-stream"))
                .eTag();
    }

    /** Whole small object in one PUT; {@code ifNoneMatch} makes it fail with 412 if the key exists. */
    PutObjectResponse put(S3Location loc, Path file, long length, String md5, boolean ifNoneMatch) {
        return s3.putObject(r -> {
            r.bucket(loc.bucket()).key(loc.key()).contentLength(length).contentMD5(md5)
                    .contentType("application/octet-stream");
            if (ifNoneMatch) {
                r.ifNoneMatch("*");
            }
        }, RequestBody.fromContentProvider(() -> slice(file, 0, length), length, "application/octet-stream"));
    }

    /** A small PUT from memory (the conditional-write probe). */
    PutObjectResponse put(S3Location loc, byte[] data, boolean ifNoneMatch) {
        return s3.putObject(r -> {
            r.bucket(loc.bucket()).key(loc.key()).contentType("application/octet-stream");
            if (ifNoneMatch) {
                r.ifNoneMatch("*");
            }
        }, RequestBody.fromBytes(data));
    }

    /**
     * Shared mode: part {@code number} copied inside S3 from the whole object {@code source} (a spill),
     * no bytes through the proxy; returns the ETag S3 answered (the caller checks it).
     */
    String copyPart(S3Location loc, String uploadId, int number, S3Location source) {
        return s3.uploadPartCopy(r -> r.destinationBucket(loc.bucket()).destinationKey(loc.key()).uploadId(uploadId)
                .partNumber(number).sourceBucket(source.bucket()).sourceKey(source.key()))
                .copyPartResult().eTag();
    }

    /** Shared mode: a whole object (a spill) appended to {@code out}; returns its length. */
    long download(S3Location loc, java.io.OutputStream out) throws IOException {
        try (InputStream in = s3.getObject(r -> r.bucket(loc.bucket()).key(loc.key()))) {
            return in.transferTo(out);
        }
    }

    /** Shared mode: the keys under {@code prefix} (a session's spill objects), every page. */
    List<String> list(String bucket, String prefix) {
        List<String> keys = new ArrayList<>();
        s3.listObjectsV2Paginator(r -> r.bucket(bucket).prefix(prefix)).contents().forEach(o -> keys.add(o.key()));
        return keys;
    }

    /** Deletes the object (a 404 is fine: it is gone either way). */
    void delete(S3Location loc) {
        try {
            s3.deleteObject(r -> r.bucket(loc.bucket()).key(loc.key()));
        } catch (S3Exception e) {
            if (e.statusCode() != 404) {
                throw e;
            }
        }
    }

    CompleteMultipartUploadResponse complete(S3Location loc, String uploadId, List<UploadSession.Part> parts,
            boolean ifNoneMatch) {
        List<CompletedPart> completed = new ArrayList<>();
        for (UploadSession.Part p : parts) {
            completed.add(CompletedPart.builder().partNumber(p.number()).eTag(p.etag()).build());
        }
        return s3.completeMultipartUpload(r -> {
            r.bucket(loc.bucket()).key(loc.key()).uploadId(uploadId)
                    .multipartUpload(m -> m.parts(completed));
            if (ifNoneMatch) {
                r.ifNoneMatch("*");
            }
        });
    }

    void abort(S3Location loc, String uploadId) {
        try {
            s3.abortMultipartUpload(r -> r.bucket(loc.bucket()).key(loc.key()).uploadId(uploadId));
        } catch (S3Exception e) {
            if (e.statusCode() != 404) {
                throw e;
            }
        }
    }

    /** The parts S3 holds for an open upload, in part-number order. */
    List<UploadSession.Part> listParts(S3Location loc, String uploadId) {
        List<UploadSession.Part> out = new ArrayList<>();
        Integer marker = null;
        while (true) {
            Integer m = marker;
            ListPartsResponse r = s3.listParts(b -> {
                b.bucket(loc.bucket()).key(loc.key()).uploadId(uploadId);
                if (m != null) {
                    b.partNumberMarker(m);
                }
            });
            for (Part p : r.parts()) {
                out.add(new UploadSession.Part(p.partNumber(), p.eTag(), p.size() == null ? 0 : p.size()));
            }
            if (!Boolean.TRUE.equals(r.isTruncated())) {
                break;
            }
            marker = r.nextPartNumberMarker();
        }
        out.sort((a, b) -> Integer.compare(a.number(), b.number()));
        return out;
    }

    /** Uploads still open on a key (for tests and clean-up checks). */
    int openUploads(S3Location loc) {
        return s3.listMultipartUploads(r -> r.bucket(loc.bucket()).prefix(loc.key())).uploads().size();
    }

    private static InputStream slice(Path file, long offset, long length) {
        try {
            FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
            ch.position(offset);
            InputStream in = Channels.newInputStream(ch);
            return new java.io.FilterInputStream(in) {
                private long left = length;

                @Override
                public int read() throws IOException {
                    if (left <= 0) {
                        return -1;
                    }
                    int b = super.read();
                    if (b >= 0) {
                        left--;
                    }
                    return b;
                }

                @Override
                public int read(byte[] buf, int off, int len) throws IOException {
                    if (left <= 0) {
                        return -1;
                    }
                    int n = super.read(buf, off, (int) Math.min(len, left));
                    if (n > 0) {
                        left -= n;
                    }
                    return n;
                }
            };
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The MD5 of {@code length} bytes of {@code file} from {@code offset}. */
    static byte[] md5(Path file, long offset, long length) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has MD5", e);
        }
        byte[] buf = new byte[64 * 1024];
        try (InputStream in = slice(file, offset, length)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return md.digest();
    }

    @Override
    public void close() {
        s3.close();
    }
}
