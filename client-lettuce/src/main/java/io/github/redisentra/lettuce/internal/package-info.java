/** Implementation details of the Lettuce adapter; not API, may change without notice. */
package io.github.redisentra.lettuce.internal;
