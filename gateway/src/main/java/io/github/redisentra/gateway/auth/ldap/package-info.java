/**
 * Directory sign-in: {@code AUTH <user> <password>} checked by an LDAP / Active Directory bind, groups read from the
 * directory, successful sign-ins cached for a while, plus the directory's metrics and admin API.
 */
package io.github.redisentra.gateway.auth.ldap;
