//! ID tokens verified for real against an OIDC issuer: its discovery document and JWKS are
//! fetched over HTTPS (trusting a configured CA), and a token must be an RS256 JWS under one of
//! the issuer's keys with the right `iss`, an allowed `aud`, a live `exp`/`nbf` and a `sub`.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

/// Least time between two fetches of the key set (a token with an unknown `kid` refetches).
const REFETCH_EVERY: Duration = Duration::from_secs(10);

/// Why an ID token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OidcError {
    /// Not a JWS the issuer could have made (parts, encoding, algorithm, header).
    #[error("the token is malformed: {0}")]
    Malformed(String),
    /// Its `kid` is not in the issuer's key set.
    #[error("the token's key id is not one of the issuer's keys")]
    UnknownKey,
    /// The signature does not verify.
    #[error("the token's signature does not verify")]
    Signature,
    /// `exp` has passed or `nbf` is still ahead.
    #[error("the token has expired or is not valid yet")]
    Expired,
    /// `aud` is not allowed.
    #[error("the token's audience is not allowed")]
    Audience,
    /// `iss` is not the issuer.
    #[error("the token's issuer is not the trusted issuer")]
    Issuer,
    /// The issuer's discovery document or key set could not be read.
    #[error("the issuer's keys could not be read: {0}")]
    Discovery(String),
}

/// What a verified token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// `sub`.
    pub subject: String,
    /// `iss`.
    pub issuer: String,
    /// `aud` (one or more).
    pub audiences: Vec<String>,
    /// `exp`, seconds since the epoch.
    pub expires: i64,
    /// `iat`, seconds since the epoch (0 if absent).
    pub issued: i64,
}

#[derive(Default)]
struct Keys {
    by_kid: HashMap<String, DecodingKey>,
    fetched: Option<Instant>,
}

/// Verifies ID tokens of one issuer.
pub struct Verifier {
    issuer: String,
    client: reqwest::Client,
    keys: tokio::sync::Mutex<Keys>,
}

impl Verifier {
    /// A verifier for `issuer`, trusting `ca_file` (PEM) besides the built-in roots.
    pub fn new(issuer: &str, ca_file: Option<&Path>) -> Result<Self, String> {
        let mut builder = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .no_proxy();
        if let Some(path) = ca_file {
            let pem = std::fs::read(path)
                .map_err(|e| format!("reading OIDC CA file {}: {e}", path.display()))?;
            let cert = reqwest::Certificate::from_pem(&pem)
                .map_err(|e| format!("OIDC CA file {}: {e}", path.display()))?;
            builder = builder.add_root_certificate(cert);
        }
        let client = builder
            .build()
            .map_err(|e| format!("OIDC HTTP client: {e}"))?;
        Ok(Self {
            issuer: issuer.trim_end_matches('/').to_owned(),
            client,
            keys: tokio::sync::Mutex::new(Keys::default()),
        })
    }

    /// The issuer URL.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    async fn get_json(&self, url: &str) -> Result<Value, OidcError> {
        let resp = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| OidcError::Discovery(format!("GET {url}: {e}")))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(OidcError::Discovery(format!("GET {url}: HTTP {status}")));
        }
        resp.json()
            .await
            .map_err(|e| OidcError::Discovery(format!("GET {url}: {e}")))
    }

    /// Fetches the discovery document and the key set now.
    pub async fn refresh(&self) -> Result<usize, OidcError> {
        let mut keys = self.keys.lock().await;
        self.fetch_into(&mut keys).await
    }

    async fn fetch_into(&self, keys: &mut Keys) -> Result<usize, OidcError> {
        keys.fetched = Some(Instant::now());
        let doc = self
            .get_json(&format!("{}/.well-known/openid-configuration", self.issuer))
            .await?;
        if doc["issuer"].as_str().map(|s| s.trim_end_matches('/')) != Some(self.issuer.as_str()) {
            return Err(OidcError::Discovery(format!(
                "the discovery document names issuer {}, not {}",
                doc["issuer"], self.issuer
            )));
        }
        let jwks_uri = doc["jwks_uri"]
            .as_str()
            .ok_or_else(|| OidcError::Discovery("the discovery document has no jwks_uri".into()))?
            .to_owned();
        let set: JwkSet = serde_json::from_value(self.get_json(&jwks_uri).await?)
            .map_err(|e| OidcError::Discovery(format!("{jwks_uri}: not a JWK set: {e}")))?;
        let mut by_kid = HashMap::new();
        for jwk in &set.keys {
            if let (Some(kid), Ok(key)) = (&jwk.common.key_id, DecodingKey::from_jwk(jwk)) {
                by_kid.insert(kid.clone(), key);
            }
        }
        keys.by_kid = by_kid;
        Ok(keys.by_kid.len())
    }

    async fn key_for(&self, kid: &str) -> Result<DecodingKey, OidcError> {
        let mut keys = self.keys.lock().await;
        if let Some(k) = keys.by_kid.get(kid) {
            return Ok(k.clone());
        }
        if keys.fetched.is_none_or(|t| t.elapsed() >= REFETCH_EVERY) {
            self.fetch_into(&mut keys).await?;
        }
        keys.by_kid.get(kid).cloned().ok_or(OidcError::UnknownKey)
    }

    /// Verifies `token`: RS256 under one of the issuer's keys, `iss`, `aud` among `audiences`,
    /// `exp` and `nbf` (no leeway), and a `sub`.
    pub async fn verify(&self, token: &str, audiences: &[String]) -> Result<Claims, OidcError> {
        let token = token.trim();
        if token.split('.').count() != 3 {
            return Err(OidcError::Malformed(
                "a JWS has three parts separated by '.'".into(),
            ));
        }
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| OidcError::Malformed(format!("header: {e}")))?;
        if header.alg != Algorithm::RS256 {
            return Err(OidcError::Malformed(format!(
                "the algorithm {:?} is not RS256",
                header.alg
            )));
        }
        let kid = header
            .kid
            .ok_or_else(|| OidcError::Malformed("the header has no kid".into()))?;
        let key = self.key_for(&kid).await?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = 0;
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(audiences);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<Value>(token, &key, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            match e.kind() {
                K::InvalidSignature => OidcError::Signature,
                K::ExpiredSignature | K::ImmatureSignature => OidcError::Expired,
                K::InvalidAudience => OidcError::Audience,
                K::InvalidIssuer => OidcError::Issuer,
                other => OidcError::Malformed(format!("{other:?}")),
            }
        })?;
        let c = data.claims;
        let audiences = match &c["aud"] {
            Value::String(s) => vec![s.clone()],
            Value::Array(a) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        Ok(Claims {
            subject: c["sub"].as_str().unwrap_or_default().to_owned(),
            issuer: c["iss"].as_str().unwrap_or_default().to_owned(),
            audiences,
            expires: c["exp"].as_i64().unwrap_or(0),
            issued: c["iat"].as_i64().unwrap_or(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verifier() -> Verifier {
        Verifier::new("https://127.0.0.1:1", None).unwrap()
    }

    #[tokio::test]
    async fn malformed_tokens_are_refused_before_any_fetch() {
        let v = verifier();
        let aud = vec!["a".to_owned()];
        for (token, why) in [
            ("", "parts"),
            ("a.b", "parts"),
            ("!!!.e30.sig", "header"),
            // {"alg":"none"}.{}.
            ("eyJhbGciOiJub25lIn0.e30.", "header"),
            // {"alg":"HS256","kid":"k"}
            ("eyJhbGciOiJIUzI1NiIsImtpZCI6ImsifQ.e30.c2ln", "RS256"),
            // {"alg":"RS256"}
            ("eyJhbGciOiJSUzI1NiJ9.e30.c2ln", "kid"),
        ] {
            match v.verify(token, &aud).await {
                Err(OidcError::Malformed(m)) => {
                    assert!(m.contains(why), "{token}: {m}")
                }
                other => panic!("{token}: {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn an_unreachable_issuer_is_a_discovery_error() {
        let v = verifier();
        // {"alg":"RS256","kid":"k"}
        let r = v
            .verify("eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.e30.c2ln", &["a".into()])
            .await;
        assert!(matches!(r, Err(OidcError::Discovery(_))), "{r:?}");
    }
}
