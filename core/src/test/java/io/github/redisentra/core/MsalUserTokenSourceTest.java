package io.github.redisentra.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.net.URI;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class MsalUserTokenSourceTest {

    @Test
    void anAuthorityOnAnotherPortThan443IsWarnedAboutAtBuildTime() {
        Logger logger = (Logger) LoggerFactory.getLogger(MsalUserTokenSource.class);
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.start();
        logger.addAppender(events);
        try {
            MsalUserTokenSource.builder("11111111-2222-3333-4444-555555555555")
                    .authority(URI.create("https://idp.example:8443/contoso/"))
                    .instanceDiscovery(false)
                    .validateAuthority(false)
                    .build()
                    .close();
            MsalUserTokenSource.builder("11111111-2222-3333-4444-555555555555")
                    .authority(URI.create("https://idp.example/contoso/"))
                    .instanceDiscovery(false)
                    .validateAuthority(false)
                    .build()
                    .close();
        } finally {
            logger.detachAppender(events);
        }
        assertThat(events.list)
                .filteredOn(e -> e.getLevel() == Level.WARN)
                .singleElement()
                .satisfies(e -> assertThat(e.getFormattedMessage())
                        .contains("port 8443", "without the port (443)", "httpClient(...)"));
        assertThat(MsalUserTokenSource.portWarning(URI.create("https://idp.example:443/t/"), false))
                .isEmpty();
        assertThat(MsalUserTokenSource.portWarning(URI.create("https://localhost:9443/t/"), true))
                .get()
                .asString()
                .contains("unless the IHttpClient");
    }

    @Test
    void aLongLinkErrorIsCutToItsFirstMeaningfulPart() {
        String jna = "Unable to load library 'secret-1': Native library (linux-x86-64/libsecret-1.so) not found in"
                + " resource path ([file:/home/u/.m2/a.jar, file:/home/u/.m2/b.jar])\nlibsecret-1.so: cannot open";
        assertThat(MsalUserTokenSource.shortReason(new UnsatisfiedLinkError(jna)))
                .isEqualTo("UnsatisfiedLinkError: Unable to load library 'secret-1': Native library"
                        + " (linux-x86-64/libsecret-1.so) not found");
        assertThatThrownBy(() -> {
                    throw new IllegalStateException(MsalUserTokenSource.noProtectedStoreMessage("x"));
                })
                .hasMessageStartingWith("No OS-protected store for the persistent token cache (x).");
    }
}
