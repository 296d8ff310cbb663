//! Cloud credentials from the Secret a NodePool names in `spec.credentialsRef`.
//!
//! * Huawei: `accessKey` + `secretKey` (+ optional `securityToken`), or `token` (an IAM token).
//! * Alibaba: `accessKeyId` + `accessKeySecret` (+ optional `securityToken`).
//!
//! Errors name the Secret and the key, never a value.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use secrecy::SecretString;

use crate::cloud::Cloud;
use crate::cloud::auth::{AccessKey, HuaweiAuth};

/// Credentials read from a Secret, ready for a cloud client.
#[derive(Clone, Debug)]
pub enum Credentials {
    /// For the CCE client.
    Huawei(HuaweiAuth),
    /// For the ACK client.
    Alibaba(AccessKey),
}

/// Why a Secret does not give usable credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    /// The Secret does not exist.
    #[error(
        "the credentials Secret {namespace}/{name} does not exist: create it (see the user guide for its keys), or fix spec.credentialsRef.name"
    )]
    SecretMissing {
        /// Namespace of the NodePool (and the Secret).
        namespace: String,
        /// Name of the Secret.
        name: String,
    },
    /// A required key is missing or empty.
    #[error("the credentials Secret {namespace}/{name} has no non-empty key {key}: {hint}")]
    KeyMissing {
        /// Namespace of the Secret.
        namespace: String,
        /// Name of the Secret.
        name: String,
        /// The missing key.
        key: &'static str,
        /// What the Secret must hold for this cloud.
        hint: &'static str,
    },
    /// A value is not UTF-8 text.
    #[error("the credentials Secret {namespace}/{name} key {key} is not UTF-8 text")]
    NotText {
        /// Namespace of the Secret.
        namespace: String,
        /// Name of the Secret.
        name: String,
        /// The key.
        key: String,
    },
}

impl CredentialsError {
    /// A bounded PascalCase reason for conditions and Events.
    pub fn reason(&self) -> &'static str {
        match self {
            CredentialsError::SecretMissing { .. } => "CredentialsSecretMissing",
            CredentialsError::KeyMissing { .. } | CredentialsError::NotText { .. } => {
                "CredentialsInvalid"
            }
        }
    }
}

const HUAWEI_HINT: &str =
    "a Huawei Secret holds accessKey and secretKey (and optionally securityToken), or token";
const ALIBABA_HINT: &str =
    "an Alibaba Secret holds accessKeyId and accessKeySecret (and optionally securityToken)";

/// Reads the credentials for `cloud` from `secret` (both `data` and `stringData` are honoured).
pub fn from_secret(cloud: Cloud, secret: &Secret) -> Result<Credentials, CredentialsError> {
    let namespace = secret.metadata.namespace.clone().unwrap_or_default();
    let name = secret.metadata.name.clone().unwrap_or_default();
    let values = text_values(secret, &namespace, &name)?;
    let get = |key: &str| values.get(key).filter(|v| !v.trim().is_empty()).cloned();
    let require = |key: &'static str, hint: &'static str| {
        get(key).ok_or_else(|| CredentialsError::KeyMissing {
            namespace: namespace.clone(),
            name: name.clone(),
            key,
            hint,
        })
    };
    match cloud {
        Cloud::Huawei => {
            if get("accessKey").is_none()
                && get("secretKey").is_none()
                && let Some(token) = get("token")
            {
                return Ok(Credentials::Huawei(HuaweiAuth::Token(SecretString::from(
                    token.trim().to_string(),
                ))));
            }
            let mut key = AccessKey::new(
                require("accessKey", HUAWEI_HINT)?.trim(),
                require("secretKey", HUAWEI_HINT)?.trim(),
            );
            if let Some(token) = get("securityToken") {
                key = key.with_security_token(token.trim());
            }
            Ok(Credentials::Huawei(HuaweiAuth::AccessKey(key)))
        }
        Cloud::Alibaba => {
            let mut key = AccessKey::new(
                require("accessKeyId", ALIBABA_HINT)?.trim(),
                require("accessKeySecret", ALIBABA_HINT)?.trim(),
            );
            if let Some(token) = get("securityToken") {
                key = key.with_security_token(token.trim());
            }
            Ok(Credentials::Alibaba(key))
        }
    }
}

fn text_values(
    secret: &Secret,
    namespace: &str,
    name: &str,
) -> Result<BTreeMap<String, String>, CredentialsError> {
    let mut out = BTreeMap::new();
    let empty = BTreeMap::<String, ByteString>::new();
    for (k, ByteString(bytes)) in secret.data.as_ref().unwrap_or(&empty) {
        let text = String::from_utf8(bytes.clone()).map_err(|_| CredentialsError::NotText {
            namespace: namespace.to_string(),
            name: name.to_string(),
            key: k.clone(),
        })?;
        out.insert(k.clone(), text);
    }
    if let Some(string_data) = &secret.string_data {
        for (k, v) in string_data {
            out.insert(k.clone(), v.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn secret(pairs: &[(&str, &str)]) -> Secret {
        Secret {
            metadata: ObjectMeta {
                name: Some("creds".into()),
                namespace: Some("team-a".into()),
                ..ObjectMeta::default()
            },
            data: Some(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), ByteString(v.as_bytes().to_vec())))
                    .collect(),
            ),
            ..Secret::default()
        }
    }

    #[test]
    fn huawei_access_key_token_and_errors() {
        match from_secret(
            Cloud::Huawei,
            &secret(&[("accessKey", "AK1"), ("secretKey", "SK1")]),
        ) {
            Ok(Credentials::Huawei(HuaweiAuth::AccessKey(k))) => {
                assert_eq!(k.id, "AK1");
                assert!(k.security_token.is_none());
            }
            other => panic!("unexpected {other:?}"),
        }
        match from_secret(
            Cloud::Huawei,
            &secret(&[
                ("accessKey", "AK1"),
                ("secretKey", "SK1"),
                ("securityToken", "T"),
            ]),
        ) {
            Ok(Credentials::Huawei(HuaweiAuth::AccessKey(k))) => {
                assert!(k.security_token.is_some())
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            from_secret(Cloud::Huawei, &secret(&[("token", "iam-token")])),
            Ok(Credentials::Huawei(HuaweiAuth::Token(_)))
        ));
        let err = from_secret(Cloud::Huawei, &secret(&[("accessKey", "AK1")])).unwrap_err();
        assert_eq!(err.reason(), "CredentialsInvalid");
        assert!(
            err.to_string()
                .contains("team-a/creds has no non-empty key secretKey")
        );
        let err = from_secret(
            Cloud::Huawei,
            &secret(&[("accessKey", "AK1"), ("secretKey", " ")]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("key secretKey"), "{err}");
    }

    #[test]
    fn alibaba_keys_and_errors() {
        match from_secret(
            Cloud::Alibaba,
            &secret(&[("accessKeyId", "LTAI1"), ("accessKeySecret", "S")]),
        ) {
            Ok(Credentials::Alibaba(k)) => assert_eq!(k.id, "LTAI1"),
            other => panic!("unexpected {other:?}"),
        }
        // Huawei's key names do not work for Alibaba, and the error says which key is missing.
        let err = from_secret(
            Cloud::Alibaba,
            &secret(&[("accessKey", "a"), ("secretKey", "b")]),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("no non-empty key accessKeyId"),
            "{err}"
        );
        assert!(err.to_string().contains("accessKeySecret"), "{err}");
    }

    #[test]
    fn errors_never_carry_values() {
        let err = from_secret(
            Cloud::Alibaba,
            &secret(&[("accessKeyId", "LTAI-VISIBLE"), ("accessKeySecret", "")]),
        )
        .unwrap_err();
        assert!(!err.to_string().contains("LTAI-VISIBLE"));
        let not_text = Secret {
            data: Some(
                [("accessKeyId".to_string(), ByteString(vec![0xff, 0xfe]))]
                    .into_iter()
                    .collect(),
            ),
            ..secret(&[])
        };
        assert_eq!(
            from_secret(Cloud::Alibaba, &not_text).unwrap_err().reason(),
            "CredentialsInvalid"
        );
    }
}
