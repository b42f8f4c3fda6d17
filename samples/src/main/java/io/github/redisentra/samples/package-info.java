/** Runnable samples and the local demo. */
package io.github.redisentra.samples;
