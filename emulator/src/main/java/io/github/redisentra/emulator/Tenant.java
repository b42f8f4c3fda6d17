package io.github.redisentra.emulator;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** An Entra tenant: its users, app registrations, managed identities and signing keys. */
public final class Tenant {
    private final EntraEmulator emulator;
    private final String id;
    private final String name;
    private final SigningKeys signingKeys = new SigningKeys();
    private final List<User> users = new CopyOnWriteArrayList<>();
    private final List<AppRegistration> apps = new CopyOnWriteArrayList<>();
    private final List<ManagedIdentity> identities = new CopyOnWriteArrayList<>();
    private final Map<String, Duration> resourceTokenLifetimes = new ConcurrentHashMap<>();
    private volatile ManagedIdentity systemAssigned;

    Tenant(EntraEmulator emulator, String name, String id) {
        if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9-]{0,62}")) {
            throw new IllegalArgumentException(
                    "A tenant name must be letters, digits and '-' (it becomes the domain name.test), got " + name);
        }
        this.emulator = emulator;
        this.name = name;
        this.id = id != null ? id : UUID.randomUUID().toString();
    }

    /** The tenant id (GUID): {@code tid}. */
    public String id() {
        return id;
    }

    public String name() {
        return name;
    }

    /** The verified domain, {@code name.test}. */
    public String domain() {
        return name.toLowerCase(Locale.ROOT) + ".test";
    }

    /** {@code https://localhost:PORT/{tid}/} — the MSAL authority. */
    public URI authority() {
        return URI.create(emulator.httpsBaseUrl() + "/" + id + "/");
    }

    /** v2 issuer: {@code https://localhost:PORT/{tid}/v2.0}. */
    public String issuerV2() {
        return emulator.httpsBaseUrl() + "/" + id + "/v2.0";
    }

    /**
     * v1 issuer: {@code https://localhost:PORT/{tid}/}. Real Entra uses {@code https://sts.windows.net/{tid}/};
     * the emulator keeps its own host so that nothing points at Microsoft.
     */
    public String issuerV1() {
        return emulator.httpsBaseUrl() + "/" + id + "/";
    }

    /** The v2 OpenID configuration document URL. */
    public URI openIdConfigurationV2() {
        return URI.create(issuerV2() + "/.well-known/openid-configuration");
    }

    /** The v1 OpenID configuration document URL. */
    public URI openIdConfigurationV1() {
        return URI.create(issuerV1() + ".well-known/openid-configuration");
    }

    public SigningKeys signingKeys() {
        return signingKeys;
    }

    public AppRegistration registerApp(AppSpec spec) {
        AppRegistration app = new AppRegistration(this, spec);
        if (findApp(app.clientId()).isPresent()
                || findAppByIdUri(app.appIdUri()).isPresent()) {
            throw new IllegalArgumentException("An app with client id " + app.clientId() + " or App ID URI "
                    + app.appIdUri() + " is already registered in tenant " + name);
        }
        apps.add(app);
        return app;
    }

    public User addUser(UserSpec spec) {
        User user = new User(this, spec);
        if (findUser(user.upn()).isPresent() || findUser(user.objectId()).isPresent()) {
            throw new IllegalArgumentException("User " + user.upn() + " already exists in tenant " + name);
        }
        users.add(user);
        return user;
    }

    public ManagedIdentity addManagedIdentity(String name) {
        return addManagedIdentity(name, null, null);
    }

    /** A managed identity with fixed client id and object id (GUIDs; null = random). */
    public ManagedIdentity addManagedIdentity(String name, String clientId, String objectId) {
        ManagedIdentity mi = new ManagedIdentity(this, name, clientId, objectId);
        if (findManagedIdentity(mi.clientId()).isPresent()
                || findManagedIdentity(mi.objectId()).isPresent()) {
            throw new IllegalArgumentException("A managed identity with client id " + mi.clientId() + " or object id "
                    + mi.objectId() + " already exists in tenant " + this.name);
        }
        identities.add(mi);
        return mi;
    }

    /**
     * Makes {@code mi} the system-assigned identity: what the managed-identity endpoints return when the
     * request names no client id / object id / resource id.
     */
    public Tenant setSystemAssignedIdentity(ManagedIdentity mi) {
        if (mi.tenant() != this) {
            throw new IllegalArgumentException("Managed identity " + mi.name() + " belongs to another tenant");
        }
        this.systemAssigned = mi;
        return this;
    }

    public Optional<ManagedIdentity> systemAssignedIdentity() {
        return Optional.ofNullable(systemAssigned);
    }

    /**
     * Changes the lifetime of access tokens issued from now on for a Microsoft first-party resource such as {@code
     * https://redis.azure.com} (a token lifetime policy on its service principal in this tenant), whoever they are
     * for: users, apps or managed identities. {@code null}: back to the other settings. A registered API's lifetime is
     * {@link AppRegistration#tokenLifetime(Duration)}.
     *
     * @param resource the resource URI ({@code https://redis.azure.com}), its {@code /.default} scope or with a
     *     trailing slash
     */
    public Tenant resourceTokenLifetime(String resource, Duration lifetime) {
        String key = firstPartyResource(resource);
        if (lifetime == null) {
            resourceTokenLifetimes.remove(key);
        } else {
            resourceTokenLifetimes.put(key, EntraEmulator.Builder.checkLifetime(lifetime));
        }
        return this;
    }

    /** The lifetime set by {@link #resourceTokenLifetime(String, Duration)} for a first-party resource, if any. */
    public Optional<Duration> resourceTokenLifetime(String resource) {
        return Optional.ofNullable(resourceTokenLifetimes.get(firstPartyResource(resource)));
    }

    private String firstPartyResource(String resource) {
        String name = resource == null ? "" : resource.strip();
        if (name.endsWith("/.default")) {
            name = name.substring(0, name.length() - "/.default".length());
        }
        Resource r = Resource.resolve(this, name).orElse(null);
        if (r == null || r.app() != null) {
            throw new IllegalArgumentException("Not a Microsoft first-party resource the emulator knows: " + resource
                    + (r != null ? " (a registered API: use AppRegistration.tokenLifetime)" : ""));
        }
        return r.identifier();
    }

    public List<User> users() {
        return List.copyOf(users);
    }

    public List<AppRegistration> apps() {
        return List.copyOf(apps);
    }

    public List<ManagedIdentity> managedIdentities() {
        return List.copyOf(identities);
    }

    /** A user by UPN or object id (case-insensitive). */
    public Optional<User> findUser(String upnOrObjectId) {
        if (upnOrObjectId == null) {
            return Optional.empty();
        }
        return users.stream()
                .filter(u ->
                        u.upn().equalsIgnoreCase(upnOrObjectId) || u.objectId().equalsIgnoreCase(upnOrObjectId))
                .findFirst();
    }

    /** An app by client id (case-insensitive). */
    public Optional<AppRegistration> findApp(String clientId) {
        if (clientId == null) {
            return Optional.empty();
        }
        return apps.stream()
                .filter(a -> a.clientId().equalsIgnoreCase(clientId))
                .findFirst();
    }

    public Optional<AppRegistration> findAppByIdUri(String appIdUri) {
        if (appIdUri == null) {
            return Optional.empty();
        }
        return apps.stream()
                .filter(a -> a.appIdUri().equalsIgnoreCase(appIdUri))
                .findFirst();
    }

    /** A managed identity by client id, object id or resource id (case-insensitive). */
    public Optional<ManagedIdentity> findManagedIdentity(String anyId) {
        if (anyId == null) {
            return Optional.empty();
        }
        return identities.stream()
                .filter(m -> m.clientId().equalsIgnoreCase(anyId)
                        || m.objectId().equalsIgnoreCase(anyId)
                        || m.resourceId().equalsIgnoreCase(anyId))
                .findFirst();
    }

    EntraEmulator emulator() {
        return emulator;
    }

    @Override
    public String toString() {
        return "Tenant[" + name + " " + id + "]";
    }
}
