/** Implementation details of the core module; not an API, may change without notice. */
package io.github.redisentra.core.internal;
