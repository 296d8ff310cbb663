//! Cloud credentials from the Secret a NodePool names in `spec.credentialsRef`.
//!
//! * Huawei: `accessKey` + `secretKey` (+ optional `securityToken`), or `token` (an IAM token).
//! * Alibaba: `accessKeyId` + `accessKeySecret` (+ optional `securityToken`).
//!
//! A credentials Secret is an `Opaque` Secret labelled `cloud.nodepool.dev/credentials: "true"`
//! (see docs/design.md, "Credentials Secrets"). The controller watches only Secrets with that
//! label, reads the data of no other Secret, and refuses a NodePool that names another Secret
//! (a ServiceAccount token, a TLS key, ...) with a message that says how to fix it.
//!
//! Errors name the Secret and the key, never a value.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::ResourceExt;
use kube::runtime::reflector::ObjectRef;
use secrecy::SecretString;

use crate::cloud::Cloud;
use crate::cloud::auth::{AccessKey, HuaweiAuth};
use crate::crd::NodePool;

/// The label that marks a Secret as cloud credentials the controller may read.
pub const CREDENTIALS_LABEL: &str = "cloud.nodepool.dev/credentials";
/// The value of [`CREDENTIALS_LABEL`].
pub const CREDENTIALS_LABEL_VALUE: &str = "true";
/// The label selector of the controller's Secret watch.
pub const CREDENTIALS_SELECTOR: &str = "cloud.nodepool.dev/credentials=true";
/// The type of a credentials Secret.
pub const CREDENTIALS_TYPE: &str = "Opaque";
/// The field selector of the controller's Secret watch (with [`CREDENTIALS_SELECTOR`]): its
/// store holds only credentials Secrets.
pub const CREDENTIALS_TYPE_SELECTOR: &str = "type=Opaque";
/// The controller's finalizer on a credentials Secret that NodePools with
/// `deletionPolicy: Delete` still need (see `controller::secrets`).
pub const SECRET_FINALIZER: &str = "cloud.nodepool.dev/credentials-in-use";

/// The credentials Secrets a NodePool needs, in its namespace: the one place that decides it
/// (the provider lookup, the Secret watch's mapping to NodePools and the Secret finalizer all
/// ask here).
pub fn credential_secrets(np: &NodePool) -> Vec<ObjectRef<Secret>> {
    let ns = np.namespace().unwrap_or_default();
    let name = &np.spec.credentials_ref.name;
    if name.is_empty() {
        return Vec::new();
    }
    vec![ObjectRef::new(name).within(&ns)]
}

/// Whether a Secret carries the credentials label.
pub fn is_labelled(meta: &ObjectMeta) -> bool {
    meta.labels
        .as_ref()
        .and_then(|l| l.get(CREDENTIALS_LABEL))
        .is_some_and(|v| v == CREDENTIALS_LABEL_VALUE)
}

/// Checks that a Secret's metadata marks it as a credentials Secret (needs no data).
pub fn check_labelled(meta: &ObjectMeta) -> Result<(), CredentialsError> {
    if is_labelled(meta) {
        Ok(())
    } else {
        Err(CredentialsError::NotLabelled {
            namespace: meta.namespace.clone().unwrap_or_default(),
            name: meta.name.clone().unwrap_or_default(),
        })
    }
}

/// Checks that a Secret is a credentials Secret: labelled, and of type `Opaque`.
pub fn check_secret(secret: &Secret) -> Result<(), CredentialsError> {
    check_labelled(&secret.metadata)?;
    match secret.type_.as_deref() {
        None | Some(CREDENTIALS_TYPE) => Ok(()),
        Some(other) => Err(CredentialsError::WrongType {
            namespace: secret.metadata.namespace.clone().unwrap_or_default(),
            name: secret.metadata.name.clone().unwrap_or_default(),
            type_: other.to_string(),
        }),
    }
}

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
    /// The Secret is not labelled as a credentials Secret (its data is not read).
    #[error(
        "the Secret {namespace}/{name} is not a credentials Secret (no label cloud.nodepool.dev/credentials=true), so the controller does not read it: if it holds this NodePool's cloud credentials, label it: kubectl -n {namespace} label secret {name} cloud.nodepool.dev/credentials=true"
    )]
    NotLabelled {
        /// Namespace of the Secret.
        namespace: String,
        /// Name of the Secret.
        name: String,
    },
    /// The Secret is labelled but not of type `Opaque` (a ServiceAccount token, a TLS key, ...).
    #[error(
        "the Secret {namespace}/{name} is of type {type_}, not a credentials Secret: create an Opaque Secret with the cloud's keys (see the user guide), label it cloud.nodepool.dev/credentials=true, and point spec.credentialsRef.name at it"
    )]
    WrongType {
        /// Namespace of the Secret.
        namespace: String,
        /// Name of the Secret.
        name: String,
        /// Its type.
        type_: String,
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
            CredentialsError::NotLabelled { .. } => "CredentialsSecretNotLabelled",
            CredentialsError::WrongType { .. } => "CredentialsSecretWrongType",
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
/// A Secret that is not a credentials Secret ([`check_secret`]) is refused before its data is
/// looked at.
pub fn from_secret(cloud: Cloud, secret: &Secret) -> Result<Credentials, CredentialsError> {
    check_secret(secret)?;
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
        // A labelled Opaque Secret (the type is left unset, as the API server defaults it).
        Secret {
            metadata: ObjectMeta {
                name: Some("creds".into()),
                namespace: Some("team-a".into()),
                labels: Some(
                    [(CREDENTIALS_LABEL.to_string(), "true".to_string())]
                        .into_iter()
                        .collect(),
                ),
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

    #[test]
    fn only_labelled_opaque_secrets_are_credentials() {
        let good = secret(&[("accessKeyId", "LTAI1"), ("accessKeySecret", "S")]);
        assert!(check_secret(&good).is_ok());
        let opaque = Secret {
            type_: Some("Opaque".into()),
            ..good.clone()
        };
        assert!(from_secret(Cloud::Alibaba, &opaque).is_ok());

        // No label: refused before the data is looked at, with the command that fixes it.
        let mut unlabelled = good.clone();
        unlabelled.metadata.labels = None;
        let err = from_secret(Cloud::Alibaba, &unlabelled).unwrap_err();
        assert_eq!(err.reason(), "CredentialsSecretNotLabelled");
        assert!(
            err.to_string().contains(
                "kubectl -n team-a label secret creds cloud.nodepool.dev/credentials=true"
            ),
            "{err}"
        );
        // The label with another value does not count.
        let mut other_value = good.clone();
        other_value
            .metadata
            .labels
            .as_mut()
            .expect("labels")
            .insert(CREDENTIALS_LABEL.into(), "yes".into());
        assert_eq!(
            check_secret(&other_value).unwrap_err().reason(),
            "CredentialsSecretNotLabelled"
        );

        // A ServiceAccount token, even labelled, is not a credentials Secret.
        let token = Secret {
            type_: Some("kubernetes.io/service-account-token".into()),
            data: Some(
                [(
                    "token".to_string(),
                    ByteString(b"eyJhbGciOi-VISIBLE".to_vec()),
                )]
                .into_iter()
                .collect(),
            ),
            ..good.clone()
        };
        let err = from_secret(Cloud::Huawei, &token).unwrap_err();
        assert_eq!(err.reason(), "CredentialsSecretWrongType");
        assert!(
            err.to_string()
                .contains("of type kubernetes.io/service-account-token"),
            "{err}"
        );
        assert!(!err.to_string().contains("VISIBLE"));
    }

    #[test]
    fn a_nodepool_needs_the_secret_it_names_in_its_namespace() {
        let np: NodePool = serde_json::from_value(serde_json::json!({
            "apiVersion": "cloud.nodepool.dev/v1alpha1", "kind": "NodePool",
            "metadata": {"name": "web", "namespace": "team-a"},
            "spec": {"credentialsRef": {"name": "hw"},
                     "alibaba": {"regionId": "cn-hangzhou", "clusterId": "c1"}}
        }))
        .expect("a NodePool");
        assert_eq!(
            credential_secrets(&np),
            vec![ObjectRef::<Secret>::new("hw").within("team-a")]
        );
    }
}
