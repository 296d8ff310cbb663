//! Cloud API errors: the shared [`ApiError`] and the [`ErrorKind`] every failure is classified
//! into, which the controller's error policy acts on, plus the helpers both clouds' parsers use.
//! Each cloud's own error bodies and codes are read in its folder
//! ([`crate::cloud::huawei::error`], [`crate::cloud::alibaba::error`]).

use std::fmt;
use std::time::Duration;

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
pub(crate) const MAX_MESSAGE: usize = 512;

pub(crate) fn clip(mut s: String) -> String {
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
pub(crate) fn header<'a>(headers: &'a [(&str, &str)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

/// `Retry-After` in seconds (the HTTP-date form is not used by either cloud).
pub(crate) fn retry_after_seconds(headers: &[(&str, &str)]) -> Option<Duration> {
    header(headers, "retry-after")
        .and_then(|v| v.parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// A short description of a body that is not the cloud's error JSON.
pub(crate) fn describe_unreadable(body: &[u8]) -> String {
    if body.is_empty() {
        "empty error body".to_string()
    } else {
        format!("unreadable error body ({} bytes)", body.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
