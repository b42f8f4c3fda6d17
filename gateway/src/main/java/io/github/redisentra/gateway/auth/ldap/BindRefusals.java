package io.github.redisentra.gateway.auth.ldap;

import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.LDAPResult;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.experimental.DraftBeheraLDAPPasswordPolicy10ErrorType;
import com.unboundid.ldap.sdk.experimental.DraftBeheraLDAPPasswordPolicy10ResponseControl;
import io.github.redisentra.gateway.auth.ldap.LdapDirectory.Refusal;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What a refused user bind means, as a reason code: Active Directory's sub-codes, password policy, result codes. */
final class BindRefusals {
    /** Active Directory's sub-codes in the diagnostic message of an invalidCredentials (49) bind result. */
    private static final Pattern AD_DATA = Pattern.compile("data ([0-9a-fA-F]{2,4})");

    private BindRefusals() {}

    /** Maps a failed user bind to a reason code: AD's sub-codes and the usual "account disabled" answers. */
    static Refusal of(LDAPException e) {
        Refusal policy = passwordPolicy(e.toLDAPResult());
        if (policy != null) {
            return policy;
        }
        ResultCode rc = e.getResultCode();
        String diag = e.getDiagnosticMessage() == null ? "" : e.getDiagnosticMessage();
        if (rc == ResultCode.INVALID_CREDENTIALS) {
            Matcher m = AD_DATA.matcher(diag);
            if (m.find()) {
                return switch (m.group(1).toLowerCase(java.util.Locale.ROOT)) {
                    case "525" -> new Refusal("unknown_user", "directory: no such user (AD 525)");
                    case "52e" -> new Refusal("invalid_credentials", "directory: invalid credentials (AD 52e)");
                    case "530", "531" ->
                        new Refusal(
                                "account_restricted",
                                "directory: sign-in not permitted now or from here (AD " + m.group(1) + ")");
                    case "532" -> new Refusal("password_expired", "directory: password expired (AD 532)");
                    case "533" -> new Refusal("account_disabled", "directory: account disabled (AD 533)");
                    case "701" -> new Refusal("account_expired", "directory: account expired (AD 701)");
                    case "773" -> new Refusal("password_must_change", "directory: password must be reset (AD 773)");
                    case "775" -> new Refusal("account_locked", "directory: account locked (AD 775)");
                    default ->
                        new Refusal("invalid_credentials", "directory: invalid credentials (AD " + m.group(1) + ")");
                };
            }
            String lower = diag.toLowerCase(java.util.Locale.ROOT);
            if (lower.contains("locked")) {
                return new Refusal("account_locked", "directory: account locked");
            }
            return new Refusal("invalid_credentials", "directory: invalid credentials");
        }
        if (rc == ResultCode.UNWILLING_TO_PERFORM) {
            String lower = diag.toLowerCase(java.util.Locale.ROOT);
            return lower.contains("lock")
                    ? new Refusal("account_locked", "directory: account locked (" + rc.getName() + ")")
                    : new Refusal("account_disabled", "directory: account disabled or inactive (" + rc.getName() + ")");
        }
        if (rc == ResultCode.INAPPROPRIATE_AUTHENTICATION) {
            return new Refusal("invalid_credentials", "directory: inappropriate authentication");
        }
        return new Refusal("directory_error", "directory refused the bind: " + rc.getName());
    }

    /**
     * The refusal an OpenLDAP/389-DS password policy response control (draft-behera-ldap-password-policy) reports:
     * locked account, expired password, or a password that must be changed after a reset; {@code null} otherwise.
     */
    static Refusal passwordPolicy(LDAPResult r) {
        DraftBeheraLDAPPasswordPolicy10ResponseControl c;
        try {
            c = DraftBeheraLDAPPasswordPolicy10ResponseControl.get(r);
        } catch (LDAPException e) {
            return null; // undecodable control: judge by the result code
        }
        if (c == null || c.getErrorType() == null) {
            return null;
        }
        DraftBeheraLDAPPasswordPolicy10ErrorType t = c.getErrorType();
        if (t == DraftBeheraLDAPPasswordPolicy10ErrorType.ACCOUNT_LOCKED) {
            return new Refusal("account_locked", "directory: account locked (password policy)");
        }
        if (t == DraftBeheraLDAPPasswordPolicy10ErrorType.PASSWORD_EXPIRED) {
            return new Refusal("password_expired", "directory: password expired (password policy)");
        }
        if (t == DraftBeheraLDAPPasswordPolicy10ErrorType.CHANGE_AFTER_RESET) {
            return new Refusal("password_must_change", "directory: password must be changed (password policy)");
        }
        return null;
    }
}
