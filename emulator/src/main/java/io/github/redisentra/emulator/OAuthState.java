package io.github.redisentra.emulator;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.ConcurrentHashMap;

/** Short-lived protocol state: authorization codes, refresh tokens and device codes. */
final class OAuthState {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String USER_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

    private final EntraEmulator emulator;
    private final Map<String, AuthCode> codes = new ConcurrentHashMap<>();
    private final Map<String, RefreshGrant> refreshTokens = new ConcurrentHashMap<>();
    private final Map<String, DeviceGrant> deviceCodes = new ConcurrentHashMap<>();

    OAuthState(EntraEmulator emulator) {
        this.emulator = emulator;
    }

    record AuthCode(
            Tenant tenant,
            AppRegistration client,
            String redirectUri,
            User user,
            String scope,
            String codeChallenge,
            String codeChallengeMethod,
            String nonce,
            Instant expiresAt) {}

    record RefreshGrant(Tenant tenant, AppRegistration client, User user, String scope, Instant expiresAt) {}

    static final class DeviceGrant {
        final String deviceCode;
        final String userCode;
        final Tenant tenant;
        final AppRegistration client;
        final String scope;
        final Instant expiresAt;
        volatile Instant lastPoll;
        volatile User approvedBy;
        volatile boolean denied;

        DeviceGrant(
                String deviceCode, String userCode, Tenant tenant, AppRegistration client, String scope, Instant exp) {
            this.deviceCode = deviceCode;
            this.userCode = userCode;
            this.tenant = tenant;
            this.client = client;
            this.scope = scope;
            this.expiresAt = exp;
        }
    }

    // -- authorization codes (10 minutes, single use, as Entra)

    /** Drops expired state so a long-running emulator does not grow without bound. */
    private void purgeExpired() {
        Instant now = emulator.clock().instant();
        codes.values().removeIf(c -> now.isAfter(c.expiresAt()));
        refreshTokens.values().removeIf(g -> now.isAfter(g.expiresAt()));
        deviceCodes.values().removeIf(g -> now.isAfter(g.expiresAt.plus(Duration.ofMinutes(5))));
    }

    String newCode(AuthCode code) {
        purgeExpired();
        String value = "1.A" + TokenFactory.random(96);
        codes.put(value, code);
        return value;
    }

    AuthCode redeemCode(String value) {
        return value == null ? null : codes.remove(value);
    }

    AuthCode newAuthCode(
            Tenant tenant,
            AppRegistration client,
            String redirectUri,
            User user,
            String scope,
            String challenge,
            String method,
            String nonce) {
        return new AuthCode(
                tenant,
                client,
                redirectUri,
                user,
                scope,
                challenge,
                method,
                nonce,
                emulator.clock().instant().plus(Duration.ofMinutes(10)));
    }

    // -- refresh tokens (rotating: each use retires the presented token)

    String newRefreshToken(Tenant tenant, AppRegistration client, User user, String scope) {
        purgeExpired();
        String value = "1.A" + TokenFactory.random(160);
        refreshTokens.put(
                value,
                new RefreshGrant(
                        tenant, client, user, scope, emulator.clock().instant().plus(emulator.refreshTokenLifetime())));
        return value;
    }

    RefreshGrant redeemRefreshToken(String value) {
        return value == null ? null : refreshTokens.remove(value);
    }

    /** Revokes every refresh token of a user (a "sign out everywhere" for tests). */
    void revokeRefreshTokens(User user) {
        refreshTokens.values().removeIf(g -> g.user() == user);
    }

    // -- device codes

    DeviceGrant newDeviceGrant(Tenant tenant, AppRegistration client, String scope) {
        purgeExpired();
        String device = "DAQABAAEAAA" + TokenFactory.random(96);
        String user;
        do {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 9; i++) {
                sb.append(USER_CODE_ALPHABET.charAt(RANDOM.nextInt(USER_CODE_ALPHABET.length())));
            }
            user = sb.toString();
        } while (findByUserCode(user) != null);
        DeviceGrant g = new DeviceGrant(
                device, user, tenant, client, scope, emulator.clock().instant().plus(emulator.deviceCodeLifetime()));
        deviceCodes.put(device, g);
        return g;
    }

    DeviceGrant deviceGrant(String deviceCode) {
        return deviceCode == null ? null : deviceCodes.get(deviceCode);
    }

    void removeDeviceGrant(DeviceGrant g) {
        deviceCodes.remove(g.deviceCode);
    }

    DeviceGrant findByUserCode(String userCode) {
        if (userCode == null) {
            return null;
        }
        String normalized = userCode.trim().replace("-", "").replace(" ", "");
        return deviceCodes.values().stream()
                .filter(g -> g.userCode.equalsIgnoreCase(normalized))
                .findFirst()
                .orElse(null);
    }

    void approveDeviceCode(String userCode, User user) {
        DeviceGrant g = findByUserCode(userCode);
        if (g == null) {
            throw new NoSuchElementException("No pending device code with user code " + userCode);
        }
        if (user.tenant() != g.tenant) {
            throw new IllegalArgumentException(
                    "User " + user.upn() + " is not in tenant " + g.tenant.name() + " that issued this device code");
        }
        if (emulator.clock().instant().isAfter(g.expiresAt)) {
            throw new IllegalStateException("Device code " + userCode + " has expired");
        }
        g.approvedBy = user;
    }

    void denyDeviceCode(String userCode) {
        DeviceGrant g = findByUserCode(userCode);
        if (g == null) {
            throw new NoSuchElementException("No pending device code with user code " + userCode);
        }
        g.denied = true;
    }
}
