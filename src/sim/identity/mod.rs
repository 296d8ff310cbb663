//! The clouds' identity services: Alibaba STS ([`alibaba_sts`]), Huawei IAM federation
//! ([`huawei_iam`]) and both ECS metadata services ([`metadata`]), with ID tokens verified
//! against a real OIDC issuer ([`oidc`]).
//!
//! This module holds the configuration (the scenario file's `identity` section), the credentials
//! the simulator has issued (temporary keys, IAM tokens, metadata tokens), revocation, and the
//! routing of identity requests. The node-pool APIs ask it for temporary keys through
//! [`Identity::secret`] and [`Identity::check_temporary`]. The wire contract is in
//! `docs/design.md`, "Identity services in the simulator".

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Mutex;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::Response;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::model::now_ms;
use super::state::{Sim, lock};

pub mod alibaba_sts;
pub mod huawei_iam;
pub mod metadata;
pub mod oidc;

/// The default lifetime of issued credentials, in seconds (STS's default `DurationSeconds`).
pub const DEFAULT_CREDENTIAL_SECONDS: u64 = 3600;

/// How long an expired temporary key is remembered, so that it is refused as expired rather
/// than as unknown.
const REMEMBER_EXPIRED_MS: i64 = 30 * 60 * 1000;

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

/// The scenario file's `identity` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IdentityScenario {
    /// Lifetime of every temporary key and IAM token issued, in seconds (default 3600). A
    /// shorter `DurationSeconds` asked for by the caller is honoured.
    pub credential_seconds: Option<u64>,
    /// The one OIDC issuer trusted (the cluster's ServiceAccount issuer).
    pub oidc: Option<OidcIssuer>,
    /// RAM OIDC providers and roles.
    pub alibaba: AlibabaIdentity,
    /// IAM identity providers and agencies.
    pub huawei: HuaweiIdentity,
    /// What the metadata services say about "the instance".
    pub instance: Instance,
}

/// The trusted OIDC issuer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcIssuer {
    /// The issuer URL (`iss`); discovery is `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    /// PEM CA for the issuer's TLS certificate.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

/// Alibaba RAM: OIDC providers and roles.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlibabaIdentity {
    /// RAM OIDC providers (they all stand for the configured issuer).
    pub oidc_providers: Vec<OidcProvider>,
    /// RAM roles.
    pub roles: Vec<AlibabaRole>,
}

fn default_audiences() -> Vec<String> {
    vec!["sts.aliyuncs.com".to_owned()]
}

/// A RAM OIDC provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcProvider {
    /// `acs:ram::<uid>:oidc-provider/<name>`.
    pub arn: String,
    /// Allowed `aud` values (default `sts.aliyuncs.com`).
    #[serde(default = "default_audiences")]
    pub audiences: Vec<String>,
}

/// A RAM role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlibabaRole {
    /// `acs:ram::<uid>:role/<name>`.
    pub arn: String,
    /// The account whose rate budget and faults apply to the role's temporary keys.
    pub account: String,
    /// The OIDC provider the role trusts (for `AssumeRoleWithOIDC`).
    #[serde(default)]
    pub oidc_provider: Option<String>,
    /// `sub` values allowed to assume the role with an OIDC token.
    #[serde(default)]
    pub oidc_subjects: Vec<String>,
    /// Principals allowed to `AssumeRole` (`account:<AK>`, `role:<ARN>`).
    #[serde(default)]
    pub trusted_principals: Vec<String>,
    /// The `ExternalId` `AssumeRole` must pass, if any.
    #[serde(default)]
    pub external_id: Option<String>,
}

impl AlibabaRole {
    /// The account id in the ARN (`acs:ram::<uid>:role/...`).
    pub fn uid(&self) -> &str {
        self.arn.split(':').nth(3).unwrap_or("")
    }

    /// The role name (the last ARN segment).
    pub fn name(&self) -> &str {
        self.arn.rsplit('/').next().unwrap_or("")
    }
}

/// Huawei IAM: identity providers and agencies.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HuaweiIdentity {
    /// OIDC identity providers.
    pub idps: Vec<HuaweiIdp>,
    /// Agencies.
    pub agencies: Vec<HuaweiAgency>,
}

/// An IAM identity provider of the OIDC kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HuaweiIdp {
    /// The id sent in `X-Idp-Id`.
    pub id: String,
    /// The domain (account) id.
    pub domain_id: String,
    /// The domain name.
    pub domain_name: String,
    /// The required `aud`.
    pub audience: String,
    /// `sub` values mapped to a federated user.
    #[serde(default)]
    pub subjects: Vec<String>,
    /// The account whose rate budget and faults apply to the federated users' keys.
    pub account: String,
}

/// An IAM agency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HuaweiAgency {
    /// The delegating domain's name.
    pub domain_name: String,
    /// The delegating domain's id (optional; then only `domain_name` addresses it).
    #[serde(default)]
    pub domain_id: Option<String>,
    /// The agency name.
    pub name: String,
    /// The account whose rate budget and faults apply to the agency's keys.
    pub account: String,
    /// Principals allowed to assume it (`idp:<ID>`, `account:<AK>`, `agency:<DOMAIN>/<NAME>`).
    #[serde(default)]
    pub trusted_principals: Vec<String>,
}

impl HuaweiAgency {
    /// `DOMAIN/AGENCY`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.domain_name, self.name)
    }
}

/// The "instance" behind the metadata services.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Instance {
    /// ARN of the RAM role attached to the instance.
    pub alibaba_role: Option<String>,
    /// Metadata GETs need a valid `X-aliyun-ecs-metadata-token` (IMDSv2 only).
    pub alibaba_imds_v2_required: bool,
    /// `DOMAIN/AGENCY` of the instance's cloud service agency.
    pub huawei_agency: Option<String>,
    /// `securitykey` needs a valid `X-Metadata-Token`.
    pub huawei_metadata_token_required: bool,
}

impl IdentityScenario {
    /// Checks cross references: roles name known providers, principals name known entries, the
    /// instance names a known role and agency.
    pub fn check(&self) -> Result<(), String> {
        let ali = &self.alibaba;
        for role in &ali.roles {
            if !role.arn.starts_with("acs:ram::") || !role.arn.contains(":role/") {
                return Err(format!(
                    "role {:?} is not acs:ram::<uid>:role/<name>",
                    role.arn
                ));
            }
            if let Some(p) = &role.oidc_provider
                && !ali.oidc_providers.iter().any(|x| &x.arn == p)
            {
                return Err(format!("role {} names unknown OIDC provider {p}", role.arn));
            }
            for p in &role.trusted_principals {
                let known = match p.split_once(':') {
                    Some(("account", _)) => true,
                    Some(("role", arn)) => ali.roles.iter().any(|r| r.arn == arn),
                    _ => false,
                };
                if !known {
                    return Err(format!("role {} trusts unknown principal {p:?}", role.arn));
                }
            }
        }
        let hw = &self.huawei;
        for agency in &hw.agencies {
            for p in &agency.trusted_principals {
                let known = match p.split_once(':') {
                    Some(("account", _)) => true,
                    Some(("idp", id)) => hw.idps.iter().any(|i| i.id == id),
                    Some(("agency", k)) => hw.agencies.iter().any(|a| a.key() == k),
                    _ => false,
                };
                if !known {
                    return Err(format!(
                        "agency {} trusts unknown principal {p:?}",
                        agency.key()
                    ));
                }
            }
        }
        if let Some(arn) = &self.instance.alibaba_role
            && !ali.roles.iter().any(|r| &r.arn == arn)
        {
            return Err(format!("instance role {arn} is not a configured role"));
        }
        if let Some(k) = &self.instance.huawei_agency
            && !hw.agencies.iter().any(|a| &a.key() == k)
        {
            return Err(format!("instance agency {k} is not a configured agency"));
        }
        let uses_oidc = ali.roles.iter().any(|r| r.oidc_provider.is_some()) || !hw.idps.is_empty();
        if uses_oidc && self.oidc.is_none() {
            return Err("OIDC providers/IdPs are configured but no oidc issuer".into());
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Issued credentials
// ---------------------------------------------------------------------------------------------

/// Which cloud a temporary key belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cloud {
    /// Alibaba (STS keys, ECS RAM role keys).
    Alibaba,
    /// Huawei (IAM temporary keys).
    Huawei,
}

/// A temporary key the simulator issued.
#[derive(Clone)]
pub struct TempKey {
    /// Its cloud.
    pub cloud: Cloud,
    /// The secret.
    pub secret: SecretString,
    /// The security token that must accompany it.
    pub token: SecretString,
    /// Expiry, ms since the epoch.
    pub expires_ms: i64,
    /// Who holds it (`role:<ARN>`, `idp:<ID>`, `agency:<DOMAIN>/<NAME>`).
    pub principal: String,
    /// The account it acts as (rate budgets, faults).
    pub account: String,
}

/// An IAM token issued by `POST /v3.0/OS-AUTH/id-token/tokens`.
#[derive(Clone)]
pub struct IamToken {
    /// The IdP that federated the user.
    pub idp: String,
    /// The federated user's name (the ID token's `sub`).
    pub user: String,
    /// The project id it is scoped to, if any.
    pub project: Option<String>,
    /// Expiry, ms since the epoch.
    pub expires_ms: i64,
}

/// Why a temporary key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No security token was sent with it.
    Missing,
    /// The security token is not the key's.
    Mismatch,
    /// The key has expired.
    Expired,
}

/// How a CCE refusal names a refused temporary key ("the security token is ...").
pub fn refusal_word(r: Refusal) -> &'static str {
    match r {
        Refusal::Missing => "missing",
        Refusal::Mismatch => "not the access key's",
        Refusal::Expired => "expired",
    }
}

#[derive(Default)]
struct Issued {
    keys: HashMap<String, TempKey>,
    iam_tokens: HashMap<String, IamToken>,
    metadata_tokens: HashMap<String, i64>,
    sts_nonces: HashMap<String, i64>,
    revoked: BTreeSet<String>,
}

impl Issued {
    fn purge(&mut self, now: i64) {
        self.keys
            .retain(|_, k| k.expires_ms + REMEMBER_EXPIRED_MS > now);
        self.iam_tokens.retain(|_, t| t.expires_ms > now);
        self.metadata_tokens.retain(|_, exp| *exp > now);
        self.sts_nonces.retain(|_, exp| *exp > now);
    }
}

/// The identity services' configuration and what they have issued.
pub struct Identity {
    /// The configuration.
    pub config: IdentityScenario,
    lifetime_ms: i64,
    /// The OIDC verifier, when an issuer is configured.
    pub oidc: Option<oidc::Verifier>,
    issued: Mutex<Issued>,
}

/// Random text from `alphabet`. The simulator's credentials protect nothing, so `fastrand` is
/// enough.
fn random_from(alphabet: &[u8], n: usize) -> String {
    (0..n)
        .map(|_| char::from(alphabet[fastrand::usize(..alphabet.len())]))
        .collect()
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// Compares two secrets without an early exit.
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Identity {
    /// Builds the identity services from the scenario's `identity` section.
    pub fn new(config: IdentityScenario) -> Result<Self, String> {
        config.check()?;
        let oidc = match &config.oidc {
            Some(o) => Some(oidc::Verifier::new(&o.issuer, o.ca_file.as_deref())?),
            None => None,
        };
        let secs = config
            .credential_seconds
            .unwrap_or(DEFAULT_CREDENTIAL_SECONDS)
            .max(1);
        Ok(Self {
            config,
            lifetime_ms: i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX / 4),
            oidc,
            issued: Mutex::new(Issued::default()),
        })
    }

    /// When a credential asked for with `duration_seconds` (if any) issued now expires.
    pub fn expiry(&self, now: i64, duration_seconds: Option<u64>) -> i64 {
        let asked = duration_seconds
            .and_then(|s| i64::try_from(s.saturating_mul(1000)).ok())
            .unwrap_or(i64::MAX / 4);
        // Whole seconds: the answers carry second (Alibaba) or microsecond (Huawei) precision,
        // and the libraries compare what they parsed.
        let at = now + self.lifetime_ms.min(asked);
        at - at.rem_euclid(1000)
    }

    /// Issues a temporary key; returns (access key, the key).
    pub fn issue_key(
        &self,
        cloud: Cloud,
        principal: String,
        account: String,
        expires_ms: i64,
    ) -> (String, TempKey) {
        let (ak, secret, token) = match cloud {
            Cloud::Alibaba => (
                format!("STS.{}", random_from(ALNUM, 24)),
                random_from(ALNUM, 44),
                format!("CAIS{}", random_from(ALNUM, 300)),
            ),
            Cloud::Huawei => (
                random_from(UPPER_ALNUM, 20),
                random_from(ALNUM, 40),
                format!("gQ{}", random_from(ALNUM, 400)),
            ),
        };
        let key = TempKey {
            cloud,
            secret: SecretString::from(secret),
            token: SecretString::from(token),
            expires_ms,
            principal,
            account,
        };
        let now = now_ms();
        let mut issued = lock(&self.issued);
        issued.purge(now);
        issued.keys.insert(ak.clone(), key.clone());
        (ak, key)
    }

    /// The secret of a temporary key of `cloud` (expired ones included, so that the signature
    /// can be checked before the expiry is reported).
    pub fn secret(&self, cloud: Cloud, access_key: &str) -> Option<SecretString> {
        lock(&self.issued)
            .keys
            .get(access_key)
            .filter(|k| k.cloud == cloud)
            .map(|k| k.secret.clone())
    }

    /// For a temporary key: the account it acts as and its principal, or why it is refused.
    /// `None` when `access_key` is not a temporary key.
    pub fn check_temporary(
        &self,
        cloud: Cloud,
        access_key: &str,
        token: Option<&str>,
        now: i64,
    ) -> Option<Result<(String, String), Refusal>> {
        use secrecy::ExposeSecret;
        let issued = lock(&self.issued);
        let key = issued.keys.get(access_key).filter(|k| k.cloud == cloud)?;
        Some(match token {
            None | Some("") => Err(Refusal::Missing),
            Some(t) if !same_secret(t.as_bytes(), key.token.expose_secret().as_bytes()) => {
                Err(Refusal::Mismatch)
            }
            Some(_) if key.expires_ms <= now => Err(Refusal::Expired),
            Some(_) => Ok((key.account.clone(), key.principal.clone())),
        })
    }

    /// Records an IAM token; returns its text.
    pub fn issue_iam_token(&self, token: IamToken) -> String {
        let text = format!("MII{}", random_from(ALNUM, 600));
        let mut issued = lock(&self.issued);
        issued.purge(now_ms());
        issued.iam_tokens.insert(text.clone(), token);
        text
    }

    /// A live IAM token.
    pub fn iam_token(&self, text: &str, now: i64) -> Option<IamToken> {
        lock(&self.issued)
            .iam_tokens
            .get(text)
            .filter(|t| t.expires_ms > now)
            .cloned()
    }

    /// Issues a metadata session token valid for `ttl_seconds`.
    pub fn issue_metadata_token(&self, ttl_seconds: u64) -> String {
        let text = random_from(ALNUM, 56);
        let now = now_ms();
        let mut issued = lock(&self.issued);
        issued.purge(now);
        let ttl = i64::try_from(ttl_seconds.saturating_mul(1000)).unwrap_or(i64::MAX / 4);
        issued.metadata_tokens.insert(text.clone(), now + ttl);
        text
    }

    /// Whether a metadata session token is live.
    pub fn metadata_token_ok(&self, text: &str, now: i64) -> bool {
        lock(&self.issued)
            .metadata_tokens
            .get(text)
            .is_some_and(|exp| *exp > now)
    }

    /// Remembers an STS signature nonce for `window_ms`; false if it was seen.
    pub fn use_nonce(&self, nonce: &str, now: i64, window_ms: i64) -> bool {
        let mut issued = lock(&self.issued);
        issued.purge(now);
        if issued.sts_nonces.contains_key(nonce) {
            return false;
        }
        issued.sts_nonces.insert(nonce.to_owned(), now + window_ms);
        true
    }

    /// Whether an entry (`alibaba_role:<ARN>`, `huawei_idp:<ID>`, `huawei_agency:<D>/<A>`) is
    /// revoked.
    pub fn is_revoked(&self, entry: &str) -> bool {
        lock(&self.issued).revoked.contains(entry)
    }

    /// Forgets everything issued and every revocation.
    pub fn reset(&self) {
        *lock(&self.issued) = Issued::default();
    }

    fn exists(&self, entry: &str) -> bool {
        match entry.split_once(':') {
            Some(("alibaba_role", arn)) => self.config.alibaba.roles.iter().any(|r| r.arn == arn),
            Some(("huawei_idp", id)) => self.config.huawei.idps.iter().any(|i| i.id == id),
            Some(("huawei_agency", k)) => self.config.huawei.agencies.iter().any(|a| a.key() == k),
            _ => false,
        }
    }

    /// The admin view: entries with their `revoked` flag and how much is live.
    pub fn admin_view(&self) -> Value {
        let now = now_ms();
        let issued = lock(&self.issued);
        let revoked = |e: String| issued.revoked.contains(&e);
        json!({
            "alibaba_roles": self.config.alibaba.roles.iter().map(|r| json!({
                "arn": r.arn, "account": r.account,
                "revoked": revoked(format!("alibaba_role:{}", r.arn))})).collect::<Vec<_>>(),
            "huawei_idps": self.config.huawei.idps.iter().map(|i| json!({
                "id": i.id, "account": i.account,
                "revoked": revoked(format!("huawei_idp:{}", i.id))})).collect::<Vec<_>>(),
            "huawei_agencies": self.config.huawei.agencies.iter().map(|a| json!({
                "agency": a.key(), "account": a.account,
                "revoked": revoked(format!("huawei_agency:{}", a.key()))})).collect::<Vec<_>>(),
            "live": {
                "alibaba_keys": issued.keys.values().filter(|k| k.cloud == Cloud::Alibaba && k.expires_ms > now).count(),
                "huawei_keys": issued.keys.values().filter(|k| k.cloud == Cloud::Huawei && k.expires_ms > now).count(),
                "iam_tokens": issued.iam_tokens.values().filter(|t| t.expires_ms > now).count(),
                "metadata_tokens": issued.metadata_tokens.values().filter(|e| **e > now).count(),
            },
            "credential_seconds": self.lifetime_ms / 1000,
        })
    }

    /// `GET /_sim/identity/issued`: every secret value issued and still remembered (temporary
    /// keys' secrets and security tokens, IAM tokens), for tests that scan a client's logs,
    /// Events and status for leaks. The simulator is a test tool; no cloud has this.
    pub fn issued_secrets(&self) -> Value {
        use secrecy::ExposeSecret;
        let issued = lock(&self.issued);
        let mut secrets: Vec<String> = Vec::new();
        for k in issued.keys.values() {
            secrets.push(k.secret.expose_secret().to_owned());
            secrets.push(k.token.expose_secret().to_owned());
        }
        secrets.extend(issued.iam_tokens.keys().cloned());
        secrets.extend(issued.metadata_tokens.keys().cloned());
        json!({"secrets": secrets, "access_keys": issued.keys.keys().collect::<Vec<_>>()})
    }

    /// `POST /_sim/identity/revoke` and `/restore`.
    pub fn admin_revoke(&self, body: &[u8], revoke: bool) -> (u16, Value) {
        let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let entry = if let Some(a) = v["alibaba_role"].as_str() {
            format!("alibaba_role:{a}")
        } else if let Some(i) = v["huawei_idp"].as_str() {
            format!("huawei_idp:{i}")
        } else if let Some(a) = v["huawei_agency"].as_str() {
            format!("huawei_agency:{a}")
        } else {
            return (
                400,
                json!({"error": "give {\"alibaba_role\": ARN}, {\"huawei_idp\": ID} or {\"huawei_agency\": \"DOMAIN/AGENCY\"}"}),
            );
        };
        if !self.exists(&entry) {
            return (404, json!({"error": format!("no such entry {entry}")}));
        }
        {
            let mut issued = lock(&self.issued);
            if revoke {
                issued.revoked.insert(entry);
            } else {
                issued.revoked.remove(&entry);
            }
        }
        (200, self.admin_view())
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

/// A received request, as the identity handlers see it.
pub struct Request<'a> {
    /// Method.
    pub method: &'a str,
    /// Path (also for requests in proxy form).
    pub path: &'a str,
    /// Raw query.
    pub query: &'a str,
    /// Headers.
    pub headers: &'a HeaderMap,
    /// Body.
    pub body: &'a [u8],
}

impl Request<'_> {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// An identity answer before it becomes HTTP.
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// JSON body, or plain text.
    pub body: AnswerBody,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
}

/// The body of an [`Answer`].
pub enum AnswerBody {
    /// JSON.
    Json(Value),
    /// Plain text.
    Text(String),
}

impl Answer {
    /// A JSON answer.
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: AnswerBody::Json(body),
            headers: Vec::new(),
        }
    }

    /// A text answer.
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            body: AnswerBody::Text(body.into()),
            headers: Vec::new(),
        }
    }

    fn into_response(self) -> Response {
        let (bytes, content_type) = match self.body {
            AnswerBody::Json(v) => (
                serde_json::to_vec(&v).unwrap_or_default(),
                "application/json;charset=utf-8",
            ),
            AnswerBody::Text(t) => (t.into_bytes(), "text/plain"),
        };
        let mut resp = Response::new(Body::from(bytes));
        *resp.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let h = resp.headers_mut();
        h.insert("content-type", HeaderValue::from_static(content_type));
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.insert(name, v);
            }
        }
        resp
    }
}

/// The counter outcome of an identity answer.
fn outcome_of(status: u16) -> &'static str {
    match status {
        200..=299 => "ok",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "invalid",
        400..=499 => "invalid",
        _ => "server_error",
    }
}

/// What the node-pool APIs ask about keys and tokens (the one hook in `server.rs`).
impl Sim {
    /// The secret of an access key: a configured account's, or a live or expired temporary
    /// key's.
    pub(super) fn key_secret(&self, cloud: Cloud, access_key: &str) -> Option<SecretString> {
        let permanent = match cloud {
            Cloud::Alibaba => &self.alibaba_keys,
            Cloud::Huawei => &self.huawei_keys,
        };
        permanent
            .get(access_key)
            .cloned()
            .or_else(|| self.identity.secret(cloud, access_key))
    }

    /// The Huawei key lookup for the signature verifier: accounts and temporary keys.
    pub(super) fn huawei_keys(&self) -> impl Fn(&str) -> Option<SecretString> + '_ {
        move |ak| self.key_secret(Cloud::Huawei, ak)
    }

    /// The Alibaba key lookup for the signature verifier: accounts and temporary keys.
    pub(super) fn alibaba_keys(&self) -> impl Fn(&str) -> Option<SecretString> + '_ {
        move |ak| self.key_secret(Cloud::Alibaba, ak)
    }

    /// The account a verified key acts as: itself for a configured account, the role's /
    /// agency's / IdP's account for a temporary key sent with its live security token.
    pub(super) fn account_of_key(
        &self,
        cloud: Cloud,
        access_key: &str,
        security_token: Option<&str>,
    ) -> Result<String, Refusal> {
        match self
            .identity
            .check_temporary(cloud, access_key, security_token, now_ms())
        {
            None => Ok(access_key.to_owned()),
            Some(r) => r.map(|(account, _)| account),
        }
    }

    /// A live project-scoped IAM token issued by federation: (project id, account). Unscoped
    /// tokens call no service, as on IAM.
    pub(super) fn issued_iam_token(&self, text: &str) -> Option<(String, String)> {
        let t = self.identity.iam_token(text, now_ms())?;
        if self.identity.is_revoked(&format!("huawei_idp:{}", t.idp)) {
            return None;
        }
        let account = self
            .identity
            .config
            .huawei
            .idps
            .iter()
            .find(|i| i.id == t.idp)?
            .account
            .clone();
        Some((t.project?, account))
    }

    fn count_identity(&self, cloud: &'static str, op: &'static str, status: u16) {
        *lock(&self.counters)
            .entry((cloud, op, outcome_of(status)))
            .or_insert(0) += 1;
    }
}

/// Serves an identity request, or `None` when the path is not one of the identity services.
pub async fn serve(
    sim: &Sim,
    method: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<Response> {
    let path = uri.path();
    let req = Request {
        method,
        path,
        query: uri.query().unwrap_or(""),
        headers,
        body,
    };
    let (cloud, op, answer) = if (path == "/" || path.is_empty()) && alibaba_sts::is_sts(&req) {
        let (op, a) = alibaba_sts::handle(sim, &req).await;
        ("alibaba-sts", op, a)
    } else if path.starts_with("/v3.0/OS-AUTH/") || path.starts_with("/v3.0/OS-CREDENTIAL/") {
        let (op, a) = huawei_iam::handle(sim, &req).await;
        ("huawei-iam", op, a)
    } else if path.starts_with("/latest/") {
        let (op, a) = metadata::alibaba(sim, &req);
        ("alibaba-metadata", op, a)
    } else if path.starts_with("/openstack/latest/") || path.starts_with("/meta-data/latest/") {
        let (op, a) = metadata::huawei(sim, &req);
        ("huawei-metadata", op, a)
    } else {
        return None;
    };
    sim.count_identity(cloud, op, answer.status);
    Some(answer.into_response())
}

/// The admin API's identity part (`/_sim/identity...`); `None` for other paths.
pub fn admin(sim: &Sim, method: &str, path: &str, body: &[u8]) -> Option<(u16, Value)> {
    match (method, path) {
        ("GET", "/_sim/identity") => Some((200, sim.identity.admin_view())),
        ("GET", "/_sim/identity/issued") => Some((200, sim.identity.issued_secrets())),
        ("POST", "/_sim/identity/revoke") => Some(sim.identity.admin_revoke(body, true)),
        ("POST", "/_sim/identity/restore") => Some(sim.identity.admin_revoke(body, false)),
        _ => None,
    }
}

/// Parses `a=b&c=d` with form decoding (`+` is a space).
pub fn form_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let d =
                |s: &str| String::from_utf8_lossy(&crate::cloud::sign::form_decode(s)).into_owned();
            (d(k), d(v))
        })
        .collect()
}

/// Formats ms since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn iso_seconds(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// Formats ms since the epoch as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (Huawei IAM).
pub fn iso_micros(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%S.%6fZ").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(seconds: u64) -> Identity {
        Identity::new(IdentityScenario {
            credential_seconds: Some(seconds),
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn temporary_keys_need_their_token_and_expire() {
        use secrecy::ExposeSecret;
        let id = identity(30);
        let now = now_ms();
        let exp = id.expiry(now, Some(3600));
        assert!(exp <= now + 30_000 && exp > now + 28_000, "{exp} vs {now}");
        let (ak, key) = id.issue_key(Cloud::Alibaba, "role:r".into(), "acct".into(), exp);
        assert!(ak.starts_with("STS."));
        let token = key.token.expose_secret().to_owned();
        assert!(id.secret(Cloud::Alibaba, &ak).is_some());
        assert!(id.secret(Cloud::Huawei, &ak).is_none());
        assert_eq!(
            id.check_temporary(Cloud::Alibaba, "other", Some(&token), now),
            None
        );
        assert_eq!(
            id.check_temporary(Cloud::Alibaba, &ak, None, now),
            Some(Err(Refusal::Missing))
        );
        assert_eq!(
            id.check_temporary(Cloud::Alibaba, &ak, Some("CAISwrong"), now),
            Some(Err(Refusal::Mismatch))
        );
        assert_eq!(
            id.check_temporary(Cloud::Alibaba, &ak, Some(&token), now),
            Some(Ok(("acct".into(), "role:r".into())))
        );
        assert_eq!(
            id.check_temporary(Cloud::Alibaba, &ak, Some(&token), exp),
            Some(Err(Refusal::Expired))
        );
    }

    #[test]
    fn a_shorter_duration_is_honoured() {
        let id = identity(3600);
        let now = 1_000_000_500;
        assert_eq!(id.expiry(now, Some(900)), 1_000_900_000);
        assert_eq!(id.expiry(now, None), 1_003_600_000);
    }

    #[test]
    fn revocation_names_known_entries() {
        let yaml = r#"
alibaba:
  roles: [{arn: "acs:ram::1:role/a", account: k, trusted_principals: ["account:k"]}]
"#;
        let cfg: IdentityScenario = serde_yaml::from_str(yaml).unwrap();
        let id = Identity::new(cfg).unwrap();
        assert_eq!(
            id.admin_revoke(br#"{"alibaba_role":"acs:ram::1:role/b"}"#, true)
                .0,
            404
        );
        assert_eq!(
            id.admin_revoke(br#"{"alibaba_role":"acs:ram::1:role/a"}"#, true)
                .0,
            200
        );
        assert!(id.is_revoked("alibaba_role:acs:ram::1:role/a"));
        assert_eq!(
            id.admin_revoke(br#"{"alibaba_role":"acs:ram::1:role/a"}"#, false)
                .0,
            200
        );
        assert!(!id.is_revoked("alibaba_role:acs:ram::1:role/a"));
    }

    #[test]
    fn bad_references_are_refused() {
        for yaml in [
            "alibaba: {roles: [{arn: 'acs:ram::1:role/a', account: k, oidc_provider: nope}]}",
            "alibaba: {roles: [{arn: 'acs:ram::1:role/a', account: k, trusted_principals: ['role:x']}]}",
            "huawei: {agencies: [{domain_name: d, name: a, account: k, trusted_principals: ['idp:x']}]}",
            "instance: {alibaba_role: 'acs:ram::1:role/x'}",
            "huawei: {idps: [{id: i, domain_id: d, domain_name: n, audience: a, account: k}]}",
        ] {
            let cfg: IdentityScenario = serde_yaml::from_str(yaml).unwrap();
            assert!(cfg.check().is_err(), "{yaml}");
        }
    }

    #[test]
    fn times_are_formatted_as_the_clouds_do() {
        assert_eq!(iso_seconds(1_764_640_800_000), "2025-12-02T02:00:00Z");
        assert_eq!(iso_micros(1_764_640_800_123), "2025-12-02T02:00:00.123000Z");
    }
}
