/** Test harness: real redis-server processes (plaintext, TLS, ACL users) and an Azure-cache stand-in fed by the emulator. */
package io.github.redisentra.testkit;
