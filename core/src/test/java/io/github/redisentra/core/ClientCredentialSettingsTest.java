package io.github.redisentra.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ClientCredentialSettingsTest {
    private static final Instant NOW = Instant.now();
    private static final AccessToken TOKEN =
            AccessToken.of(TestJwts.unsigned("oid-1", NOW, NOW.plusSeconds(3600)), null);

    /** A source that names its own Redis user. */
    private static final TokenSource NAMING = new TokenSource() {
        @Override
        public AccessToken getToken(boolean forceRefresh) {
            return TOKEN;
        }

        @Override
        public String describe() {
            return "naming source";
        }

        @Override
        public String redisUsername(AccessToken token) {
            return "from-source";
        }
    };

    @Test
    void theUserNameIsTheFixedOneElseTheSourcesElseTheTokensOid() {
        ClientCredentialSettings s = new ClientCredentialSettings(Duration.ofSeconds(60));
        assertThat(s.usernames().apply(TOKEN)).isEqualTo("oid-1");
        s.usernameFrom(NAMING);
        assertThat(s.usernames().apply(TOKEN)).isEqualTo("from-source");
        s.username("fixed");
        assertThat(s.usernames().apply(TOKEN)).isEqualTo("fixed");
        s.username(null);
        assertThat(s.usernames().apply(TOKEN)).isEqualTo("from-source");
        assertThat(s.usernames().apply(AccessToken.opaque("opaque", NOW, NOW.plusSeconds(60))))
                .isEqualTo("from-source");
        assertThat(new ClientCredentialSettings(Duration.ZERO)
                        .usernames()
                        .apply(AccessToken.opaque("opaque", NOW, NOW.plusSeconds(60))))
                .isNull();
    }

    @Test
    void badSettingsAreRefusedWithWhatToDo() {
        ClientCredentialSettings s = new ClientCredentialSettings(Duration.ofSeconds(60));
        assertThatThrownBy(() -> s.username(" ")).hasMessageContaining("pass null to use the token's oid");
        assertThatThrownBy(() -> s.tokenWait(Duration.ofSeconds(-1))).hasMessageContaining("tokenWait must be zero");
        assertThatThrownBy(() -> s.tokenWait(null)).hasMessageContaining("tokenWait");
        assertThatThrownBy(() -> s.usernameFrom(null)).isInstanceOf(NullPointerException.class);
        s.tokenWait(Duration.ZERO);
        assertThat(s.tokenWait()).isZero();
    }
}
