package io.github.redisentra.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.LocalTime;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiPredicate;
import org.redisson.api.RTopic;
import org.redisson.api.listener.MessageListener;

/**
 * Counts pub/sub delivery exactly: every message is unique, {@code PUBLISH}'s reply says how many subscribers Redis
 * handed it to, and the listener records what arrived. A message Redis handed to our one subscriber must arrive, once.
 */
final class PubSubLedger {
    private record Sent(LocalTime at, long subscribers) {}

    private final Map<String, Sent> sent = new ConcurrentHashMap<>();
    private final Set<String> received = ConcurrentHashMap.newKeySet();
    private final Set<String> duplicates = ConcurrentHashMap.newKeySet();

    /** The listener to register on the topic. */
    MessageListener<String> listener() {
        return (channel, message) -> {
            if (!received.add(message)) {
                duplicates.add(message);
            }
        };
    }

    /** Publishes {@code message} (unique) and records how many subscribers Redis handed it to. */
    void publish(RTopic topic, String message) {
        long subscribers = topic.publish(message);
        sent.put(message, new Sent(LocalTime.now(), subscribers));
    }

    long published() {
        return sent.size();
    }

    /**
     * Asserts that every message reached the one subscriber in Redis (0 would mean the subscription was gone at that
     * moment, e.g. a cut connection before Redisson resubscribed), and arrives at the listener within {@code wait}
     * exactly once. Failures name the messages and when they were published, to set against the renewals in the log.
     */
    void assertEveryMessageDeliveredOnce(Duration wait) {
        assertThat(where((message, s) -> s.subscribers() != 1))
                .as("messages PUBLISH did not hand to exactly one subscriber")
                .isEmpty();
        await().atMost(wait)
                .untilAsserted(() -> assertThat(where((message, s) -> !received.contains(message)))
                        .as("messages Redis handed to the subscriber that never reached the listener")
                        .isEmpty());
        assertThat(duplicates).as("messages received twice").isEmpty();
        assertThat(received).hasSameSizeAs(sent.keySet());
    }

    private Map<String, Sent> where(BiPredicate<String, Sent> test) {
        Map<String, Sent> matching = new TreeMap<>();
        sent.forEach((message, s) -> {
            if (test.test(message, s)) {
                matching.put(message, s);
            }
        });
        return matching;
    }
}
