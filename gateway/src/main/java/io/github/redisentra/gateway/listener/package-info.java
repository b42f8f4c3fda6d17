/**
 * The client-facing listener's TLS material: the server certificate and key, reloaded when their files change
 * (cert-manager renewals) so that new connections get the new certificate without a restart.
 */
package io.github.redisentra.gateway.listener;
