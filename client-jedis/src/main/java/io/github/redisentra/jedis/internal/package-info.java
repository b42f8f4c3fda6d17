/**
 * Implementation details of the Jedis integration (per-client re-authentication, the connection subclass and the pool
 * factory); not API, may change without notice.
 */
package io.github.redisentra.jedis.internal;
