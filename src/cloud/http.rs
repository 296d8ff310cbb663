//! The HTTP layer both clients share: timeouts on every call, retries only for idempotent calls
//! (never a create POST), equal-jitter exponential backoff with an injectable random source,
//! Retry-After / x-acs-retry-after honoured, and the per-account rate limiter in front of every
//! attempt.
//!
//! Nothing here logs a header: the debug events carry the cloud, operation, attempt, HTTP status
//! and the cloud's request ID only.

use std::sync::Arc;
use std::time::Duration;

use tracing::Instrument;

use jiff::Timestamp;
use reqwest::Method;
use reqwest::header::{HeaderName, HeaderValue};

use super::ratelimit::TokenBucket;
use super::{ApiError, Cloud, CloudError, ErrorKind, Operation, TransportFailure};

/// A random source returning values in `[0, 1)`, for backoff jitter (inject a fixed one in tests).
pub type RandomSource = Arc<dyn Fn() -> f64 + Send + Sync>;

/// A clock for request signing (inject a fixed one in tests).
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// The default random source (`fastrand`).
pub fn default_random() -> RandomSource {
    Arc::new(fastrand::f64)
}

/// The default clock (the system clock).
pub fn default_clock() -> Clock {
    Arc::new(Timestamp::now)
}

/// Timeouts and retries of a client.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpConfig {
    /// Longest wait for a connection (TCP + TLS).
    pub connect_timeout: Duration,
    /// Longest time for one attempt, from sending to the last byte of the answer.
    pub timeout: Duration,
    /// Retries of idempotent calls.
    pub retry: RetryPolicy,
}

impl Default for HttpConfig {
    /// 5 s to connect, 30 s per attempt (the SDKs' documented defaults), [`RetryPolicy::default`].
    fn default() -> Self {
        HttpConfig {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
        }
    }
}

/// Retries of idempotent calls (GET, PUT, DELETE) on throttling and transient failures.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, including the first (1 = no retries).
    pub max_attempts: u32,
    /// The backoff before the first retry (before jitter).
    pub base_delay: Duration,
    /// The largest backoff (before jitter).
    pub max_delay: Duration,
    /// A Retry-After longer than this is not waited for inside the client: the error is returned
    /// so the controller can requeue instead of holding a worker.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts, 200 ms doubling up to 5 s, Retry-After honoured up to 30 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The "equal jitter" backoff before retry number `retry` (1 = the first retry):
    /// `d = min(max_delay, base_delay * 2^(retry-1))`, then `d/2 + random * d/2`.
    pub fn backoff(&self, retry: u32, random: f64) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << retry.saturating_sub(1).min(20));
        let capped = exp.min(self.max_delay);
        let half = capped / 2;
        half + half.mul_f64(random.clamp(0.0, 1.0))
    }

    /// The wait before retry number `retry`, or `None` when the cloud asked for a longer wait
    /// than [`max_retry_after`](Self::max_retry_after). With a Retry-After the wait is at least
    /// that long.
    pub fn delay(
        &self,
        retry: u32,
        random: f64,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        let backoff = self.backoff(retry, random);
        match retry_after {
            Some(after) if after > self.max_retry_after => None,
            Some(after) => Some(after.max(backoff)),
            None => Some(backoff),
        }
    }
}

/// A base URL: `scheme://authority`, and the authority for the `Host` header (and signing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Endpoint {
    pub(crate) base: String,
    pub(crate) host: String,
}

/// Parses an endpoint override as the Huawei SDK does: one that starts with `http` keeps its
/// scheme, anything else gets `https://`. No path, query, fragment or user info.
pub(crate) fn parse_endpoint(cloud: Cloud, raw: &str) -> Result<Endpoint, CloudError> {
    let invalid = |detail: String| CloudError::InvalidInput {
        cloud,
        operation: Operation::Configure,
        detail,
    };
    let with_scheme = if raw.starts_with("http://") || raw.starts_with("https://") {
        raw.to_owned()
    } else {
        format!("https://{raw}")
    };
    let url = reqwest::Url::parse(&with_scheme)
        .map_err(|e| invalid(format!("endpoint {raw:?} is not a URL: {e}")))?;
    let host = url
        .host_str()
        .ok_or_else(|| invalid(format!("endpoint {raw:?} has no host")))?;
    if !url.username().is_empty()
        || url.password().is_some()
        || url.query().is_some()
        || url.fragment().is_some()
        || url.path() != "/"
    {
        return Err(invalid(format!(
            "endpoint {raw:?} must be scheme://host[:port] with no path, query or user info"
        )));
    }
    let host = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    Ok(Endpoint {
        base: format!("{}://{host}", url.scheme()),
        host,
    })
}

/// Checks a region ID before it goes into a host name: lowercase letters, digits and `-`.
pub(crate) fn check_region(cloud: Cloud, region: &str) -> Result<(), CloudError> {
    let ok = !region.is_empty()
        && region.len() <= 63
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(CloudError::InvalidInput {
            cloud,
            operation: Operation::Configure,
            detail: format!(
                "region {region:?} is not a region ID (lowercase letters, digits, '-')"
            ),
        })
    }
}

/// The largest cloud answer read; node-pool answers are a few KiB each, a list of
/// thousands of pools a few MiB.
pub(crate) const MAX_BODY: usize = 32 << 20;

/// One attempt's request, fully built and signed.
pub(crate) struct Prepared {
    pub(crate) method: Method,
    pub(crate) url: String,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: Vec<u8>,
}

/// A header value; credential-bearing ones are marked sensitive (hyper never logs them).
pub(crate) fn header_value(
    cloud: Cloud,
    operation: Operation,
    name: &str,
    value: &str,
) -> Result<(HeaderName, HeaderValue), CloudError> {
    let invalid = || CloudError::InvalidInput {
        cloud,
        operation,
        // Never the value: it may be a credential.
        detail: format!("header {name} would have an invalid value"),
    };
    let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
    let mut header_value = HeaderValue::from_str(value).map_err(|_| invalid())?;
    if super::sign::is_sensitive_header(name) || name.eq_ignore_ascii_case("x-auth-token") {
        header_value.set_sensitive(true);
    }
    Ok((header_name, header_value))
}

/// A success answer.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl RawResponse {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Parses an error answer of one cloud (`huawei::error::parse` / `alibaba::error::parse`).
pub(crate) type ErrorParser = fn(u16, &[(&str, &str)], &[u8]) -> ApiError;

/// The shared sender of one client.
pub(crate) struct Transport {
    client: reqwest::Client,
    cloud: Cloud,
    retry: RetryPolicy,
    random: RandomSource,
    limiter: Arc<TokenBucket>,
    parse_error: ErrorParser,
}

impl Transport {
    pub(crate) fn new(
        cloud: Cloud,
        config: &HttpConfig,
        limiter: Arc<TokenBucket>,
        parse_error: ErrorParser,
    ) -> Result<Self, CloudError> {
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .user_agent(super::USER_AGENT)
            // Redirects would re-send a signed request elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| CloudError::InvalidInput {
                cloud,
                operation: Operation::Configure,
                detail: format!("cannot build the HTTP client: {}", error_chain(&e)),
            })?;
        Ok(Transport {
            client,
            cloud,
            retry: config.retry.clone(),
            random: default_random(),
            limiter,
            parse_error,
        })
    }

    pub(crate) fn set_random(&mut self, random: RandomSource) {
        self.random = random;
    }

    /// Sends a request built (and signed) afresh by `build` for each attempt. Only `idempotent`
    /// calls are retried, and only on [`ErrorKind::Throttled`] / [`ErrorKind::Transient`].
    pub(crate) async fn send(
        &self,
        operation: Operation,
        idempotent: bool,
        build: impl Fn() -> Result<Prepared, CloudError>,
    ) -> Result<RawResponse, CloudError> {
        let mut attempt: u32 = 1;
        loop {
            self.limiter.acquire().await;
            let prepared = build()?;
            // One span per attempt, a child of the reconcile's span: what a user debugging a
            // NodePool needs to find the call at the cloud (operation, attempt, HTTP status,
            // outcome, the cloud's request ID). No URL and no header is recorded.
            let span = tracing::info_span!(
                "cloud_call",
                cloud = self.cloud.label(),
                operation = operation.label(),
                attempt,
                status = tracing::field::Empty,
                outcome = tracing::field::Empty,
                request_id = tracing::field::Empty,
            );
            let result = self
                .send_once(operation, prepared, attempt)
                .instrument(span.clone())
                .await;
            match &result {
                Ok(response) => {
                    span.record("status", response.status);
                    span.record("outcome", "ok");
                    let id = response
                        .header("x-request-id")
                        .or_else(|| response.header("x-acs-request-id"));
                    if let Some(id) = id {
                        span.record("request_id", id);
                    }
                }
                Err(err) => {
                    if let Some(api) = err.api_error() {
                        span.record("status", api.status);
                    }
                    span.record("outcome", err.reason());
                    if let Some(id) = err.request_id() {
                        span.record("request_id", id);
                    }
                }
            }
            span.in_scope(|| tracing::debug!("cloud call"));
            let err = match result {
                Ok(response) => return Ok(response),
                Err(err) => err,
            };
            if err.kind() == ErrorKind::Throttled {
                // Every caller of the account slows down, not only this one.
                self.limiter.throttled(err.retry_after());
            }
            let retryable = matches!(err.kind(), ErrorKind::Throttled | ErrorKind::Transient);
            if !idempotent || !retryable || attempt >= self.retry.max_attempts {
                return Err(err);
            }
            let Some(delay) = self
                .retry
                .delay(attempt, (self.random)(), err.retry_after())
            else {
                return Err(err);
            };
            tracing::debug!(
                cloud = self.cloud.label(),
                operation = operation.label(),
                attempt,
                delay_ms = delay.as_millis() as u64,
                reason = err.reason(),
                "retrying cloud call"
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    async fn send_once(
        &self,
        operation: Operation,
        prepared: Prepared,
        attempt: u32,
    ) -> Result<RawResponse, CloudError> {
        let cloud = self.cloud;
        let mut request = self.client.request(prepared.method, &prepared.url);
        for (name, value) in prepared.headers {
            request = request.header(name, value);
        }
        if !prepared.body.is_empty() {
            request = request.body(prepared.body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| transport_error(cloud, operation, e))?;
        let status = response.status().as_u16();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        // Read at most MAX_BODY bytes: a cloud answer larger than that is refused, never
        // buffered whole.
        let mut response = response;
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| transport_error(cloud, operation, e))?
        {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(CloudError::Decode {
                    cloud,
                    operation,
                    status,
                    detail: format!("the answer is larger than {} MiB", MAX_BODY >> 20),
                });
            }
            body.extend_from_slice(&chunk);
        }
        if (300..400).contains(&status) {
            // Redirects are not followed (a signed request is never re-sent elsewhere), and no
            // node-pool call answers with one.
            return Err(CloudError::Decode {
                cloud,
                operation,
                status,
                detail: "unexpected redirect".to_owned(),
            });
        }
        if status >= 400 {
            let pairs: Vec<(&str, &str)> = headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            let source = (self.parse_error)(status, &pairs, &body);
            tracing::debug!(
                cloud = cloud.label(),
                operation = operation.label(),
                attempt,
                status,
                request_id = source.request_id.as_deref().unwrap_or(""),
                kind = ?source.kind,
                "cloud call failed"
            );
            return Err(CloudError::Api {
                cloud,
                operation,
                source,
            });
        }
        let response = RawResponse {
            status,
            headers,
            body,
        };
        tracing::debug!(
            cloud = cloud.label(),
            operation = operation.label(),
            attempt,
            status,
            request_id = response
                .header("x-request-id")
                .or_else(|| response.header("x-acs-request-id"))
                .unwrap_or(""),
            "cloud call answered"
        );
        Ok(response)
    }
}

/// A reqwest error's message and causes, without the URL.
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

fn transport_error(cloud: Cloud, operation: Operation, err: reqwest::Error) -> CloudError {
    let failure = if err.is_timeout() {
        TransportFailure::Timeout
    } else if err.is_connect() {
        TransportFailure::Connect
    } else {
        TransportFailure::Io
    };
    // The URL holds no secret, but keep the message short and uniform.
    let err = err.without_url();
    let mut detail = error_chain(&err);
    if failure == TransportFailure::Timeout && !detail.contains("timed out") {
        detail.push_str(" (timed out)");
    }
    CloudError::Transport {
        cloud,
        operation,
        failure,
        detail,
    }
}

/// Decodes a success body as JSON of type `T`: a clear [`CloudError::Decode`] for an empty,
/// truncated or non-JSON body, or a declared content type that is not JSON.
pub(crate) fn decode_json<T: serde::de::DeserializeOwned>(
    cloud: Cloud,
    operation: Operation,
    response: &RawResponse,
) -> Result<T, CloudError> {
    let fail = |detail: String| CloudError::Decode {
        cloud,
        operation,
        status: response.status,
        detail,
    };
    if let Some(content_type) = response.header("content-type") {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if !(essence == "application/json" || essence.ends_with("+json")) {
            return Err(fail(format!(
                "content type {essence:?} is not JSON ({} bytes)",
                response.body.len()
            )));
        }
    }
    if response.body.iter().all(u8::is_ascii_whitespace) {
        return Err(fail("the body is empty".to_owned()));
    }
    serde_json::from_slice(&response.body).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Eof => "the body is truncated JSON",
            serde_json::error::Category::Syntax => "the body is not JSON",
            serde_json::error::Category::Data => "the JSON does not have the expected shape",
            serde_json::error::Category::Io => "the body could not be read",
        };
        fail(format!("{what} ({} bytes): {e}", response.body.len()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_equal_jitter_and_capped() {
        let policy = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(300),
            max_retry_after: Duration::from_secs(2),
        };
        assert_eq!(policy.backoff(1, 0.0), Duration::from_millis(50));
        assert_eq!(policy.backoff(1, 1.0), Duration::from_millis(100));
        assert_eq!(policy.backoff(2, 0.5), Duration::from_millis(150));
        // 400 ms capped at 300 ms.
        assert_eq!(policy.backoff(3, 0.0), Duration::from_millis(150));
        assert_eq!(policy.backoff(30, 1.0), Duration::from_millis(300));
        // Retry-After is a floor, and a too-long one is not waited for.
        assert_eq!(
            policy.delay(1, 0.0, Some(Duration::from_secs(1))),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            policy.delay(2, 1.0, Some(Duration::from_millis(10))),
            Some(Duration::from_millis(200))
        );
        assert_eq!(policy.delay(1, 0.0, Some(Duration::from_secs(3))), None);
    }

    #[test]
    fn endpoints_parse_like_the_sdk() {
        let ep = parse_endpoint(Cloud::Huawei, "http://127.0.0.1:8080").unwrap();
        assert_eq!(ep.base, "http://127.0.0.1:8080");
        assert_eq!(ep.host, "127.0.0.1:8080");
        let ep = parse_endpoint(Cloud::Huawei, "cce.cn-north-4.myhuaweicloud.com").unwrap();
        assert_eq!(ep.base, "https://cce.cn-north-4.myhuaweicloud.com");
        assert_eq!(ep.host, "cce.cn-north-4.myhuaweicloud.com");
        let ep = parse_endpoint(Cloud::Alibaba, "https://cs.cn-hangzhou.aliyuncs.com/").unwrap();
        assert_eq!(ep.host, "cs.cn-hangzhou.aliyuncs.com");
        for bad in [
            "http://h/path",
            "http://u:p@h",
            "http://h?x=1",
            "http://",
            "http://h:notaport",
        ] {
            let err = parse_endpoint(Cloud::Huawei, bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Invalid, "{bad}");
        }
        assert!(check_region(Cloud::Alibaba, "cn-hangzhou").is_ok());
        for bad in ["", "cn-hangzhou.evil.com", "CN", "a/b"] {
            assert!(check_region(Cloud::Alibaba, bad).is_err(), "{bad}");
        }
    }

    fn response(content_type: Option<&str>, body: &[u8]) -> RawResponse {
        RawResponse {
            status: 200,
            headers: content_type
                .map(|c| vec![("Content-Type".to_owned(), c.to_owned())])
                .unwrap_or_default(),
            body: body.to_vec(),
        }
    }

    #[test]
    fn decode_errors_are_clear() {
        let decode = |r: &RawResponse| {
            decode_json::<serde_json::Value>(Cloud::Huawei, Operation::Get, r)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            decode(&response(Some("application/json"), b"")),
            "reading a node pool at Huawei Cloud CCE: the HTTP 200 answer could not be read: the body is empty"
        );
        assert!(
            decode(&response(Some("application/json"), br#"{"kind":"No"#))
                .contains("the body is truncated JSON (11 bytes)")
        );
        assert!(decode(&response(None, b"<html>")).contains("the body is not JSON (6 bytes)"));
        assert!(
            decode(&response(Some("text/html; charset=utf-8"), b"{}"))
                .contains("content type \"text/html\" is not JSON (2 bytes)")
        );
        let ok: serde_json::Value = decode_json(
            Cloud::Huawei,
            Operation::Get,
            &response(Some("application/json;charset=UTF-8"), b"{\"a\":1}"),
        )
        .unwrap();
        assert_eq!(ok, serde_json::json!({"a": 1}));
    }
}
