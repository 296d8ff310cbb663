//! ACK error answers, parsed and classified.
//!
//! Alibaba ACK answers `{"code": "...", "message": "...", "requestId": "..."}`
//! (`Code`/`Message`/`RequestId` on some gateways); throttling is
//! `Throttling*` codes, usually HTTP 429, and `x-acs-retry-after` (milliseconds).

use std::time::Duration;

use serde::Deserialize;

use crate::cloud::error::{clip, describe_unreadable, header, retry_after_seconds};
use crate::cloud::{ApiError, Cloud, ErrorKind};

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
pub fn parse(status: u16, headers: &[(&str, &str)], body: &[u8]) -> ApiError {
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
        classify(status, code.as_deref(), &message)
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
pub fn classify(status: u16, code: Option<&str>, message: &str) -> ErrorKind {
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
    use crate::cloud::error::MAX_MESSAGE;

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
            let e = parse(status, headers, body.as_bytes());
            assert_eq!(e.code.as_deref(), code, "{body}");
            assert_eq!(e.kind, kind, "{body}");
        }
        let e = parse(
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
    fn long_messages_are_clipped_on_a_char_boundary() {
        let body = format!(r#"{{"code":"X","message":"{}"}}"#, "é".repeat(600));
        let e = parse(400, &[], body.as_bytes());
        assert!(e.message.len() <= MAX_MESSAGE + '…'.len_utf8());
        assert!(e.message.ends_with('…'));
    }
}
