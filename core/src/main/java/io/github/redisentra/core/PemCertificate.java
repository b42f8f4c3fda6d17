package io.github.redisentra.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.EncryptedPrivateKeyInfo;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A PEM certificate file for azure-identity, which reads only an unencrypted private key: an encrypted PKCS#8 key
 * ({@code BEGIN ENCRYPTED PRIVATE KEY}, what {@code openssl pkcs8 -topk8}, {@code genpkey} and {@code req -newkey}
 * write: PBES2 with PBKDF2 and AES or triple DES; the JDK's PBE schemes otherwise) is decrypted with the JDK's
 * PBKDF2 and ciphers (its own PBES2 parameters parser accepts AES only), and the same PEM with the plain key is handed over in memory.
 * Nothing is written to disk; neither the key nor the password appears in an exception.
 */
final class PemCertificate {
    private static final Pattern ENCRYPTED = Pattern.compile(
            "-----BEGIN ENCRYPTED PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END ENCRYPTED PRIVATE KEY-----");

    private PemCertificate() {}

    /**
     * The PEM file's bytes with its encrypted PKCS#8 key replaced by the decrypted one.
     *
     * @throws IllegalArgumentException when the file cannot be read, its key is not encrypted PKCS#8, or the password
     *     does not decrypt it
     */
    static byte[] decrypted(Path file, String password) {
        String pem;
        try {
            pem = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read certificate " + file + ": " + e, e);
        }
        Matcher m = ENCRYPTED.matcher(pem);
        if (!m.find()) {
            String hint = pem.contains("Proc-Type: 4,ENCRYPTED")
                    ? " its key is encrypted in OpenSSL's legacy format, which the JDK cannot read"
                    : " it holds no encrypted PKCS#8 key (BEGIN ENCRYPTED PRIVATE KEY), so the password has nothing to"
                            + " decrypt; give no password for an unencrypted key, or";
            throw new IllegalArgumentException("certificate " + file + " is read as PEM with a password, but" + hint
                    + ": convert the key to PKCS#8 (openssl pkcs8 -topk8 -in key.pem -out key-pkcs8.pem, encrypted,"
                    + " or with -nocrypt and no password) or use a password-protected PFX (openssl pkcs12 -export -in"
                    + " cert.pem -inkey key.pem -out cert.pfx)");
        }
        byte[] plain = decrypt(file, Base64.getMimeDecoder().decode(m.group(1)), password);
        try {
            String key = "-----BEGIN PRIVATE KEY-----\n"
                    + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(plain)
                    + "\n-----END PRIVATE KEY-----";
            return (pem.substring(0, m.start()) + key + pem.substring(m.end())).getBytes(StandardCharsets.US_ASCII);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    /** The PKCS#8 encoding of the private key in {@code der} (an EncryptedPrivateKeyInfo). */
    private static byte[] decrypt(Path file, byte[] der, String password) {
        char[] chars = password.toCharArray();
        try {
            Der info = new Der(der).sequence();
            Der algorithm = info.sequence();
            String scheme = algorithm.oid();
            byte[] plain;
            if (PBES2.equals(scheme)) {
                plain = pbes2(algorithm.sequence(), info.octets(), chars);
            } else {
                // PKCS#5 v1.5 / PKCS#12 schemes: the JDK's own PBE ciphers.
                EncryptedPrivateKeyInfo jdk = new EncryptedPrivateKeyInfo(der);
                PBEKeySpec spec = new PBEKeySpec(chars);
                try {
                    String name = jdk.getAlgName();
                    Cipher cipher = Cipher.getInstance(name);
                    cipher.init(
                            Cipher.DECRYPT_MODE,
                            SecretKeyFactory.getInstance(name).generateSecret(spec),
                            jdk.getAlgParameters());
                    plain = jdk.getKeySpec(cipher).getEncoded();
                } finally {
                    spec.clearPassword();
                }
            }
            if (plain.length < 2 || plain[0] != 0x30) {
                throw new GeneralSecurityException("not a PKCS#8 key after decryption");
            }
            return plain;
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            // The cause's class names the failing step (bad padding, unsupported scheme), never the key or password.
            throw new IllegalArgumentException("cannot decrypt the private key in certificate " + file
                    + " with the given password (wrong password, or an encryption the JDK does not support: "
                    + e.getClass().getSimpleName() + "); re-encrypt it with openssl pkcs8 -topk8 -v2 aes-256-cbc, or"
                    + " use a password-protected PFX (openssl pkcs12 -export -in cert.pem -inkey key.pem -out"
                    + " cert.pfx)");
        } finally {
            Arrays.fill(chars, '\0');
        }
    }

    private static final String PBES2 = "1.2.840.113549.1.5.13";
    private static final String PBKDF2 = "1.2.840.113549.1.5.12";

    /** PBES2 (RFC 8018): PBKDF2 with an HMAC-SHA PRF, then AES or triple DES in CBC mode (what OpenSSL writes). */
    private static byte[] pbes2(Der params, byte[] encrypted, char[] password)
            throws IOException, GeneralSecurityException {
        Der kdf = params.sequence();
        if (!PBKDF2.equals(kdf.oid())) {
            throw new GeneralSecurityException("PBES2 key derivation other than PBKDF2");
        }
        Der kdfParams = kdf.sequence();
        byte[] salt = kdfParams.octets();
        int iterations = kdfParams.integer();
        String prf = "HmacSHA1";
        while (kdfParams.hasMore()) {
            if (kdfParams.peek() == 0x02) {
                kdfParams.integer(); // keyLength: implied by the cipher
            } else {
                prf = switch (kdfParams.sequence().oid()) {
                    case "1.2.840.113549.2.7" -> "HmacSHA1";
                    case "1.2.840.113549.2.8" -> "HmacSHA224";
                    case "1.2.840.113549.2.9" -> "HmacSHA256";
                    case "1.2.840.113549.2.10" -> "HmacSHA384";
                    case "1.2.840.113549.2.11" -> "HmacSHA512";
                    default -> throw new GeneralSecurityException("unsupported PBKDF2 PRF");
                };
            }
        }
        Der cipherId = params.sequence();
        String cipherOid = cipherId.oid();
        byte[] iv = cipherId.octets();
        String cipherName;
        int keyBytes;
        switch (cipherOid) {
            case "2.16.840.1.101.3.4.1.2" -> {
                cipherName = "AES";
                keyBytes = 16;
            }
            case "2.16.840.1.101.3.4.1.22" -> {
                cipherName = "AES";
                keyBytes = 24;
            }
            case "2.16.840.1.101.3.4.1.42" -> {
                cipherName = "AES";
                keyBytes = 32;
            }
            case "1.2.840.113549.3.7" -> {
                cipherName = "DESede";
                keyBytes = 24;
            }
            default -> throw new GeneralSecurityException("unsupported PBES2 cipher " + cipherOid);
        }
        PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, keyBytes * 8);
        byte[] key = null;
        try {
            key = SecretKeyFactory.getInstance("PBKDF2With" + prf)
                    .generateSecret(spec)
                    .getEncoded();
            Cipher cipher = Cipher.getInstance(cipherName + "/CBC/PKCS5Padding");
            cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, cipherName), new IvParameterSpec(iv));
            return cipher.doFinal(encrypted);
        } finally {
            spec.clearPassword();
            if (key != null) {
                Arrays.fill(key, (byte) 0);
            }
        }
    }

    /** Just enough DER to read PBES2 parameters: sequences, OIDs, octet strings, small integers. */
    private static final class Der {
        private final byte[] b;
        private int pos;
        private final int end;

        Der(byte[] b) {
            this(b, 0, b.length);
        }

        private Der(byte[] b, int from, int to) {
            this.b = b;
            this.pos = from;
            this.end = to;
        }

        boolean hasMore() {
            return pos < end;
        }

        int peek() throws IOException {
            if (pos >= end) {
                throw new IOException("truncated DER");
            }
            return b[pos] & 0xff;
        }

        /** The content bounds of the next element with {@code tag}; moves past it. */
        private int[] next(int tag) throws IOException {
            if (peek() != tag) {
                throw new IOException("unexpected DER tag " + peek() + ", expected " + tag);
            }
            pos++;
            int len = b[pos++] & 0xff;
            if (len > 0x80) {
                int n = len & 0x7f;
                if (n > 3) {
                    throw new IOException("DER length too long");
                }
                len = 0;
                for (int i = 0; i < n; i++) {
                    len = (len << 8) | (b[pos++] & 0xff);
                }
            } else if (len == 0x80) {
                throw new IOException("indefinite DER length");
            }
            int start = pos;
            if (start + len > end) {
                throw new IOException("truncated DER");
            }
            pos = start + len;
            return new int[] {start, start + len};
        }

        Der sequence() throws IOException {
            int[] r = next(0x30);
            return new Der(b, r[0], r[1]);
        }

        byte[] octets() throws IOException {
            int[] r = next(0x04);
            return Arrays.copyOfRange(b, r[0], r[1]);
        }

        int integer() throws IOException {
            int[] r = next(0x02);
            if (r[1] - r[0] > 4) {
                throw new IOException("DER integer too large");
            }
            int v = 0;
            for (int i = r[0]; i < r[1]; i++) {
                v = (v << 8) | (b[i] & 0xff);
            }
            return v;
        }

        String oid() throws IOException {
            int[] r = next(0x06);
            StringBuilder sb = new StringBuilder();
            long value = 0;
            boolean first = true;
            for (int i = r[0]; i < r[1]; i++) {
                value = (value << 7) | (b[i] & 0x7f);
                if ((b[i] & 0x80) == 0) {
                    if (first) {
                        long top = Math.min(value / 40, 2);
                        sb.append(top).append('.').append(value - top * 40);
                        first = false;
                    } else {
                        sb.append('.').append(value);
                    }
                    value = 0;
                }
            }
            return sb.toString();
        }
    }
}
