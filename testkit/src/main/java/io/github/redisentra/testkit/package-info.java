/**
 * Test harness: real redis-server processes ({@link io.github.redisentra.testkit.RedisServer}; plaintext, TLS,
 * ACL users), a throw-away CA ({@link io.github.redisentra.testkit.TestCertificateAuthority}), a minimal RESP
 * client ({@link io.github.redisentra.testkit.RedisCli}) and an Azure-cache stand-in fed by the emulator
 * ({@link io.github.redisentra.testkit.AzureCacheStandIn}), and a real OpenLDAP slapd
 * ({@link io.github.redisentra.testkit.OpenLdapServer}; memberof and ppolicy overlays, LDAPS/StartTLS). See
 * {@code testkit/README.md}.
 */
package io.github.redisentra.testkit;
