package io.github.redisentra.emulator;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/** A user to add to a tenant: name, groups (object-id GUIDs) and app-role assignments. */
public final class UserSpec {
    final String name;
    String displayName;
    String upn;
    String objectId;
    final List<String> groups = new ArrayList<>();
    int randomGroups;
    final Map<AppRegistration, Set<String>> appRoles = new LinkedHashMap<>();

    private UserSpec(String name) {
        if (name == null || name.isBlank() || name.contains("@")) {
            throw new IllegalArgumentException(
                    "A user needs a short name without '@' (the UPN becomes name@tenant.test), got " + name);
        }
        this.name = name;
    }

    /** A user with UPN {@code name@{tenant}.test} and a display name derived from {@code name}. */
    public static UserSpec named(String name) {
        return new UserSpec(name);
    }

    public UserSpec displayName(String displayName) {
        this.displayName = Objects.requireNonNull(displayName);
        return this;
    }

    /** A full UPN instead of {@code name@{tenant}.test}. */
    public UserSpec upn(String upn) {
        this.upn = Objects.requireNonNull(upn);
        return this;
    }

    /** A fixed object id (GUID) instead of a random one. */
    public UserSpec objectId(String objectId) {
        this.objectId = Objects.requireNonNull(objectId);
        return this;
    }

    /** Group object ids the user is a (transitive) member of. */
    public UserSpec groups(String... groupIds) {
        groups.addAll(Arrays.asList(groupIds));
        return this;
    }

    /** Adds {@code count} random group memberships (over 200 in all triggers group overage in tokens). */
    public UserSpec groupCount(int count) {
        if (count < 0) {
            throw new IllegalArgumentException("groupCount must be >= 0, got " + count);
        }
        this.randomGroups = count;
        return this;
    }

    /** Assigns app roles of {@code api} to the user (they appear in {@code roles} of tokens for that API). */
    public UserSpec appRoles(AppRegistration api, String... roles) {
        for (String role : roles) {
            if (!api.appRoles().contains(role)) {
                throw new IllegalArgumentException(
                        "API " + api.name() + " defines no app role '" + role + "' (defined: " + api.appRoles() + ")");
            }
        }
        appRoles.computeIfAbsent(api, k -> new LinkedHashSet<>()).addAll(Arrays.asList(roles));
        return this;
    }
}
