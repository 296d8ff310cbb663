//! Huawei Cloud temporary credentials, as the official `huaweicloudsdkcore` obtains them:
//!
//! * [`Federation`]: an OIDC ID token (the projected ServiceAccount token named by
//!   `HUAWEICLOUD_SDK_ID_TOKEN_FILE`) is exchanged at IAM for an unscoped token
//!   (`POST /v3.0/OS-AUTH/id-token/tokens`, header `X-Idp-Id` = `HUAWEICLOUD_SDK_IDP_ID`; the
//!   token comes back in `X-Subject-Token`), and that token for a temporary AK/SK with a
//!   security token (`POST /v3.0/OS-CREDENTIAL/securitytokens`, method `token`).
//! * [`Agency`]: role chaining — a temporary AK/SK of another account's agency
//!   (`POST /v3.0/OS-CREDENTIAL/securitytokens`, method `assume_role`), signed with the
//!   credentials of a base source.
//! * [`EcsMetadata`]: the ECS metadata service's security key (`GET
//!   /openstack/latest/securitykey`, with a session token from `PUT /meta-data/latest/api/token`).
//!
//! IAM answers `{"credential": {"access", "secret", "securitytoken", "expires_at"}}`.

use std::path::PathBuf;

use async_trait::async_trait;
use jiff::Timestamp;
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::{error, sign};
use crate::cloud::auth::AccessKey;
use crate::cloud::http::{Clock, HttpConfig, RawResponse, default_clock};
use crate::cloud::identity::{Caller, CredentialSource, KeySource, Temporary, read_token_file};
use crate::cloud::ratelimit::RateLimiters;
use crate::cloud::sign::RequestToSign;
use crate::cloud::{Cloud, CloudError, Operation};

const CLOUD: Cloud = Cloud::Huawei;
const OP: Operation = Operation::Credentials;
/// The default (global) IAM endpoint.
pub const DEFAULT_IAM_ENDPOINT: &str = "https://iam.myhuaweicloud.com";
/// The ECS metadata service.
pub const DEFAULT_METADATA_ENDPOINT: &str = "http://169.254.169.254";
/// What IAM grants when not told otherwise is 15 minutes; the SDK asks for 6 hours.
pub const DEFAULT_DURATION_SECONDS: u32 = 6 * 60 * 60;

const ID_TOKEN_PATH: &str = "/v3.0/OS-AUTH/id-token/tokens";
const SECURITY_TOKENS_PATH: &str = "/v3.0/OS-CREDENTIAL/securitytokens";
const CONTENT_TYPE: &str = "application/json;charset=UTF-8";

#[derive(Deserialize)]
struct IamCredential {
    access: String,
    secret: String,
    securitytoken: String,
    expires_at: String,
}

#[derive(Deserialize)]
struct IamAnswer {
    credential: Option<IamCredential>,
}

fn decode_fail(status: u16, detail: impl Into<String>) -> CloudError {
    CloudError::Decode {
        cloud: CLOUD,
        operation: OP,
        status,
        detail: detail.into(),
    }
}

fn temporary(response: &RawResponse) -> Result<Temporary, CloudError> {
    let answer: IamAnswer = serde_json::from_slice(&response.body)
        .map_err(|_| decode_fail(response.status, "the answer is not the credential JSON"))?;
    let c = answer
        .credential
        .ok_or_else(|| decode_fail(response.status, "the answer has no credential"))?;
    let expires_at: Timestamp = c
        .expires_at
        .parse()
        .map_err(|_| decode_fail(response.status, "the credential's expires_at is not a time"))?;
    if c.access.is_empty() || c.secret.is_empty() || c.securitytoken.is_empty() {
        return Err(decode_fail(response.status, "the credential is incomplete"));
    }
    Ok(Temporary {
        key: AccessKey::new(c.access, c.secret).with_security_token(c.securitytoken),
        expires_at,
    })
}

fn json_headers() -> Vec<(&'static str, String)> {
    vec![("Content-Type", CONTENT_TYPE.to_owned())]
}

/// OIDC federation: ID token → unscoped IAM token → temporary AK/SK.
pub struct Federation {
    caller: Caller,
    idp_id: String,
    token_file: PathBuf,
    duration_seconds: u32,
}

impl std::fmt::Debug for Federation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Federation")
            .field("idp_id", &self.idp_id)
            .field("token_file", &self.token_file)
            .finish_non_exhaustive()
    }
}

impl Federation {
    /// A source exchanging the ID token in `token_file` at the IAM `endpoint` for identity
    /// provider `idp_id`.
    pub fn new(
        endpoint: &str,
        idp_id: String,
        token_file: PathBuf,
        duration_seconds: u32,
        account: &str,
        http: &HttpConfig,
        limiters: &RateLimiters,
    ) -> Result<Self, CloudError> {
        Ok(Federation {
            caller: Caller::new(CLOUD, endpoint, account, http, limiters, error::parse)?,
            idp_id,
            token_file,
            duration_seconds,
        })
    }
}

#[async_trait]
impl CredentialSource for Federation {
    async fn fetch(&self) -> Result<Temporary, CloudError> {
        let id_token = read_token_file(CLOUD, &self.token_file).await?;
        let body = serde_json::to_vec(&json!({"auth": {"id_token": {"id": id_token}}}))
            .expect("a JSON value serialises");
        let response = self
            .caller
            .send(Method::POST, &body, || {
                let mut headers = json_headers();
                headers.push(("X-Idp-Id", self.idp_id.clone()));
                Ok((ID_TOKEN_PATH.to_owned(), headers))
            })
            .await?;
        let token = response
            .header("x-subject-token")
            .map(str::to_owned)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| decode_fail(response.status, "the answer has no X-Subject-Token"))?;
        let body = serde_json::to_vec(&json!({"auth": {"identity": {
            "methods": ["token"],
            "token": {"id": token, "duration_seconds": self.duration_seconds}
        }}}))
        .expect("a JSON value serialises");
        let response = self
            .caller
            .send(Method::POST, &body, || {
                Ok((SECURITY_TOKENS_PATH.to_owned(), json_headers()))
            })
            .await?;
        temporary(&response)
    }

    fn describe(&self) -> String {
        format!("identity provider {} through OIDC federation", self.idp_id)
    }

    fn kind(&self) -> &'static str {
        "oidc"
    }
}

/// Role chaining: a temporary AK/SK of an agency, signed with the base source's credentials.
pub struct Agency {
    caller: Caller,
    base: KeySource,
    domain_name: String,
    agency_name: String,
    duration_seconds: u32,
    clock: Clock,
}

impl std::fmt::Debug for Agency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agency")
            .field("domain_name", &self.domain_name)
            .field("agency_name", &self.agency_name)
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl Agency {
    /// A source assuming agency `agency_name` of account `domain_name` with `base`'s
    /// credentials.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        endpoint: &str,
        base: KeySource,
        domain_name: String,
        agency_name: String,
        duration_seconds: u32,
        account: &str,
        http: &HttpConfig,
        limiters: &RateLimiters,
    ) -> Result<Self, CloudError> {
        Ok(Agency {
            caller: Caller::new(CLOUD, endpoint, account, http, limiters, error::parse)?,
            base,
            domain_name,
            agency_name,
            duration_seconds,
            clock: default_clock(),
        })
    }
}

#[async_trait]
impl CredentialSource for Agency {
    async fn fetch(&self) -> Result<Temporary, CloudError> {
        use secrecy::ExposeSecret;
        let base = self.base.key(OP).await?;
        let body = serde_json::to_vec(&json!({"auth": {"identity": {
            "methods": ["assume_role"],
            "assume_role": {
                "domain_name": self.domain_name,
                "agency_name": self.agency_name,
                "duration_seconds": self.duration_seconds,
            }
        }}}))
        .expect("a JSON value serialises");
        let response = self
            .caller
            .send(Method::POST, &body, || {
                let mut headers = json_headers();
                if let Some(token) = &base.security_token {
                    headers.push(("X-Security-Token", token.expose_secret().to_owned()));
                }
                // The caller adds the Host header; it is signed too.
                let host = self.caller.endpoint.host.as_str();
                let to_sign: Vec<(&str, &str)> = std::iter::once(("Host", host))
                    .chain(headers.iter().map(|(n, v)| (*n, v.as_str())))
                    .collect();
                let request = RequestToSign {
                    method: "POST",
                    path: SECURITY_TOKENS_PATH,
                    query: &[],
                    headers: &to_sign,
                    body: &body,
                };
                let added = sign::signing_headers(&request, &base.id, &base.secret, (self.clock)())
                    .map_err(|source| CloudError::Sign {
                        cloud: CLOUD,
                        operation: OP,
                        source,
                    })?;
                headers.extend(added);
                Ok((SECURITY_TOKENS_PATH.to_owned(), headers))
            })
            .await?;
        temporary(&response)
    }

    fn describe(&self) -> String {
        format!(
            "agency {} of account {} assumed by role chaining",
            self.agency_name, self.domain_name
        )
    }

    fn kind(&self) -> &'static str {
        "assume_role"
    }
}

/// The ECS instance's agency credentials, from the metadata service.
pub struct EcsMetadata {
    caller: Caller,
}

impl std::fmt::Debug for EcsMetadata {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EcsMetadata")
            .field("endpoint", &self.caller.endpoint.base)
            .finish()
    }
}

impl EcsMetadata {
    /// A source reading the security key from the metadata service at `endpoint`.
    pub fn new(
        endpoint: &str,
        account: &str,
        http: &HttpConfig,
        limiters: &RateLimiters,
    ) -> Result<Self, CloudError> {
        Ok(EcsMetadata {
            caller: Caller::new(CLOUD, endpoint, account, http, limiters, error::parse)?,
        })
    }
}

#[async_trait]
impl CredentialSource for EcsMetadata {
    async fn fetch(&self) -> Result<Temporary, CloudError> {
        let response = self
            .caller
            .send(Method::PUT, &[], || {
                Ok((
                    "/meta-data/latest/api/token".to_owned(),
                    vec![("X-Metadata-Token-Ttl-Seconds", "21600".to_owned())],
                ))
            })
            .await?;
        let token = String::from_utf8_lossy(&response.body).trim().to_owned();
        let response = self
            .caller
            .send(Method::GET, &[], || {
                Ok((
                    "/openstack/latest/securitykey".to_owned(),
                    vec![("X-Metadata-Token", token.clone())],
                ))
            })
            .await?;
        temporary(&response)
    }

    fn describe(&self) -> String {
        "the ECS instance's agency".to_owned()
    }

    fn kind(&self) -> &'static str {
        "metadata"
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn iam_answers_become_temporary_credentials() {
        let response = RawResponse {
            status: 201,
            headers: vec![],
            body: br#"{"credential":{"access":"AK","secret":"SK","securitytoken":"ST","expires_at":"2026-12-02T02:56:19.587000Z"}}"#.to_vec(),
        };
        let t = temporary(&response).unwrap();
        assert_eq!(t.key.id, "AK");
        assert_eq!(t.key.secret.expose_secret(), "SK");
        assert_eq!(t.key.security_token.unwrap().expose_secret(), "ST");
        assert_eq!(t.expires_at.to_string(), "2026-12-02T02:56:19.587Z");
        for bad in [
            &br#"{"credential":{"access":"","secret":"SK","securitytoken":"ST","expires_at":"2026-12-02T02:56:19Z"}}"#[..],
            br#"{"credential":{"access":"AK","secret":"SK","securitytoken":"ST","expires_at":"soon"}}"#,
            br#"{"token":{}}"#,
        ] {
            let response = RawResponse {
                status: 201,
                headers: vec![],
                body: bad.to_vec(),
            };
            let err = temporary(&response).unwrap_err();
            assert!(matches!(err, CloudError::Decode { .. }), "{err}");
            assert!(!err.to_string().contains("SK"), "{err}");
        }
    }
}
