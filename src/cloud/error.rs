//! Cloud API errors: the clouds' error bodies parsed, and every failure
//! classified into one [`ErrorKind`] that the controller's error policy acts on.
//!
//! * Huawei CCE answers `{"error_code": "...", "error_msg": "..."}` (sometimes
//!   `{"errorCode", "errorMessage", "message"}`), with the request ID in the
//!   `X-Request-Id` header; its API gateway throttles with HTTP 429 and
//!   `APIG.0308`.
//! * Alibaba ACK answers `{"code": "...", "message": "...", "requestId": "..."}`
//!   (`Code`/`Message`/`RequestId` on some gateways); throttling is
//!   `Throttling*` codes, usually HTTP 429, and `x-acs-retry-after` (milliseconds).

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

/// The two clouds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cloud {
    /// Huawei Cloud CCE (API v3).
    Huawei,
    /// Alibaba Cloud ACK (Container Service API 2015-12-15).
    Alibaba,
}

impl Cloud {
    /// A bounded label: `huawei` or `alibaba`.
    pub fn label(self) -> &'static str {
        match self {
            Cloud::Huawei => "huawei",
            Cloud::Alibaba => "alibaba",
        }
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Cloud::Huawei => "Huawei Cloud CCE",
            Cloud::Alibaba => "Alibaba Cloud ACK",
        })
    }
}

/// What a failure means for the caller; the controller's error policy acts on this.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The cloud rate-limited the account: retry after the hinted delay, and slow down.
    Throttled,
    /// A passing fault (5xx, connection error, timeout): retry with backoff.
    Transient,
    /// The pool (or its cluster) does not exist.
    NotFound,
    /// The request conflicts with the pool's current state (e.g. a name in use, an
    /// operation already running): retry later, the state will move on.
    Conflict,
    /// The cloud refused the request as invalid: retrying will not help until the spec changes.
    Invalid,
    /// The credentials were refused: retrying will not help until the Secret changes.
    Auth,
    /// Out of quota or resources (sold out): retrying may help once capacity returns.
    Quota,
}

impl ErrorKind {
    /// Whether retrying the same request later can succeed without a change by the user.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::Throttled | ErrorKind::Transient | ErrorKind::Conflict | ErrorKind::Quota
        )
    }

    /// A bounded PascalCase reason, for conditions, Events and metric labels.
    pub fn reason(self) -> &'static str {
        match self {
            ErrorKind::Throttled => "CloudThrottled",
            ErrorKind::Transient => "CloudUnavailable",
            ErrorKind::NotFound => "CloudNotFound",
            ErrorKind::Conflict => "CloudConflict",
            ErrorKind::Invalid => "CloudRejectedSpec",
            ErrorKind::Auth => "CloudAuthFailed",
            ErrorKind::Quota => "CloudQuotaExceeded",
        }
    }
}

/// An error answer from a cloud API: HTTP status, the cloud's code and message, its request ID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// Which cloud answered.
    pub cloud: Cloud,
    /// HTTP status code.
    pub status: u16,
    /// The cloud's error code (`CCE.01404001`, `APIG.0308`, `ErrorClusterNotFound`, ...), if any.
    pub code: Option<String>,
    /// The cloud's error message (or a short description of an unreadable body).
    pub message: String,
    /// The cloud's request ID, for support tickets.
    pub request_id: Option<String>,
    /// How long the cloud asked the caller to wait (Retry-After / x-acs-retry-after).
    pub retry_after: Option<Duration>,
    /// The classification of this answer.
    pub kind: ErrorKind,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} answered HTTP {}", self.cloud, self.status)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request ID {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// The longest error message kept from a cloud answer; the rest is cut.
const MAX_MESSAGE: usize = 512;

fn clip(mut s: String) -> String {
    if s.len() > MAX_MESSAGE {
        let mut end = MAX_MESSAGE;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
    s
}

/// Looks up a header by name, case-insensitively.
fn header<'a>(headers: &'a [(&str, &str)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

/// `Retry-After` in seconds (the HTTP-date form is not used by either cloud).
fn retry_after_seconds(headers: &[(&str, &str)]) -> Option<Duration> {
    header(headers, "retry-after")
        .and_then(|v| v.parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// A short description of a body that is not the cloud's error JSON.
fn describe_unreadable(body: &[u8]) -> String {
    if body.is_empty() {
        "empty error body".to_string()
    } else {
        format!("unreadable error body ({} bytes)", body.len())
    }
}

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
pub fn parse_huawei(status: u16, headers: &[(&str, &str)], body: &[u8]) -> ApiError {
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
    let kind = classify_huawei(status, code.as_deref(), &message);
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
pub fn classify_huawei(status: u16, code: Option<&str>, message: &str) -> ErrorKind {
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

#[derive(Deserialize, Default)]
struct AlibabaErrorBody {
    #[serde(alias = "Code")]
    code: Option<String>,
    #[serde(alias = "Message")]
    message: Option<String>,
    #[serde(alias = "RequestId")]
    #[serde(rename = "requestId")]
    request_id: Option<String>,
}

/// Parses an ACK (or Alibaba API gateway) error answer. Never fails.
pub fn parse_alibaba(status: u16, headers: &[(&str, &str)], body: &[u8]) -> ApiError {
    let parsed: Option<AlibabaErrorBody> = serde_json::from_slice(body).ok();
    let (code, message, request_id) = match parsed {
        Some(b) => (
            b.code.filter(|c| !c.is_empty()),
            b.message.unwrap_or_else(|| describe_unreadable(body)),
            b.request_id,
        ),
        None => (None, describe_unreadable(body), None),
    };
    // x-acs-retry-after is in milliseconds; the official SDK raises a throttling error for any
    // positive value.
    let acs_retry = header(headers, "x-acs-retry-after")
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|ms| *ms > 0)
        .map(Duration::from_millis);
    let kind = if acs_retry.is_some() {
        ErrorKind::Throttled
    } else {
        classify_alibaba(status, code.as_deref(), &message)
    };
    ApiError {
        cloud: Cloud::Alibaba,
        status,
        code,
        message: clip(message),
        request_id: request_id.or_else(|| header(headers, "x-acs-request-id").map(str::to_string)),
        retry_after: acs_retry.or_else(|| retry_after_seconds(headers)),
        kind,
    }
}

/// Classifies an ACK answer by HTTP status, error code and message.
pub fn classify_alibaba(status: u16, code: Option<&str>, message: &str) -> ErrorKind {
    let code = code.unwrap_or("");
    let lower_code = code.to_ascii_lowercase();
    if status == 429 || code.starts_with("Throttling") {
        return ErrorKind::Throttled;
    }
    if lower_code.contains("quota")
        || lower_code.contains("nostock")
        || code.contains("SoldOut")
        || message.to_ascii_lowercase().contains("no stock")
    {
        return ErrorKind::Quota;
    }
    if code.starts_with("InvalidAccessKeyId")
        || code.starts_with("SignatureDoesNotMatch")
        || code.starts_with("InvalidSecurityToken")
        || code == "IncompleteSignature"
        || code.starts_with("Forbidden")
        || code == "NoPermission"
        || code == "ErrorRamPolicyConfig"
    {
        return ErrorKind::Auth;
    }
    match status {
        401 | 403 => ErrorKind::Auth,
        404 => ErrorKind::NotFound,
        _ if code.ends_with("NotFound") || code.contains("NotFound.") => ErrorKind::NotFound,
        409 => ErrorKind::Conflict,
        500..=599 => ErrorKind::Transient,
        _ => ErrorKind::Invalid,
    }
}

#[cfg(test)]
mod tests {
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
            let e = parse_huawei(c.status, &c.headers, c.body.as_bytes());
            assert_eq!(e.code.as_deref(), c.code, "{}", c.body);
            assert_eq!(e.message, c.message, "{}", c.body);
            assert_eq!(e.kind, c.kind, "{}", c.body);
            assert_eq!(e.cloud, Cloud::Huawei);
        }
        let e = parse_huawei(
            429,
            &[("X-Request-Id", "req-1"), ("Retry-After", "3")],
            b"{}",
        );
        assert_eq!(e.request_id.as_deref(), Some("req-1"));
        assert_eq!(e.retry_after, Some(Duration::from_secs(3)));
    }

    /// HTTP status, headers, body, expected code, expected kind.
    type AlibabaCase = (
        u16,
        &'static [(&'static str, &'static str)],
        &'static str,
        Option<&'static str>,
        ErrorKind,
    );

    #[test]
    fn alibaba_error_bodies_are_parsed_and_classified() {
        let cases: [AlibabaCase; 10] = [
            (
                429,
                &[],
                r#"{"code":"Throttling.User","message":"Request was denied due to user flow control.","requestId":"R1"}"#,
                Some("Throttling.User"),
                ErrorKind::Throttled,
            ),
            (
                400,
                &[("x-acs-retry-after", "1500")],
                r#"{"code":"Throttling.Api","message":"busy","requestId":"R2"}"#,
                Some("Throttling.Api"),
                ErrorKind::Throttled,
            ),
            (
                404,
                &[],
                r#"{"code":"ErrorClusterNotFound","message":"cluster not found","requestId":"R3"}"#,
                Some("ErrorClusterNotFound"),
                ErrorKind::NotFound,
            ),
            (
                400,
                &[],
                r#"{"code":"ErrorNodePoolNotFound","message":"nodepool not found"}"#,
                Some("ErrorNodePoolNotFound"),
                ErrorKind::NotFound,
            ),
            (
                400,
                &[],
                r#"{"Code":"InvalidAccessKeyId.NotFound","Message":"Specified access key is not found.","RequestId":"R5"}"#,
                Some("InvalidAccessKeyId.NotFound"),
                ErrorKind::Auth,
            ),
            (
                400,
                &[],
                r#"{"code":"SignatureDoesNotMatch","message":"signature mismatch"}"#,
                Some("SignatureDoesNotMatch"),
                ErrorKind::Auth,
            ),
            (
                400,
                &[],
                r#"{"code":"QuotaExceeded.Nodes","message":"too many nodes"}"#,
                Some("QuotaExceeded.Nodes"),
                ErrorKind::Quota,
            ),
            (
                409,
                &[],
                r#"{"code":"ErrorNodePoolStateConflict","message":"node pool is updating"}"#,
                Some("ErrorNodePoolStateConflict"),
                ErrorKind::Conflict,
            ),
            (
                400,
                &[],
                r#"{"code":"ErrorCheckNodePool","message":"instance_types is required"}"#,
                Some("ErrorCheckNodePool"),
                ErrorKind::Invalid,
            ),
            (500, &[], "not json", None, ErrorKind::Transient),
        ];
        for (status, headers, body, code, kind) in cases {
            let e = parse_alibaba(status, headers, body.as_bytes());
            assert_eq!(e.code.as_deref(), code, "{body}");
            assert_eq!(e.kind, kind, "{body}");
        }
        let e = parse_alibaba(
            400,
            &[("x-acs-retry-after", "1500")],
            br#"{"code":"Throttling.Api","message":"busy","requestId":"R2"}"#,
        );
        assert_eq!(e.retry_after, Some(Duration::from_millis(1500)));
        assert_eq!(e.request_id.as_deref(), Some("R2"));
        assert_eq!(
            e.to_string(),
            "Alibaba Cloud ACK answered HTTP 400 Throttling.Api: busy (request ID R2)"
        );
    }

    #[test]
    fn retryable_kinds() {
        for (kind, retry) in [
            (ErrorKind::Throttled, true),
            (ErrorKind::Transient, true),
            (ErrorKind::Conflict, true),
            (ErrorKind::Quota, true),
            (ErrorKind::NotFound, false),
            (ErrorKind::Invalid, false),
            (ErrorKind::Auth, false),
        ] {
            assert_eq!(kind.is_retryable(), retry, "{kind:?}");
        }
    }

    #[test]
    fn long_messages_are_clipped_on_a_char_boundary() {
        let body = format!(r#"{{"code":"X","message":"{}"}}"#, "é".repeat(600));
        let e = parse_alibaba(400, &[], body.as_bytes());
        assert!(e.message.len() <= MAX_MESSAGE + '…'.len_utf8());
        assert!(e.message.ends_with('…'));
    }
}
