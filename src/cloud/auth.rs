//! What the cloud clients authenticate with (the signing input): access keys and Huawei IAM
//! tokens. Secrets are only held as [`SecretString`]; every `Debug` here is redacted. Reading
//! them from a Kubernetes Secret is [`crate::credentials`]' job.

use std::fmt;
use std::sync::Arc;

use secrecy::SecretString;

use super::identity::{KeySource, Refreshing};

/// An access key pair, optionally with a security token (temporary STS credentials).
#[derive(Clone)]
pub struct AccessKey {
    /// The access key ID (not secret: it names the key and is sent in `Authorization`).
    pub id: String,
    /// The secret access key.
    pub secret: SecretString,
    /// The security token of temporary credentials (Huawei `X-Security-Token`, Alibaba
    /// `x-acs-security-token`).
    pub security_token: Option<SecretString>,
}

impl AccessKey {
    /// A long-lived access key pair.
    pub fn new(id: impl Into<String>, secret: impl Into<String>) -> Self {
        AccessKey {
            id: id.into(),
            secret: SecretString::from(secret.into()),
            security_token: None,
        }
    }

    /// Adds a security token (temporary credentials).
    pub fn with_security_token(mut self, token: impl Into<String>) -> Self {
        self.security_token = Some(SecretString::from(token.into()));
        self
    }
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKey")
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// How the Huawei client authenticates.
#[derive(Clone)]
pub enum HuaweiAuth {
    /// AK/SK request signing (`SDK-HMAC-SHA256`), with `X-Project-Id` and, for temporary
    /// credentials, `X-Security-Token`.
    AccessKey(AccessKey),
    /// A ready IAM token, sent as `X-Auth-Token` (no signing).
    Token(SecretString),
    /// Temporary AK/SK from an identity service, refreshed before they expire.
    Refreshing(Arc<Refreshing>),
}

impl From<AccessKey> for KeySource {
    fn from(key: AccessKey) -> Self {
        KeySource::Static(key)
    }
}

impl fmt::Debug for HuaweiAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HuaweiAuth::AccessKey(key) => f.debug_tuple("AccessKey").field(key).finish(),
            HuaweiAuth::Token(_) => f.debug_tuple("Token").field(&"<redacted>").finish(),
            HuaweiAuth::Refreshing(r) => f.debug_tuple("Refreshing").field(r).finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let key = AccessKey::new("AKID", "TOP-SECRET").with_security_token("STS-TOKEN");
        let text = format!("{key:?} {:?}", HuaweiAuth::AccessKey(key.clone()));
        assert!(text.contains("AKID"), "{text}");
        assert!(
            !text.contains("TOP-SECRET") && !text.contains("STS-TOKEN"),
            "{text}"
        );
        let text = format!("{:?}", HuaweiAuth::Token(SecretString::from("IAM-TOKEN")));
        assert_eq!(text, "Token(\"<redacted>\")");
    }
}
