/** Token model, the refresh engine and credential sources (MSAL user sign-in, azure-identity, static, command). */
package io.github.redisentra.core;
