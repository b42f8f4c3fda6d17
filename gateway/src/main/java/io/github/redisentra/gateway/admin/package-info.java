/**
 * The HTTP admin listener: health, readiness ({@link io.github.redisentra.gateway.admin.ReadinessCheck}) and
 * Prometheus metrics ({@link io.github.redisentra.gateway.admin.GatewayMetrics}). Holds no secret.
 */
package io.github.redisentra.gateway.admin;
