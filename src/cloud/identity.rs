//! Temporary credentials from the clouds' identity services (Alibaba STS and ECS metadata,
//! Huawei IAM and ECS metadata), cached and refreshed before they expire.
//!
//! A [`CredentialSource`] fetches one set of temporary credentials; [`Refreshing`] keeps the
//! current set and fetches the next one when a third of its lifetime is left (at most 15
//! minutes before expiry), so no cloud call is ever made with credentials about to expire. One
//! fetch runs at a time (callers wait for it instead of fetching again); a failed refresh while
//! the current credentials are still valid keeps them and tries again later, never in a loop.
//!
//! [`KeySource`] is what a client signs with: a fixed key, or a [`Refreshing`] one. Clients and
//! rate budgets are keyed by the account ([`KeySource::account`]), never by the short-lived key.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};

use super::auth::AccessKey;
use super::http::Clock;
use super::{Cloud, CloudError, ErrorKind, Operation};

/// One set of temporary credentials and when they expire.
#[derive(Clone, Debug)]
pub struct Temporary {
    /// The key pair with its security token.
    pub key: AccessKey,
    /// When the identity service said they expire.
    pub expires_at: Timestamp,
}

/// Where temporary credentials come from (an STS role, an IAM federation, a metadata service).
#[async_trait]
pub trait CredentialSource: Send + Sync + fmt::Debug {
    /// Fetches a fresh set. Errors are the identity service's answers (or transport failures),
    /// classified like node-pool errors.
    async fn fetch(&self) -> Result<Temporary, CloudError>;

    /// What the credentials are for, for logs and conditions: a role ARN, an agency, an
    /// instance role. Never a secret.
    fn describe(&self) -> String;

    /// A bounded label of the kind of source, for metrics (`oidc`, `assume_role`, `metadata`).
    fn kind(&self) -> &'static str;
}

/// The earliest a failed refresh is tried again, and the latest: between them, half of what is
/// left of the current credentials' life.
const MIN_RETRY: Duration = Duration::from_secs(1);
const MAX_RETRY: Duration = Duration::from_secs(60);
/// At most this long before expiry a refresh is due, whatever the lifetime.
const MAX_MARGIN: Duration = Duration::from_secs(15 * 60);

/// When a set fetched at `fetched_at` and expiring at `expires_at` is due for a refresh: when a
/// third of its lifetime is left (at most [`MAX_MARGIN`] before expiry).
pub fn refresh_due(fetched_at: Timestamp, expires_at: Timestamp) -> Timestamp {
    let lifetime = expires_at.duration_since(fetched_at);
    if lifetime <= SignedDuration::ZERO {
        return fetched_at;
    }
    let margin = (lifetime / 3).min(SignedDuration::try_from(MAX_MARGIN).unwrap_or(lifetime));
    expires_at - margin
}

/// What [`Refreshing`] holds between calls.
#[derive(Debug, Default)]
struct State {
    current: Option<Temporary>,
    /// When the current set is due for a refresh.
    due: Option<Timestamp>,
    /// After a failed refresh: no new attempt before this.
    retry_after: Option<Timestamp>,
    /// The last failure, returned while no new attempt is made and nothing valid is held.
    last_error: Option<Arc<CloudError>>,
}

/// Temporary credentials, refreshed before they expire.
pub struct Refreshing {
    cloud: Cloud,
    source: Arc<dyn CredentialSource>,
    account: String,
    clock: Clock,
    state: tokio::sync::Mutex<State>,
    on_fetch: Option<Arc<dyn Fn(&'static str, &'static str) + Send + Sync>>,
}

impl fmt::Debug for Refreshing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Refreshing")
            .field("account", &self.account)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl Refreshing {
    /// Credentials of `source`, for rate budgets and client caches named `account` (e.g. the
    /// CloudAccount they belong to).
    pub fn new(
        cloud: Cloud,
        source: Arc<dyn CredentialSource>,
        account: impl Into<String>,
        clock: Clock,
    ) -> Self {
        Refreshing {
            cloud,
            source,
            account: account.into(),
            clock,
            state: tokio::sync::Mutex::new(State::default()),
            on_fetch: None,
        }
    }

    /// Calls `hook(kind, outcome)` after every fetch (`outcome` is `ok` or an error reason):
    /// the metrics hook.
    pub fn with_fetch_hook(
        mut self,
        hook: Arc<dyn Fn(&'static str, &'static str) + Send + Sync>,
    ) -> Self {
        self.on_fetch = Some(hook);
        self
    }

    /// The account the credentials are for.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// What the credentials are for (never a secret).
    pub fn describe(&self) -> String {
        self.source.describe()
    }

    /// Valid credentials: the current ones while they are not due for a refresh, else fresh
    /// ones. A failed refresh keeps the current ones while they are valid (and tries again after
    /// a pause); with nothing valid held, the failure is returned (as
    /// [`CloudError::Credentials`]) and no new fetch is made before the pause is over.
    pub async fn key(&self, operation: Operation) -> Result<AccessKey, CloudError> {
        let mut state = self.state.lock().await;
        let now = (self.clock)();
        let valid = |s: &State| {
            s.current
                .as_ref()
                .filter(|t| t.expires_at > now)
                .map(|t| t.key.clone())
        };
        if state.due.is_some_and(|due| now < due)
            && let Some(key) = valid(&state)
        {
            return Ok(key);
        }
        if state.retry_after.is_some_and(|at| now < at) {
            if let Some(key) = valid(&state) {
                return Ok(key);
            }
            if let Some(err) = &state.last_error {
                return Err(self.wrap(operation, err));
            }
        }
        let result = self.source.fetch().await;
        if let Some(hook) = &self.on_fetch {
            hook(
                self.source.kind(),
                match &result {
                    Ok(_) => "ok",
                    Err(e) => e.reason(),
                },
            );
        }
        match result {
            Ok(fresh) => {
                let fetched_at = (self.clock)();
                state.due = Some(refresh_due(fetched_at, fresh.expires_at));
                state.retry_after = None;
                state.last_error = None;
                let key = fresh.key.clone();
                state.current = Some(fresh);
                Ok(key)
            }
            Err(err) => {
                let now = (self.clock)();
                let left = state
                    .current
                    .as_ref()
                    .map(|t| t.expires_at.duration_since(now))
                    .and_then(|d| Duration::try_from(d).ok())
                    .unwrap_or_default();
                let pause = (left / 2).clamp(MIN_RETRY, MAX_RETRY);
                state.retry_after = Some(now + pause);
                let err = Arc::new(err);
                state.last_error = Some(err.clone());
                if let Some(key) = valid(&state) {
                    tracing::warn!(
                        cloud = self.cloud.label(),
                        account = %self.account,
                        reason = err.reason(),
                        retry_in_ms = pause.as_millis() as u64,
                        "refreshing credentials failed; the current ones are still valid"
                    );
                    return Ok(key);
                }
                Err(self.wrap(operation, &err))
            }
        }
    }

    fn wrap(&self, operation: Operation, err: &Arc<CloudError>) -> CloudError {
        CloudError::Credentials {
            cloud: self.cloud,
            operation,
            source: err.clone(),
        }
    }
}

/// What a client signs with: a fixed key (from a Secret), or temporary credentials refreshed
/// from an identity service.
#[derive(Clone, Debug)]
pub enum KeySource {
    /// A key pair (long-lived, or temporary with its security token) that does not change.
    Static(AccessKey),
    /// Temporary credentials, refreshed before they expire.
    Refreshing(Arc<Refreshing>),
}

impl KeySource {
    /// The key to sign the next request with.
    pub async fn key(&self, operation: Operation) -> Result<AccessKey, CloudError> {
        match self {
            KeySource::Static(key) => Ok(key.clone()),
            KeySource::Refreshing(r) => r.key(operation).await,
        }
    }

    /// The account, for rate budgets: the key ID of a fixed key, the account name of
    /// refreshing ones (never the short-lived key ID).
    pub fn account(&self) -> String {
        match self {
            KeySource::Static(key) => key.id.clone(),
            KeySource::Refreshing(r) => r.account().to_owned(),
        }
    }
}

/// Reads a token file (trimmed); its content is never part of an error.
pub(crate) async fn read_token_file(
    cloud: Cloud,
    path: &std::path::Path,
) -> Result<String, CloudError> {
    let text = tokio::fs::read_to_string(path)
        .await
        .map_err(|e| CloudError::InvalidInput {
            cloud,
            operation: Operation::Credentials,
            detail: format!(
                "cannot read the token file {}: {}",
                path.display(),
                e.kind()
            ),
        })?;
    let token = text.trim().to_owned();
    if token.is_empty() {
        return Err(CloudError::InvalidInput {
            cloud,
            operation: Operation::Credentials,
            detail: format!("the token file {} is empty", path.display()),
        });
    }
    Ok(token)
}

/// The HTTP side of an identity source: a transport with its own rate budget (per account and
/// identity endpoint), and the endpoint. Both clouds' sources send through it.
pub(crate) struct Caller {
    cloud: Cloud,
    transport: super::http::Transport,
    pub(crate) endpoint: super::http::Endpoint,
}

impl Caller {
    /// A caller of `endpoint` for `account`, whose errors `parse_error` reads.
    pub(crate) fn new(
        cloud: Cloud,
        endpoint: &str,
        account: &str,
        http: &super::http::HttpConfig,
        limiters: &super::ratelimit::RateLimiters,
        parse_error: super::http::ErrorParser,
    ) -> Result<Self, CloudError> {
        let endpoint = super::http::parse_endpoint(cloud, endpoint)?;
        let bucket = limiters.bucket(super::ratelimit::LimiterKey {
            cloud,
            account: format!("identity:{account}"),
            region: endpoint.host.clone(),
        });
        Ok(Caller {
            cloud,
            transport: super::http::Transport::new(cloud, http, bucket, parse_error)?,
            endpoint,
        })
    }

    /// Sends one request (retried on throttling and passing faults), with the `Host` header and
    /// the path and headers `build` makes for each attempt (a signature needs a fresh date and
    /// nonce).
    pub(crate) async fn send(
        &self,
        method: reqwest::Method,
        body: &[u8],
        build: impl Fn() -> Result<(String, Vec<(&'static str, String)>), CloudError>,
    ) -> Result<super::http::RawResponse, CloudError> {
        let op = Operation::Credentials;
        self.transport
            .send(op, true, || {
                let (path_and_query, headers) = build()?;
                let mut all = vec![("host", self.endpoint.host.clone())];
                all.extend(headers);
                let headers = all
                    .iter()
                    .map(|(n, v)| super::http::header_value(self.cloud, op, n, v))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(super::http::Prepared {
                    method: method.clone(),
                    url: format!("{}{path_and_query}", self.endpoint.base),
                    headers,
                    body: body.to_vec(),
                })
            })
            .await
    }
}

/// How a failure to obtain credentials is classified: refusals by the identity service stop
/// (a role that may not be assumed, a token for the wrong audience: only a fix helps); passing
/// faults and throttling are retried.
pub(crate) fn credentials_kind(source: &CloudError) -> ErrorKind {
    match source.kind() {
        ErrorKind::Throttled => ErrorKind::Throttled,
        ErrorKind::Transient | ErrorKind::Conflict | ErrorKind::Quota => ErrorKind::Transient,
        ErrorKind::Auth | ErrorKind::Invalid | ErrorKind::NotFound => ErrorKind::Auth,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::cloud::ApiError;

    /// A source whose answers the test scripts: each fetch takes the next one.
    #[derive(Debug)]
    struct Scripted {
        answers: Mutex<Vec<Result<i64, ErrorKind>>>,
        fetches: AtomicU32,
        now: Arc<Mutex<Timestamp>>,
    }

    #[async_trait]
    impl CredentialSource for Scripted {
        async fn fetch(&self) -> Result<Temporary, CloudError> {
            let n = self.fetches.fetch_add(1, Ordering::SeqCst);
            let answer = self.answers.lock().unwrap().remove(0);
            match answer {
                Ok(lifetime) => Ok(Temporary {
                    key: AccessKey::new(format!("STS.{n}"), "s").with_security_token("t"),
                    expires_at: *self.now.lock().unwrap() + SignedDuration::from_secs(lifetime),
                }),
                Err(kind) => Err(CloudError::Api {
                    cloud: Cloud::Alibaba,
                    operation: Operation::Credentials,
                    source: ApiError {
                        cloud: Cloud::Alibaba,
                        status: if kind == ErrorKind::Auth { 403 } else { 503 },
                        code: Some("Code".into()),
                        message: "refused".into(),
                        request_id: None,
                        retry_after: None,
                        kind,
                    },
                }),
            }
        }
        fn describe(&self) -> String {
            "role".into()
        }
        fn kind(&self) -> &'static str {
            "oidc"
        }
    }

    fn setup(answers: Vec<Result<i64, ErrorKind>>) -> (Arc<Scripted>, Refreshing) {
        let now = Arc::new(Mutex::new(Timestamp::from_second(1_800_000_000).unwrap()));
        let source = Arc::new(Scripted {
            answers: Mutex::new(answers),
            fetches: AtomicU32::new(0),
            now: now.clone(),
        });
        let clock_now = now.clone();
        let r = Refreshing::new(
            Cloud::Alibaba,
            source.clone(),
            "cloudaccount/a",
            Arc::new(move || *clock_now.lock().unwrap()),
        );
        (source, r)
    }

    fn advance(s: &Scripted, secs: i64) {
        let mut now = s.now.lock().unwrap();
        *now += SignedDuration::from_secs(secs);
    }

    #[test]
    fn refresh_is_due_with_a_third_of_the_lifetime_left_at_most_fifteen_minutes() {
        let t = Timestamp::from_second(1_800_000_000).unwrap();
        let at = |s: i64| t + SignedDuration::from_secs(s);
        assert_eq!(refresh_due(t, at(30)), at(20));
        assert_eq!(refresh_due(t, at(900)), at(600));
        assert_eq!(refresh_due(t, at(3600)), at(2700));
        assert_eq!(refresh_due(t, at(43200)), at(43200 - 900));
        assert_eq!(refresh_due(t, t), t);
    }

    #[tokio::test]
    async fn the_same_key_is_used_until_a_refresh_is_due_then_a_new_one() {
        let (s, r) = setup(vec![Ok(30), Ok(30)]);
        let first = r.key(Operation::Get).await.unwrap();
        advance(&s, 19);
        assert_eq!(r.key(Operation::Get).await.unwrap().id, first.id);
        assert_eq!(s.fetches.load(Ordering::SeqCst), 1);
        advance(&s, 1);
        let second = r.key(Operation::Get).await.unwrap();
        assert_ne!(second.id, first.id);
        assert_eq!(s.fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_failed_refresh_keeps_valid_credentials_and_pauses() {
        let (s, r) = setup(vec![Ok(30), Err(ErrorKind::Transient), Ok(30)]);
        let first = r.key(Operation::Get).await.unwrap();
        advance(&s, 21);
        // Refresh fails; 9 s are left: the current key is kept and no fetch for 4.5 s.
        assert_eq!(r.key(Operation::Get).await.unwrap().id, first.id);
        assert_eq!(r.key(Operation::Get).await.unwrap().id, first.id);
        assert_eq!(s.fetches.load(Ordering::SeqCst), 2);
        advance(&s, 5);
        assert_ne!(r.key(Operation::Get).await.unwrap().id, first.id);
        assert_eq!(s.fetches.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn with_nothing_valid_a_refusal_is_returned_without_refetching() {
        let (s, r) = setup(vec![Err(ErrorKind::Auth), Ok(30)]);
        let err = r.key(Operation::Create).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Auth);
        assert!(err.nothing_made());
        assert_eq!(err.operation(), Operation::Create);
        // The next calls within the pause get the same error without a fetch.
        let again = r.key(Operation::Get).await.unwrap_err();
        assert_eq!(again.reason(), err.reason());
        assert_eq!(s.fetches.load(Ordering::SeqCst), 1);
        advance(&s, 1);
        assert!(r.key(Operation::Get).await.is_ok());
        assert_eq!(s.fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn expired_credentials_are_never_returned() {
        let (s, r) = setup(vec![Ok(30), Err(ErrorKind::Transient)]);
        r.key(Operation::Get).await.unwrap();
        advance(&s, 31);
        let err = r.key(Operation::Get).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Transient);
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_fetch() {
        let (s, r) = setup(vec![Ok(30)]);
        let r = Arc::new(r);
        let calls = (0..8).map(|_| {
            let r = r.clone();
            async move { r.key(Operation::Get).await.unwrap().id }
        });
        let ids = futures::future::join_all(calls).await;
        assert!(ids.iter().all(|id| id == &ids[0]));
        assert_eq!(s.fetches.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn refusals_stop_and_faults_are_retried() {
        assert_eq!(credentials_kind_of(ErrorKind::Invalid), ErrorKind::Auth);
        assert_eq!(credentials_kind_of(ErrorKind::NotFound), ErrorKind::Auth);
        assert_eq!(credentials_kind_of(ErrorKind::Auth), ErrorKind::Auth);
        assert_eq!(
            credentials_kind_of(ErrorKind::Throttled),
            ErrorKind::Throttled
        );
        assert_eq!(
            credentials_kind_of(ErrorKind::Transient),
            ErrorKind::Transient
        );
    }

    fn credentials_kind_of(kind: ErrorKind) -> ErrorKind {
        credentials_kind(&CloudError::Api {
            cloud: Cloud::Huawei,
            operation: Operation::Credentials,
            source: ApiError {
                cloud: Cloud::Huawei,
                status: 400,
                code: None,
                message: String::new(),
                request_id: None,
                retry_after: None,
                kind,
            },
        })
    }
}
