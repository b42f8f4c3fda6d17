package com.microsoft.aad.msal4j;

import java.util.Map;

/**
 * Test-only seam: azure-identity 1.19 hands managed identity to MSAL, which detects the platform from the process
 * environment ({@code IDENTITY_ENDPOINT}, {@code IDENTITY_HEADER}) and ignores azure-core's Configuration. MSAL's
 * own package-private hook lets a test point it at the emulator without touching the process environment.
 */
public final class MsalManagedIdentityEnvironment {
    private MsalManagedIdentityEnvironment() {}

    /** MSAL sees exactly these variables (and no others) until {@link #reset()}. */
    public static void set(Map<String, String> variables) {
        Map<String, String> copy = Map.copyOf(variables);
        ManagedIdentityApplication.setEnvironmentVariables(copy::get);
    }

    /** MSAL reads the real process environment again. */
    public static void reset() {
        ManagedIdentityApplication.setEnvironmentVariables(null);
    }
}
