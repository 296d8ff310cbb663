//! CCE error answers, parsed and classified.
//!
//! Huawei CCE answers `{"error_code": "...", "error_msg": "..."}` (sometimes
//! `{"errorCode", "errorMessage", "message"}`), with the request ID in the
//! `X-Request-Id` header; its API gateway throttles with HTTP 429 and
//! `APIG.0308`.

use serde::Deserialize;

use crate::cloud::error::{clip, describe_unreadable, header, retry_after_seconds};
use crate::cloud::{ApiError, Cloud, ErrorKind};

#[derive(Deserialize, Default)]
struct HuaweiErrorBody {
    #[serde(alias = "errorCode")]
    error_code: Option<String>,
    #[serde(alias = "errorMessage")]
    error_msg: Option<String>,
    message: Option<String>,
}

/// Parses a CCE (or Huawei API gateway) error answer. Never fails: an unreadable
/// body still gives an error classified by its HTTP status.
pub fn parse(status: u16, headers: &[(&str, &str)], body: &[u8]) -> ApiError {
    let parsed: Option<HuaweiErrorBody> = serde_json::from_slice(body).ok();
    let (code, message) = match parsed {
        Some(b) => {
            let message = match (b.error_msg, b.message) {
                (Some(m), Some(extra)) if extra != m => format!("{m}, {extra}"),
                (Some(m), _) => m,
                (None, Some(extra)) => extra,
                (None, None) => describe_unreadable(body),
            };
            (b.error_code.filter(|c| !c.is_empty()), message)
        }
        None => (None, describe_unreadable(body)),
    };
    let kind = classify(status, code.as_deref(), &message);
    ApiError {
        cloud: Cloud::Huawei,
        status,
        code,
        message: clip(message),
        request_id: header(headers, "x-request-id").map(str::to_string),
        retry_after: retry_after_seconds(headers),
        kind,
    }
}

/// Classifies a CCE answer by HTTP status, error code and message.
pub fn classify(status: u16, code: Option<&str>, message: &str) -> ErrorKind {
    let code = code.unwrap_or("");
    let lower = message.to_ascii_lowercase();
    if status == 429 || code == "APIG.0308" {
        return ErrorKind::Throttled;
    }
    if lower.contains("quota") || lower.contains("sold out") || lower.contains("insufficient") {
        return ErrorKind::Quota;
    }
    match status {
        401 | 403 => ErrorKind::Auth,
        // API gateway authentication failures (incorrect IAM credentials, expired tokens).
        _ if code.starts_with("APIG.03") => ErrorKind::Auth,
        404 => ErrorKind::NotFound,
        409 => ErrorKind::Conflict,
        500..=599 => ErrorKind::Transient,
        _ => ErrorKind::Invalid,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn huawei_error_bodies_are_parsed_and_classified() {
        struct Case {
            status: u16,
            headers: Vec<(&'static str, &'static str)>,
            body: &'static str,
            code: Option<&'static str>,
            message: &'static str,
            kind: ErrorKind,
        }
        let cases = [
            Case {
                status: 429,
                headers: vec![("X-Request-Id", "req-1"), ("Retry-After", "3")],
                body: r#"{"error_code":"APIG.0308","error_msg":"The throttling threshold has been reached: policy user over ratelimit,limit:20,time:1 minute"}"#,
                code: Some("APIG.0308"),
                message: "The throttling threshold has been reached: policy user over ratelimit,limit:20,time:1 minute",
                kind: ErrorKind::Throttled,
            },
            Case {
                status: 404,
                headers: vec![("x-request-id", "req-2")],
                body: r#"{"error_code":"CCE.01404001","error_msg":"The resource could not be found."}"#,
                code: Some("CCE.01404001"),
                message: "The resource could not be found.",
                kind: ErrorKind::NotFound,
            },
            Case {
                status: 400,
                headers: vec![],
                body: r#"{"errorCode":"CCE.01400001","errorMessage":"Invalid request.","message":"name is invalid"}"#,
                code: Some("CCE.01400001"),
                message: "Invalid request., name is invalid",
                kind: ErrorKind::Invalid,
            },
            Case {
                status: 401,
                headers: vec![],
                body: r#"{"error_code":"APIG.0301","error_msg":"Incorrect IAM authentication information"}"#,
                code: Some("APIG.0301"),
                message: "Incorrect IAM authentication information",
                kind: ErrorKind::Auth,
            },
            Case {
                status: 409,
                headers: vec![],
                body: r#"{"error_code":"CCE.01409001","error_msg":"The node pool name already exists"}"#,
                code: Some("CCE.01409001"),
                message: "The node pool name already exists",
                kind: ErrorKind::Conflict,
            },
            Case {
                status: 400,
                headers: vec![],
                body: r#"{"error_code":"CCE.01400013","error_msg":"Insufficient ECS quota"}"#,
                code: Some("CCE.01400013"),
                message: "Insufficient ECS quota",
                kind: ErrorKind::Quota,
            },
            Case {
                status: 503,
                headers: vec![],
                body: "<html>Service Unavailable</html>",
                code: None,
                message: "unreadable error body (32 bytes)",
                kind: ErrorKind::Transient,
            },
            Case {
                status: 500,
                headers: vec![],
                body: r#"{"error_code":"CCE.01500"#,
                code: None,
                message: "unreadable error body (24 bytes)",
                kind: ErrorKind::Transient,
            },
            Case {
                status: 502,
                headers: vec![],
                body: "",
                code: None,
                message: "empty error body",
                kind: ErrorKind::Transient,
            },
        ];
        for c in cases {
            let e = parse(c.status, &c.headers, c.body.as_bytes());
            assert_eq!(e.code.as_deref(), c.code, "{}", c.body);
            assert_eq!(e.message, c.message, "{}", c.body);
            assert_eq!(e.kind, c.kind, "{}", c.body);
            assert_eq!(e.cloud, Cloud::Huawei);
        }
        let e = parse(
            429,
            &[("X-Request-Id", "req-1"), ("Retry-After", "3")],
            b"{}",
        );
        assert_eq!(e.request_id.as_deref(), Some("req-1"));
        assert_eq!(e.retry_after, Some(Duration::from_secs(3)));
    }
}
