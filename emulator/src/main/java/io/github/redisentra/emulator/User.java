package io.github.redisentra.emulator;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** A user of a {@link Tenant}. */
public final class User {
    private final Tenant tenant;
    private final String name;
    private final String displayName;
    private final String upn;
    private final String objectId;
    private final List<String> groups = new CopyOnWriteArrayList<>();
    private final Map<String, Set<String>> appRoles = new ConcurrentHashMap<>();

    User(Tenant tenant, UserSpec spec) {
        this.tenant = tenant;
        this.name = spec.name;
        this.displayName = spec.displayName != null
                ? spec.displayName
                : Character.toUpperCase(spec.name.charAt(0)) + spec.name.substring(1);
        this.upn = spec.upn != null ? spec.upn : spec.name + "@" + tenant.domain();
        this.objectId =
                spec.objectId != null ? spec.objectId : UUID.randomUUID().toString();
        List<String> all = new ArrayList<>(spec.groups);
        for (int i = 0; i < spec.randomGroups; i++) {
            all.add(UUID.randomUUID().toString());
        }
        groups.addAll(all);
        spec.appRoles.forEach(
                (api, roles) -> appRoles.computeIfAbsent(api.clientId(), k -> ConcurrentHashMap.newKeySet())
                        .addAll(roles));
    }

    public Tenant tenant() {
        return tenant;
    }

    public String name() {
        return name;
    }

    public String displayName() {
        return displayName;
    }

    public String upn() {
        return upn;
    }

    public String objectId() {
        return objectId;
    }

    /** Group object ids (transitive membership). */
    public List<String> groups() {
        return List.copyOf(groups);
    }

    /** Adds group memberships at run time (tokens issued afterwards carry them). */
    public User addGroups(String... groupIds) {
        groups.addAll(List.of(groupIds));
        return this;
    }

    /** Removes group memberships at run time. */
    public User removeGroups(String... groupIds) {
        groups.removeAll(List.of(groupIds));
        return this;
    }

    /** App roles assigned to this user on {@code api}. */
    public List<String> appRoles(AppRegistration api) {
        return List.copyOf(appRoles.getOrDefault(api.clientId(), Set.of()));
    }

    boolean isMemberOf(String groupId) {
        return groups.stream().anyMatch(g -> g.equalsIgnoreCase(groupId));
    }

    @Override
    public String toString() {
        return "User[" + upn + " oid=" + objectId + " groups=" + groups.size() + "]";
    }
}
