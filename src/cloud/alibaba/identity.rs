//! Alibaba Cloud temporary credentials, as the official `alibabacloud-credentials` library
//! obtains them:
//!
//! * [`OidcRole`] (RRSA): STS `AssumeRoleWithOIDC` with the projected ServiceAccount token ACK
//!   mounts (`ALIBABA_CLOUD_ROLE_ARN`, `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`,
//!   `ALIBABA_CLOUD_OIDC_TOKEN_FILE`); the call is not signed, the token is the proof.
//! * [`AssumeRole`]: STS `AssumeRole` signed (RPC style, HMAC-SHA1) with other credentials —
//!   role chaining, with an optional `ExternalId`.
//! * [`EcsRamRole`]: the ECS instance metadata service (`100.100.100.200`), in its hardened
//!   mode (a session token from `PUT /latest/api/token` on every read).
//!
//! STS answers `{"Credentials": {"AccessKeyId", "AccessKeySecret", "SecurityToken",
//! "Expiration"}}` and errors as `{"Code", "Message", "RequestId"}`, classified by
//! [`super::error::parse`].

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use reqwest::Method;
use secrecy::ExposeSecret;
use serde::Deserialize;
use sha1::Sha1;

use super::error;
use crate::cloud::auth::AccessKey;
use crate::cloud::http::{Clock, HttpConfig, RawResponse, default_clock};
use crate::cloud::identity::{Caller, CredentialSource, KeySource, Temporary, read_token_file};
use crate::cloud::ratelimit::RateLimiters;
use crate::cloud::sign::uri_encode;
use crate::cloud::{Cloud, CloudError, Operation};

const CLOUD: Cloud = Cloud::Alibaba;
const OP: Operation = Operation::Credentials;
/// The STS API version.
pub const STS_VERSION: &str = "2015-04-01";
/// The default STS endpoint.
pub const DEFAULT_STS_ENDPOINT: &str = "https://sts.aliyuncs.com";
/// The ECS metadata service.
pub const DEFAULT_METADATA_ENDPOINT: &str = "http://100.100.100.200";
/// What the credentials library asks for when it is not told: one hour.
pub const DEFAULT_DURATION_SECONDS: u32 = 3600;

/// The RPC-style signature (`SignatureMethod=HMAC-SHA1`, `SignatureVersion=1.0`) of a request
/// with these parameters (without `Signature`): base64 of HMAC-SHA1 keyed with `secret + "&"`
/// over `METHOD&%2F&` + the percent-encoded canonical query (parameters sorted by name, names
/// and values percent-encoded per RFC 3986).
pub fn rpc_signature(method: &str, params: &[(&str, &str)], secret: &str) -> String {
    let mut sorted: Vec<&(&str, &str)> = params.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let canonical = sorted
        .iter()
        .map(|(k, v)| format!("{}={}", uri_encode(k.as_bytes()), uri_encode(v.as_bytes())))
        .collect::<Vec<_>>()
        .join("&");
    let string_to_sign = format!("{method}&%2F&{}", uri_encode(canonical.as_bytes()));
    let mut mac = Hmac::<Sha1>::new_from_slice(format!("{secret}&").as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The query string of an RPC request, percent-encoded per RFC 3986 in the given order.
fn query_string(params: &[(&str, &str)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", uri_encode(k.as_bytes()), uri_encode(v.as_bytes())))
        .collect::<Vec<_>>()
        .join("&")
}

/// `2026-12-02T01:02:03Z`, as the RPC APIs take `Timestamp`.
fn rpc_timestamp(now: Timestamp) -> String {
    now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StsCredentials {
    access_key_id: String,
    access_key_secret: String,
    security_token: String,
    expiration: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StsAnswer {
    credentials: Option<StsCredentials>,
}

fn decode_fail(status: u16, detail: impl Into<String>) -> CloudError {
    CloudError::Decode {
        cloud: CLOUD,
        operation: OP,
        status,
        detail: detail.into(),
    }
}

fn temporary(c: StsCredentials, status: u16) -> Result<Temporary, CloudError> {
    let expires_at: Timestamp = c
        .expiration
        .parse()
        .map_err(|_| decode_fail(status, "the credentials' Expiration is not a timestamp"))?;
    if c.access_key_id.is_empty() || c.access_key_secret.is_empty() || c.security_token.is_empty() {
        return Err(decode_fail(status, "the credentials are incomplete"));
    }
    Ok(Temporary {
        key: AccessKey::new(c.access_key_id, c.access_key_secret)
            .with_security_token(c.security_token),
        expires_at,
    })
}

fn sts_temporary(response: &RawResponse) -> Result<Temporary, CloudError> {
    let answer: StsAnswer = serde_json::from_slice(&response.body)
        .map_err(|_| decode_fail(response.status, "the STS answer is not JSON"))?;
    let creds = answer
        .credentials
        .ok_or_else(|| decode_fail(response.status, "the STS answer has no Credentials"))?;
    temporary(creds, response.status)
}

/// RRSA: `AssumeRoleWithOIDC` with a projected ServiceAccount token.
pub struct OidcRole {
    caller: Caller,
    role_arn: String,
    provider_arn: String,
    token_file: PathBuf,
    session_name: String,
    duration_seconds: u32,
    clock: Clock,
}

impl std::fmt::Debug for OidcRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcRole")
            .field("role_arn", &self.role_arn)
            .field("provider_arn", &self.provider_arn)
            .field("token_file", &self.token_file)
            .finish_non_exhaustive()
    }
}

/// What [`OidcRole`] needs.
#[derive(Clone, Debug)]
pub struct OidcRoleConfig {
    /// The STS endpoint (`https://sts.aliyuncs.com` or a regional one).
    pub sts_endpoint: String,
    /// The RAM role to assume.
    pub role_arn: String,
    /// The RAM OIDC provider trusted by the role.
    pub provider_arn: String,
    /// The file holding the ServiceAccount token (re-read on every fetch: the kubelet rotates it).
    pub token_file: PathBuf,
    /// `RoleSessionName` (shows in the cloud's audit log).
    pub session_name: String,
    /// Lifetime asked for.
    pub duration_seconds: u32,
}

impl OidcRole {
    /// A source for `config`, with its own rate budget named after `account`.
    pub fn new(
        config: OidcRoleConfig,
        account: &str,
        http: &HttpConfig,
        limiters: &RateLimiters,
    ) -> Result<Self, CloudError> {
        Ok(OidcRole {
            caller: Caller::new(
                CLOUD,
                &config.sts_endpoint,
                account,
                http,
                limiters,
                error::parse,
            )?,
            role_arn: config.role_arn,
            provider_arn: config.provider_arn,
            token_file: config.token_file,
            session_name: config.session_name,
            duration_seconds: config.duration_seconds,
            clock: default_clock(),
        })
    }
}

#[async_trait]
impl CredentialSource for OidcRole {
    async fn fetch(&self) -> Result<Temporary, CloudError> {
        let token = read_token_file(CLOUD, &self.token_file).await?;
        let duration = self.duration_seconds.to_string();
        let timestamp = rpc_timestamp((self.clock)());
        let params = [
            ("Action", "AssumeRoleWithOIDC"),
            ("Format", "JSON"),
            ("Version", STS_VERSION),
            ("DurationSeconds", duration.as_str()),
            ("RoleArn", self.role_arn.as_str()),
            ("OIDCProviderArn", self.provider_arn.as_str()),
            ("OIDCToken", token.as_str()),
            ("RoleSessionName", self.session_name.as_str()),
            ("Timestamp", timestamp.as_str()),
        ];
        let path = format!("/?{}", query_string(&params));
        let response = self
            .caller
            .send(Method::GET, &[], || {
                Ok((path.clone(), vec![("accept", "application/json".into())]))
            })
            .await?;
        sts_temporary(&response)
    }

    fn describe(&self) -> String {
        format!("RAM role {} through OIDC (RRSA)", self.role_arn)
    }

    fn kind(&self) -> &'static str {
        "oidc"
    }
}

/// Role chaining: `AssumeRole` signed with the credentials of `base`.
pub struct AssumeRole {
    caller: Caller,
    base: KeySource,
    role_arn: String,
    external_id: Option<String>,
    session_name: String,
    duration_seconds: u32,
    clock: Clock,
}

impl std::fmt::Debug for AssumeRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssumeRole")
            .field("role_arn", &self.role_arn)
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// What [`AssumeRole`] needs.
#[derive(Clone, Debug)]
pub struct AssumeRoleConfig {
    /// The STS endpoint.
    pub sts_endpoint: String,
    /// The RAM role to assume.
    pub role_arn: String,
    /// The `ExternalId` the role's trust policy requires, if any.
    pub external_id: Option<String>,
    /// `RoleSessionName`.
    pub session_name: String,
    /// Lifetime asked for.
    pub duration_seconds: u32,
}

impl AssumeRole {
    /// A source assuming `config.role_arn` with the credentials of `base`.
    pub fn new(
        config: AssumeRoleConfig,
        base: KeySource,
        account: &str,
        http: &HttpConfig,
        limiters: &RateLimiters,
    ) -> Result<Self, CloudError> {
        Ok(AssumeRole {
            caller: Caller::new(
                CLOUD,
                &config.sts_endpoint,
                account,
                http,
                limiters,
                error::parse,
            )?,
            base,
            role_arn: config.role_arn,
            external_id: config.external_id,
            session_name: config.session_name,
            duration_seconds: config.duration_seconds,
            clock: default_clock(),
        })
    }
}

#[async_trait]
impl CredentialSource for AssumeRole {
    async fn fetch(&self) -> Result<Temporary, CloudError> {
        let base = self.base.key(OP).await?;
        let duration = self.duration_seconds.to_string();
        let response = self
            .caller
            .send(Method::GET, &[], || {
                // A new nonce and timestamp for every attempt.
                let timestamp = rpc_timestamp((self.clock)());
                let nonce = format!("{:032x}", fastrand::u128(..));
                let mut params: Vec<(&str, &str)> = vec![
                    ("Action", "AssumeRole"),
                    ("Format", "JSON"),
                    ("Version", STS_VERSION),
                    ("DurationSeconds", duration.as_str()),
                    ("RoleArn", self.role_arn.as_str()),
                    ("RoleSessionName", self.session_name.as_str()),
                    ("SignatureMethod", "HMAC-SHA1"),
                    ("SignatureVersion", "1.0"),
                    ("Timestamp", timestamp.as_str()),
                    ("SignatureNonce", nonce.as_str()),
                    ("AccessKeyId", base.id.as_str()),
                ];
                if let Some(id) = &self.external_id {
                    params.push(("ExternalId", id.as_str()));
                }
                if let Some(token) = &base.security_token {
                    params.push(("SecurityToken", token.expose_secret()));
                }
                let signature = rpc_signature("GET", &params, base.secret.expose_secret());
                params.push(("Signature", signature.as_str()));
                Ok((
                    format!("/?{}", query_string(&params)),
                    vec![("accept", "application/json".into())],
                ))
            })
            .await?;
        sts_temporary(&response)
    }

    fn describe(&self) -> String {
        format!("RAM role {} assumed by role chaining", self.role_arn)
    }

    fn kind(&self) -> &'static str {
        "assume_role"
    }
}

/// The ECS instance's RAM role, from the metadata service.
pub struct EcsRamRole {
    caller: Caller,
    role_name: Option<String>,
}

impl std::fmt::Debug for EcsRamRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EcsRamRole")
            .field("endpoint", &self.caller.endpoint.base)
            .field("role_name", &self.role_name)
            .finish()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MetadataCredentials {
    code: Option<String>,
    #[serde(flatten)]
    credentials: StsCredentials,
}

impl EcsRamRole {
    /// A source reading `role_name` (or the instance's only role) from the metadata service at
    /// `endpoint`.
    pub fn new(
        endpoint: &str,
        role_name: Option<String>,
        account: &str,
        http: &HttpConfig,
        limiters: &RateLimiters,
    ) -> Result<Self, CloudError> {
        Ok(EcsRamRole {
            caller: Caller::new(CLOUD, endpoint, account, http, limiters, error::parse)?,
            role_name,
        })
    }

    async fn get(&self, path: &str, token: &str) -> Result<RawResponse, CloudError> {
        self.caller
            .send(Method::GET, &[], || {
                Ok((
                    path.to_owned(),
                    vec![("x-aliyun-ecs-metadata-token", token.to_owned())],
                ))
            })
            .await
    }
}

const METADATA_ROLES: &str = "/latest/meta-data/ram/security-credentials/";

#[async_trait]
impl CredentialSource for EcsRamRole {
    async fn fetch(&self) -> Result<Temporary, CloudError> {
        let response = self
            .caller
            .send(Method::PUT, &[], || {
                Ok((
                    "/latest/api/token".to_owned(),
                    vec![("x-aliyun-ecs-metadata-token-ttl-seconds", "21600".into())],
                ))
            })
            .await?;
        let token = String::from_utf8_lossy(&response.body).trim().to_owned();
        let role = match &self.role_name {
            Some(role) => role.clone(),
            None => {
                let listing = self.get(METADATA_ROLES, &token).await?;
                let text = String::from_utf8_lossy(&listing.body);
                let mut roles = text.lines().map(str::trim).filter(|l| !l.is_empty());
                match (roles.next(), roles.next()) {
                    (Some(role), None) => role.to_owned(),
                    _ => {
                        return Err(CloudError::InvalidInput {
                            cloud: CLOUD,
                            operation: OP,
                            detail: "the instance has no RAM role, or more than one: name it in the CloudAccount (source.instanceMetadata.roleName)".into(),
                        });
                    }
                }
            }
        };
        let response = self
            .get(
                &format!("{METADATA_ROLES}{}", uri_encode(role.as_bytes())),
                &token,
            )
            .await?;
        let answer: MetadataCredentials = serde_json::from_slice(&response.body).map_err(|_| {
            decode_fail(
                response.status,
                "the metadata answer is not the credentials JSON",
            )
        })?;
        if answer.code.as_deref().is_some_and(|c| c != "Success") {
            return Err(decode_fail(
                response.status,
                "the metadata service did not answer Success",
            ));
        }
        temporary(answer.credentials, response.status)
    }

    fn describe(&self) -> String {
        match &self.role_name {
            Some(role) => format!("the ECS instance's RAM role {role}"),
            None => "the ECS instance's RAM role".to_owned(),
        }
    }

    fn kind(&self) -> &'static str {
        "metadata"
    }
}

/// A shared handle to a source (for [`crate::cloud::identity::Refreshing`]).
pub fn shared(source: impl CredentialSource + 'static) -> Arc<dyn CredentialSource> {
    Arc::new(source)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of Alibaba Cloud's RPC signature documentation ("Request signatures",
    /// `DescribeRegions` with `testid`/`testsecret`), which `alibabacloud-credentials`
    /// (`parameter_helper.compose_string_to_sign` + `sign_string`) reproduces.
    #[test]
    fn rpc_signature_matches_the_documented_example() {
        let params = [
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("Format", "XML"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("SignatureVersion", "1.0"),
            ("Timestamp", "2016-02-23T12:46:24Z"),
            ("Version", "2014-05-26"),
        ];
        assert_eq!(
            rpc_signature("GET", &params, "testsecret"),
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
        );
    }

    #[test]
    fn rpc_signature_sorts_parameters_and_encodes_per_rfc3986() {
        let a = rpc_signature("GET", &[("B", "x y"), ("A", "a*~")], "k");
        let b = rpc_signature("GET", &[("A", "a*~"), ("B", "x y")], "k");
        assert_eq!(a, b);
        assert_ne!(a, rpc_signature("GET", &[("A", "a*~"), ("B", "x+y")], "k"));
        assert_ne!(a, rpc_signature("POST", &[("A", "a*~"), ("B", "x y")], "k"));
    }

    #[test]
    fn sts_answers_become_temporary_credentials() {
        let body = br#"{"RequestId":"R","AssumedRoleUser":{"Arn":"acs:ram::1:role/r/s","AssumedRoleId":"3:s"},
            "Credentials":{"AccessKeyId":"STS.K","AccessKeySecret":"S","SecurityToken":"T","Expiration":"2026-12-02T03:00:00Z"}}"#;
        let response = RawResponse {
            status: 200,
            headers: vec![],
            body: body.to_vec(),
        };
        let t = sts_temporary(&response).unwrap();
        assert_eq!(t.key.id, "STS.K");
        assert_eq!(t.key.secret.expose_secret(), "S");
        assert_eq!(t.key.security_token.unwrap().expose_secret(), "T");
        assert_eq!(t.expires_at.to_string(), "2026-12-02T03:00:00Z");
        let broken = RawResponse {
            status: 200,
            headers: vec![],
            body: br#"{"Credentials":{"AccessKeyId":"","AccessKeySecret":"S","SecurityToken":"T","Expiration":"2026-12-02T03:00:00Z"}}"#.to_vec(),
        };
        let err = sts_temporary(&broken).unwrap_err();
        assert!(matches!(err, CloudError::Decode { .. }), "{err}");
    }
}
