/** A local Microsoft Entra ID emulator: OIDC discovery, JWKS, token, device code, sign-in page, managed identity and Graph. */
package io.github.redisentra.emulator;
