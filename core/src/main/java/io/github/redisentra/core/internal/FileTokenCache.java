package io.github.redisentra.core.internal;

import com.microsoft.aad.msal4j.ITokenCacheAccessAspect;
import com.microsoft.aad.msal4j.ITokenCacheAccessContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * MSAL's token cache in a plain file that only its owner can read: directory 0700, file 0600, replaced atomically
 * on every change. Used only when the application allowed unprotected storage (the OS-protected store is
 * preferred).
 */
public final class FileTokenCache implements ITokenCacheAccessAspect {
    private static final Logger log = LoggerFactory.getLogger(FileTokenCache.class);
    private static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

    private final Path file;
    private final boolean posix;

    /** A cache in {@code file}; creates its directory (0700) when missing and tightens an existing one. */
    public FileTokenCache(Path file) throws IOException {
        this.file = file.toAbsolutePath();
        this.posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
        Path dir = this.file.getParent();
        if (posix) {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIR));
            }
            Files.setPosixFilePermissions(dir, DIR);
            if (Files.exists(this.file)) {
                Files.setPosixFilePermissions(this.file, FILE);
            }
        } else {
            Files.createDirectories(dir);
        }
    }

    /** Where the cache lives. */
    public Path file() {
        return file;
    }

    @Override
    public synchronized void beforeCacheAccess(ITokenCacheAccessContext context) {
        try {
            if (Files.exists(file)) {
                context.tokenCache().deserialize(Files.readString(file, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            log.warn("could not read the token cache {}: {}; continuing without it", file, e.toString());
        }
    }

    @Override
    public synchronized void afterCacheAccess(ITokenCacheAccessContext context) {
        if (!context.hasCacheChanged()) {
            return;
        }
        try {
            write(context.tokenCache().serialize());
        } catch (IOException e) {
            log.warn("could not write the token cache {}: {}; the next run will have to sign in", file, e.toString());
        }
    }

    /** Removes the file (sign-out). */
    public synchronized void delete() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete the token cache " + file, e);
        }
    }

    private void write(String content) throws IOException {
        Path dir = file.getParent();
        Path tmp = posix
                ? Files.createTempFile(dir, ".msal-cache", ".tmp", PosixFilePermissions.asFileAttribute(FILE))
                : Files.createTempFile(dir, ".msal-cache", ".tmp");
        try {
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            if (posix) {
                Files.setPosixFilePermissions(file, FILE);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
