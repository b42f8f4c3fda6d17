package io.github.redisentra.gateway.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;

/** A TLS client certificate from PEM files, for {@link TrustMaterial#sslContext(KeyManager[])}. */
public final class KeyMaterial {
    private static final Pattern PEM_KEY =
            Pattern.compile("-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

    private KeyMaterial() {}

    /**
     * Key managers presenting the certificate chain of {@code certFile} with the unencrypted PKCS#8 key of
     * {@code keyFile} (RSA, EC or Ed25519). Errors name the files by their settings, {@code certSetting} and
     * {@code keySetting}.
     */
    public static KeyManager[] fromPem(Path certFile, String certSetting, Path keyFile, String keySetting)
            throws GeneralSecurityException, IOException {
        Certificate[] chain = TrustMaterial.readCertificates(certFile).toArray(new Certificate[0]);
        if (chain.length == 0) {
            throw new GeneralSecurityException("no PEM certificate in " + certSetting);
        }
        String pem = Files.readString(keyFile, StandardCharsets.US_ASCII);
        Matcher m = PEM_KEY.matcher(pem);
        if (!m.find()) {
            throw new GeneralSecurityException(
                    keySetting + " holds no PKCS#8 PEM private key" + " (-----BEGIN PRIVATE KEY-----)");
        }
        byte[] der = Base64.getMimeDecoder().decode(m.group(1));
        PrivateKey key = null;
        for (String alg : new String[] {"RSA", "EC", "Ed25519", "EdDSA"}) {
            try {
                key = KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
                break;
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        if (key == null) {
            throw new GeneralSecurityException(keySetting + ": unsupported private key type");
        }
        char[] pw = new char[0];
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("client", key, pw, chain);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
        return kmf.getKeyManagers();
    }
}
