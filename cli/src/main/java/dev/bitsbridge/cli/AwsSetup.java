package dev.bitsbridge.cli;

import dev.bitsbridge.proxy.config.OutboundProxy;
import dev.bitsbridge.proxy.config.ProxyRoutes;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.urlconnection.ProxyConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.profiles.ProfileFile;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.AwsProfileRegionProvider;
import software.amazon.awssdk.profiles.ProfileFileSystemSetting;
import software.amazon.awssdk.regions.providers.SystemSettingsRegionProvider;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleCredentialsProvider;

/**
 * Credentials and region the way the AWS CLI finds them. Providers are lazy: nothing is loaded
 * until the first signed request, so {@code serve} starts without credentials (links and vendor
 * mode need none) and a missing credential shows up as a 503 naming the cause.
 */
final class AwsSetup {

    private AwsSetup() {
    }

    /**
     * The region: {@code --region}, else {@code AWS_REGION}/{@code aws.region}, else the profile's,
     * else us-east-1. The SDK's default chain would also ask EC2 instance metadata, which off EC2
     * costs seconds of timeouts at every start; a wrong region is reported by S3 and the proxy's
     * 502 names the right one.
     */
    static String region(String explicit, String profile) {
        if (explicit != null && !explicit.isBlank()) {
            return explicit;
        }
        try {
            return new SystemSettingsRegionProvider().getRegion().id();
        } catch (SdkClientException | IllegalStateException e) {
            // not set in the environment
        }
        try {
            String name = profile != null ? profile : ProfileFileSystemSetting.AWS_PROFILE.getStringValueOrThrow();
            return new AwsProfileRegionProvider(ProfileFile::defaultProfileFile, name).getRegion().id();
        } catch (SdkClientException | IllegalStateException e) {
            return Region.US_EAST_1.id();
        }
    }

    static AwsCredentialsProvider credentials(String profile, String roleArn, String sessionName, String region) {
        return credentials(profile, roleArn, sessionName, region, ProxyRoutes.DIRECT);
    }

    /** @param proxies the forward proxies STS is reached through (--upstream-proxy, HTTPS_PROXY) */
    static AwsCredentialsProvider credentials(String profile, String roleArn, String sessionName, String region,
            ProxyRoutes proxies) {
        AwsCredentialsProvider base = profile != null
                ? ProfileCredentialsProvider.builder().profileName(profile).build()
                : DefaultCredentialsProvider.builder().build();
        if (roleArn == null) {
            return base;
        }
        StsClient sts = StsClient.builder()
                .region(Region.of(region))
                .credentialsProvider(base)
                .httpClient(UrlConnectionHttpClient.builder().proxyConfiguration(stsProxy(proxies, region)).build())
                .build();
        return StsAssumeRoleCredentialsProvider.builder()
                .stsClient(sts)
                .refreshRequest(r -> r.roleArn(roleArn).roleSessionName(sessionName))
                .asyncCredentialUpdateEnabled(true)
                .build();
    }

    /** The proxy for STS's regional endpoint, decided as for S3; the SDK's own reading of the environment is off. */
    private static ProxyConfiguration stsProxy(ProxyRoutes proxies, String region) {
        ProxyConfiguration.Builder p = ProxyConfiguration.builder().useSystemPropertyValues(false)
                .useEnvironmentVariablesValues(false);
        OutboundProxy via = proxies.route(true, "sts." + region + ".amazonaws.com", 443);
        if (via != null) {
            p.endpoint(via.uri());
            if (via.user() != null) {
                p.username(via.user()).password(via.password());
            }
        }
        return p.build();
    }
}
