/** A RESP gateway that admits Redis clients by Entra ID group or app role and forwards them to the cache as its own identity. */
package io.github.redisentra.gateway;
