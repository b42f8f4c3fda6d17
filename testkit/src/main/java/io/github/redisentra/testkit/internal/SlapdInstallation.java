package io.github.redisentra.testkit.internal;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Where OpenLDAP's {@code slapd}, {@code slapadd}, {@code ldapmodify}, its modules and schema files are on this machine,
 * and the {@code cn=config} the testkit's {@link io.github.redisentra.testkit.OpenLdapServer} runs with.
 */
public record SlapdInstallation(Path slapd, Path slapadd, Path ldapmodify, Path modules, Path schemas) {
    public static final String INSTALL_HINT =
            "install OpenLDAP's server and tools (Debian/Ubuntu: apt-get install slapd ldap-utils)";
    private static final List<String> BIN_DIRS =
            List.of("/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin", "/usr/libexec", "/opt/homebrew/sbin");
    private static final List<String> MODULE_DIRS =
            List.of("/usr/lib/ldap", "/usr/lib64/openldap", "/usr/lib/openldap", "/usr/libexec/openldap");
    private static final List<String> SCHEMA_DIRS = List.of("/etc/ldap/schema", "/etc/openldap/schema");
    private static final List<String> SCHEMAS = List.of("core", "cosine", "inetorgperson", "namedobject");

    /**
     * Finds the installation: the directory of {@code -Dopenldap.slapd}, {@code PATH}, the usual directories.
     *
     * @throws IllegalStateException saying what is missing and how to install it
     */
    public static SlapdInstallation locate() {
        List<String> dirs = new ArrayList<>();
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!d.isBlank()) {
                dirs.add(d);
            }
        }
        dirs.addAll(BIN_DIRS);
        String configured = System.getProperty("openldap.slapd");
        if (configured != null && !configured.isBlank()) {
            dirs.add(0, Path.of(configured).toAbsolutePath().getParent().toString());
            if (!Files.isExecutable(Path.of(configured))) {
                throw new IllegalStateException(
                        "-Dopenldap.slapd=" + configured + " is not an executable file; fix it or " + INSTALL_HINT);
            }
        }
        Path slapd = find(dirs, "slapd");
        Path slapadd = find(dirs, "slapadd");
        Path ldapmodify = find(dirs, "ldapmodify");
        Path modules = MODULE_DIRS.stream()
                .map(Path::of)
                .filter(d -> Files.exists(d.resolve("ppolicy.la")) || Files.exists(d.resolve("ppolicy.so")))
                .findFirst()
                .orElse(null);
        Path schemas = SCHEMA_DIRS.stream()
                .map(Path::of)
                .filter(d -> Files.isReadable(d.resolve("namedobject.ldif")))
                .findFirst()
                .orElse(null);
        List<String> missing = new ArrayList<>();
        if (slapd == null || slapadd == null) {
            missing.add("slapd/slapadd not found on PATH or in " + String.join(", ", BIN_DIRS));
        }
        if (ldapmodify == null) {
            missing.add("ldapmodify not found");
        }
        if (modules == null) {
            missing.add("no OpenLDAP module directory with ppolicy in " + String.join(", ", MODULE_DIRS));
        }
        if (schemas == null) {
            missing.add("no OpenLDAP schema directory with namedobject.ldif in " + String.join(", ", SCHEMA_DIRS));
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException(
                    "OpenLDAP is not installed here (" + String.join("; ", missing) + "): " + INSTALL_HINT);
        }
        return new SlapdInstallation(slapd, slapadd, ldapmodify, modules, schemas);
    }

    private static Path find(List<String> dirs, String name) {
        for (String d : dirs) {
            Path p = Path.of(d, name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /** Runs a tool to completion (60 s at most), {@code stdin} fed to it; a non-zero exit throws with its output. */
    public static void run(List<String> cmd, String stdin, String what) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            try (var in = p.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(what + " did not finish within 60 s");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(what + " failed (exit " + p.exitValue() + "): " + out.strip());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not run " + what + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + what, e);
        }
    }

    /**
     * The {@code cn=config} LDIF (for {@code slapadd -n 0}): TLS from {@code dir/server.pem}, {@code server.key},
     * {@code ca.pem}; modules back_mdb, ppolicy, memberof; the core, cosine, inetOrgPerson and namedObject schemas;
     * one mdb database for {@code suffix} in {@code dir/db} with {@code rootDn}; users may read, anonymous may only
     * bind; the memberof overlay (with referential integrity) and the ppolicy overlay.
     */
    public String configLdif(
            Path dir, String suffix, String rootDn, String rootPassword, String defaultPolicy, boolean useLockout) {
        StringBuilder b = new StringBuilder();
        b.append("dn: cn=config\nobjectClass: olcGlobal\ncn: config\n")
                .append("olcPidFile: ")
                .append(dir.resolve("slapd.pid"))
                .append("\nolcLogLevel: none\n")
                .append("olcTLSCertificateFile: ")
                .append(dir.resolve("server.pem"))
                .append("\nolcTLSCertificateKeyFile: ")
                .append(dir.resolve("server.key"))
                .append("\nolcTLSCACertificateFile: ")
                .append(dir.resolve("ca.pem"))
                .append("\nolcTLSProtocolMin: 3.3\n\n");
        b.append("dn: cn=module{0},cn=config\nobjectClass: olcModuleList\ncn: module{0}\n")
                .append("olcModulePath: ")
                .append(modules)
                .append("\nolcModuleLoad: back_mdb\nolcModuleLoad: ppolicy\nolcModuleLoad: memberof\n\n");
        b.append("dn: cn=schema,cn=config\nobjectClass: olcSchemaConfig\ncn: schema\n\n");
        for (String s : SCHEMAS) {
            b.append("include: file://").append(schemas.resolve(s + ".ldif")).append("\n\n");
        }
        b.append("dn: olcDatabase={-1}frontend,cn=config\nobjectClass: olcDatabaseConfig\n")
                .append("objectClass: olcFrontendConfig\nolcDatabase: {-1}frontend\n\n");
        b.append("dn: olcDatabase={0}config,cn=config\nobjectClass: olcDatabaseConfig\nolcDatabase: {0}config\n")
                .append("olcAccess: {0}to * by * none\n\n");
        b.append("dn: olcDatabase={1}mdb,cn=config\nobjectClass: olcDatabaseConfig\nobjectClass: olcMdbConfig\n")
                .append("olcDatabase: {1}mdb\nolcSuffix: ")
                .append(suffix)
                .append("\nolcRootDN: ")
                .append(rootDn)
                .append("\nolcRootPW: ")
                .append(rootPassword)
                .append("\nolcDbDirectory: ")
                .append(dir.resolve("db"))
                .append("\nolcDbMaxSize: 67108864\n")
                .append("olcDbIndex: objectClass eq\nolcDbIndex: uid eq\nolcDbIndex: member eq\n")
                .append("olcAccess: {0}to attrs=userPassword by self write by anonymous auth by * none\n")
                .append("olcAccess: {1}to * by users read by * none\n\n");
        b.append("dn: olcOverlay={0}memberof,olcDatabase={1}mdb,cn=config\nobjectClass: olcOverlayConfig\n")
                .append("objectClass: olcMemberOf\nolcOverlay: {0}memberof\nolcMemberOfRefInt: TRUE\n\n");
        b.append("dn: olcOverlay={1}ppolicy,olcDatabase={1}mdb,cn=config\nobjectClass: olcOverlayConfig\n")
                .append("objectClass: olcPPolicyConfig\nolcOverlay: {1}ppolicy\n")
                .append("olcPPolicyUseLockout: ")
                .append(useLockout ? "TRUE" : "FALSE")
                .append('\n');
        if (defaultPolicy != null) {
            b.append("olcPPolicyDefault: ").append(defaultPolicy).append('\n');
        }
        return b.toString();
    }
}
