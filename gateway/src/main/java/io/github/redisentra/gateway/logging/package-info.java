/**
 * Log output: the JSON layout and the filter that selects the text or JSON appender ({@code LOG_FORMAT}).
 */
package io.github.redisentra.gateway.logging;
