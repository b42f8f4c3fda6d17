package io.github.redisentra.samples;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.MsalUserTokenSource;

/**
 * Signs a user in (device code; the instructions go to standard error) and prints the access token on standard
 * output, and nothing else: printing the token is this program's purpose, for {@code samples/redis-cli-token.sh},
 * which passes it to {@code redis-cli}. Settings: {@link SampleSettings}.
 */
public final class SignInToken {
    private SignInToken() {}

    public static void main(String[] args) {
        SampleLogging.init();
        if (args.length == 1 && ("--help".equals(args[0]) || "-h".equals(args[0]))) {
            System.err.print(SampleSettings.usage(SignInToken.class.getName()));
            return;
        }
        try {
            SampleSettings settings = SampleSettings.from(args, System.getenv());
            MsalUserTokenSource source = settings.signIn()
                    .signInMode(MsalUserTokenSource.SignInMode.DEVICE_CODE)
                    .build();
            AccessToken token = source.signIn();
            System.err.println("signed in as " + source.accountName().orElse("?") + " (oid "
                    + token.objectId().orElse("?") + ", token sha256=" + token.fingerprint() + ")");
            System.out.println(token.secret());
            System.out.flush();
            System.exit(0);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
        } catch (Exception e) {
            System.err.println("sign-in failed: " + e.getMessage());
            System.exit(1);
        }
    }
}
