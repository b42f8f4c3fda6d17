package io.github.redisentra.aws;

/** The one wording of the plaintext refusal, shared by the Lettuce and Jedis checks. */
final class TlsRequirement {
    private TlsRequirement() {}

    static String message(String what, String host, int port) {
        return what + " for " + host + ":" + port + " does not use TLS; ElastiCache and MemoryDB accept IAM"
                + " authentication tokens only over TLS (in-transit encryption), and a token must never travel in"
                + " plaintext";
    }
}
