package io.github.redisentra.spring;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Turns a {@link RedisEntraConfigurationException} deep in a bean-creation chain into Boot's short failure report. */
class RedisEntraFailureAnalyzer extends AbstractFailureAnalyzer<RedisEntraConfigurationException> {
    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, RedisEntraConfigurationException cause) {
        return new FailureAnalysis(cause.problem(), cause.action(), cause);
    }
}
