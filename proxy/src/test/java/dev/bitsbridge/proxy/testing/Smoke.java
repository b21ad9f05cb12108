package dev.bitsbridge.proxy.testing;

import dev.bitsbridge.proxy.config.ProxyConfig;
import dev.bitsbridge.proxy.server.BitsBridgeServer;

/** Manual smoke run: starts s3proxy and the proxy, seeds objects, waits. Not a test. */
public final class Smoke {
    public static void main(String[] args) throws Exception {
        S3Server s3 = new S3Server();
        s3.createBucket("demo");
        s3.put("demo", "hello.txt", "hello world\n".getBytes(), "text/plain");
        byte[] big = new byte[5 * 1024 * 1024];
        new java.util.Random(1).nextBytes(big);
        s3.put("demo", "big.bin", big);
        s3.put("demo", "empty", new byte[0]);
        s3.put("demo", "a b+c=d&e@f'(g)%2Fh ü.txt", "awkward\n".getBytes());
        java.nio.file.Files.write(java.nio.file.Path.of("/tmp/big.bin"), big);
        if (java.nio.file.Files.exists(java.nio.file.Path.of("/tmp/1g.bin"))) {
            s3.put("demo", "1g.bin", java.nio.file.Path.of("/tmp/1g.bin"));
        }
        System.out.println("S3 " + s3.endpoint() + " " + s3.secretKey());
        BitsBridgeServer server = new BitsBridgeServer(ProxyConfig.builder().port(Integer.parseInt(args[0]))
                .bucket("demo").endpoint(s3.endpoint()).stateDir(java.nio.file.Files.createTempDirectory("bb-state")).build(), s3.credentials()).start();
        try (var presigner = software.amazon.awssdk.services.s3.presigner.S3Presigner.builder()
                .endpointOverride(s3.endpoint()).region(software.amazon.awssdk.regions.Region.US_EAST_1)
                .credentialsProvider(s3.credentials())
                .serviceConfiguration(software.amazon.awssdk.services.s3.S3Configuration.builder().pathStyleAccessEnabled(true).build())
                .build()) {
            for (String k : new String[] {"big.bin", "empty", "hello.txt"}) {
                var p = presigner.presignGetObject(r -> r.signatureDuration(java.time.Duration.ofSeconds(Integer.parseInt(args.length > 1 ? args[1] : "600")))
                        .getObjectRequest(g -> g.bucket("demo").key(k)));
                System.out.println("PRESIGNED " + k + " " + p.url());
            }
        }
        System.out.println("READY " + server.port());
        Thread.sleep(Long.MAX_VALUE);
    }
}
