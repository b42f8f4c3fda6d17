package io.github.redisentra.emulator;

/**
 * Observes tokens the emulator issues. Called on emulator threads; keep it quick and do not throw (an
 * exception is logged and otherwise ignored).
 */
public interface TokenEventListener {
    /** A token was issued (by an endpoint or {@link EntraEmulator#mintAccessToken}). */
    default void onIssued(IssuedToken token) {}

    /** A token reached its {@code exp} (fired by a scheduler at that instant). */
    default void onExpired(IssuedToken token) {}
}
