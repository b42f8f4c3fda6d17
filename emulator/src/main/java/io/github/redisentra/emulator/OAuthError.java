package io.github.redisentra.emulator;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** An OAuth error answered in Entra's JSON shape (error, AADSTS description, error_codes, trace ids). */
final class OAuthError extends Exception {
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'");

    final int status;
    final String error;
    final int code;
    final String description;

    OAuthError(int status, String error, int code, String description) {
        super(error + ": AADSTS" + code + ": " + description, null, false, false);
        this.status = status;
        this.error = error;
        this.code = code;
        this.description = description;
    }

    static OAuthError invalidRequest(int code, String description) {
        return new OAuthError(400, "invalid_request", code, description);
    }

    static OAuthError invalidGrant(int code, String description) {
        return new OAuthError(400, "invalid_grant", code, description);
    }

    static OAuthError invalidClient(int code, String description) {
        return new OAuthError(401, "invalid_client", code, description);
    }

    static OAuthError missing(String parameter) {
        return invalidRequest(900144, "The request body must contain the following parameter: '" + parameter + "'.");
    }

    Map<String, Object> toJson(String correlationId, String errorUriBase) {
        String traceId = UUID.randomUUID().toString();
        String correlation =
                correlationId != null ? correlationId : UUID.randomUUID().toString();
        String timestamp = ZonedDateTime.now(ZoneOffset.UTC).format(TIMESTAMP);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("error", error);
        json.put(
                "error_description",
                "AADSTS" + code + ": " + description + " Trace ID: " + traceId + " Correlation ID: " + correlation
                        + " Timestamp: " + timestamp);
        json.put("error_codes", List.of(code));
        json.put("timestamp", timestamp);
        json.put("trace_id", traceId);
        json.put("correlation_id", correlation);
        json.put("error_uri", errorUriBase + "/error?code=" + code);
        return json;
    }
}
