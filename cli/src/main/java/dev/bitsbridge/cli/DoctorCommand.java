package dev.bitsbridge.cli;

import dev.bitsbridge.proxy.config.ProxyConfig;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * {@code bitsbridge doctor [serve options]}: the start-up checks {@code serve} runs, without
 * serving. Exit 0 when serve would start, 2 when a check failed (the line on stderr says what to do).
 */
@Command(name = "doctor", mixinStandardHelpOptions = true, sortOptions = false,
        versionProvider = ManifestVersionProvider.class,
        description = "Check the setup 'serve' would use (state folder, CA bundle, credentials, endpoint, bucket)"
                + " and exit: 0 when serve can start, 2 when not.",
        footerHeading = "%nExamples:%n",
        footer = {
            "  bitsbridge doctor --bucket my-bucket --region eu-west-1",
            "  bitsbridge doctor --config bitsbridge.conf",
            "  HTTPS_PROXY=http://proxy.corp:3128 bitsbridge doctor --bucket my-bucket"})
final class DoctorCommand extends ServeCommand {

    @Override
    public Integer call() {
        ProxyConfig config = config(); // the same options and validation as serve: bad values exit 2
        // Only errors: the checks' own lines say what each problem is (a WARN from the credential
        // chain would repeat one of them).
        LogSetup.configure(operations.logFormat, "error", null);
        AwsCredentialsProvider provider = AwsSetup.credentials(credentials.profile, credentials.roleArn,
                credentials.roleSessionName, config.region(), config.network().upstreamProxy());
        PrintWriter out = spec.commandLine().getOut();
        if (!StartupSummary.passes(config, provider, out, spec.commandLine().getErr())) {
            return 2;
        }
        out.println("all checks passed: 'bitsbridge serve' with these options can start");
        out.flush();
        return 0;
    }
}
