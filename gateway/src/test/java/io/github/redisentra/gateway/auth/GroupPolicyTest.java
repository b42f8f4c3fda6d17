package io.github.redisentra.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class GroupPolicyTest {
    static final String A = "aaaaaaaa-0000-4000-8000-000000000001";
    static final String B = "bbbbbbbb-0000-4000-8000-000000000002";
    static final String C = "cccccccc-0000-4000-8000-000000000003";

    @Test
    void requiredGroupsMustAllBePresentCaseInsensitively() {
        GroupPolicy p = new GroupPolicy(Set.of(A.toUpperCase(), B), Set.of(), Set.of());
        assertThat(p.evaluate(Set.of(A, B.toUpperCase()), Set.of()).admitted()).isTrue();
        GroupPolicy.Outcome o = p.evaluate(Set.of(A), Set.of());
        assertThat(o.admitted()).isFalse();
        assertThat(o.reason()).isEqualTo("missing_group");
        assertThat(o.detail()).contains(B);
    }

    @Test
    void allowedGroupsOrRolesNeedAnyOneMatch() {
        GroupPolicy p = new GroupPolicy(Set.of(), Set.of(A, B), Set.of("Redis.User"));
        assertThat(p.evaluate(Set.of(B, C), Set.of()).matchedGroups()).containsExactly(B);
        assertThat(p.evaluate(Set.of(), Set.of("Redis.User")).matchedRoles()).containsExactly("Redis.User");
        assertThat(p.evaluate(Set.of(C), Set.of("redis.user")).reason()).isEqualTo("missing_group");
        assertThat(new GroupPolicy(Set.of(), Set.of(), Set.of("Redis.User"))
                        .evaluate(Set.of(A), Set.of())
                        .reason())
                .isEqualTo("missing_role");
    }

    @Test
    void requiredAndAllowedCombine() {
        GroupPolicy p = new GroupPolicy(Set.of(A), Set.of(B), Set.of());
        assertThat(p.evaluate(Set.of(A), Set.of()).admitted()).isFalse();
        assertThat(p.evaluate(Set.of(B), Set.of()).admitted()).isFalse();
        assertThat(p.evaluate(Set.of(A, B), Set.of()).matchedGroups()).containsExactlyInAnyOrder(A, B);
        assertThat(p.groupsOfInterest()).containsExactlyInAnyOrder(A, B);
        assertThat(p.needsGroups()).isTrue();
        assertThat(new GroupPolicy(Set.of(), Set.of(), Set.of("r")).needsGroups())
                .isFalse();
    }

    @Test
    void noRulesAdmitsEveryone() {
        assertThat(new GroupPolicy(Set.of(), Set.of(), Set.of())
                        .evaluate(Set.of(), Set.of())
                        .admitted())
                .isTrue();
    }
}
