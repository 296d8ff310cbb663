//! NodePools that use a CloudAccount (`spec.accountRef`): the account's identity — a key in a
//! Secret, the controller's own ServiceAccount token (RRSA, OIDC federation), the instance
//! metadata service, optionally chained to another role — resolved into what a cloud client
//! signs with, and kept per account so that every NodePool, region and project of an account
//! shares one set of temporary credentials, one refresh and one rate budget.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use k8s_openapi::api::core::v1::Secret;
use kube::api::Api;
use kube::runtime::reflector::ObjectRef;
use kube::{Resource, ResourceExt};

use super::context::{Context, Target, target};
use super::error::Error;
use crate::cloud::alibaba::identity::{self as ali, AssumeRoleConfig, OidcRoleConfig};
use crate::cloud::alibaba::{AlibabaClient, AlibabaConfig};
use crate::cloud::auth::HuaweiAuth;
use crate::cloud::http::default_clock;
use crate::cloud::huawei::identity as hw;
use crate::cloud::huawei::{HuaweiClient, HuaweiConfig};
use crate::cloud::identity::{CredentialSource, KeySource, Refreshing};
use crate::cloud::{Cloud, NodePoolProvider};
use crate::crd::account::{AccountCloud, CloudAccount};
use crate::crd::{CloudSpec, NodePool};
use crate::credentials::{self, Credentials, CredentialsError};

/// Where the controller's keyless identities are (the official SDKs' environment variables),
/// and the identity services' endpoints.
#[derive(Clone, Debug, Default)]
pub struct IdentityConfig {
    /// Alibaba STS (`https://sts.aliyuncs.com` by default).
    pub alibaba_sts_endpoint: Option<String>,
    /// `ALIBABA_CLOUD_ROLE_ARN`: the RAM role RRSA assumes.
    pub alibaba_role_arn: Option<String>,
    /// `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`: the RAM OIDC provider.
    pub alibaba_oidc_provider_arn: Option<String>,
    /// `ALIBABA_CLOUD_OIDC_TOKEN_FILE`: the projected ServiceAccount token (audience
    /// `sts.aliyuncs.com`).
    pub alibaba_oidc_token_file: Option<PathBuf>,
    /// `ALIBABA_CLOUD_ROLE_SESSION_NAME` (default `nodepool-controller`).
    pub alibaba_role_session_name: Option<String>,
    /// The ECS metadata service (`http://100.100.100.200` by default).
    pub alibaba_metadata_endpoint: Option<String>,
    /// `HUAWEICLOUD_SDK_IAM_ENDPOINT` (`https://iam.myhuaweicloud.com` by default).
    pub huawei_iam_endpoint: Option<String>,
    /// `HUAWEICLOUD_SDK_IDP_ID`: the IAM identity provider.
    pub huawei_idp_id: Option<String>,
    /// `HUAWEICLOUD_SDK_ID_TOKEN_FILE`: the projected ServiceAccount token.
    pub huawei_id_token_file: Option<PathBuf>,
    /// The ECS metadata service (`http://169.254.169.254` by default).
    pub huawei_metadata_endpoint: Option<String>,
    /// Lifetime asked for temporary credentials, unless a CloudAccount says otherwise.
    pub duration_seconds: Option<u32>,
}

/// Why a CloudAccount cannot be used for a NodePool.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    /// No such CloudAccount.
    #[error("the CloudAccount {name} does not exist: create it, or fix spec.accountRef.name")]
    Missing {
        /// The account.
        name: String,
    },
    /// The account does not list the NodePool's namespace.
    #[error(
        "the CloudAccount {name} does not allow namespace {namespace}: a cluster administrator adds it to the CloudAccount's spec.allowedNamespaces, or use another account"
    )]
    NotAllowed {
        /// The account.
        name: String,
        /// The NodePool's namespace.
        namespace: String,
    },
    /// The account is for the other cloud.
    #[error(
        "the CloudAccount {name} is an {account:?} account but this NodePool is for {cloud}: name a CloudAccount of the NodePool's cloud"
    )]
    WrongCloud {
        /// The account.
        name: String,
        /// The account's cloud.
        account: AccountCloud,
        /// The NodePool's cloud.
        cloud: Cloud,
    },
    /// The controller lacks a setting the account's source needs.
    #[error(
        "the CloudAccount {name} uses {source_kind}, but the controller has no {setting}: {hint}"
    )]
    NotConfigured {
        /// The account.
        name: String,
        /// The source (`RRSA`, `OIDC federation`).
        source_kind: &'static str,
        /// The missing setting.
        setting: &'static str,
        /// How to provide it.
        hint: &'static str,
    },
}

impl AccountError {
    /// A bounded PascalCase reason for conditions and Events.
    pub fn reason(&self) -> &'static str {
        match self {
            AccountError::Missing { .. } => "CloudAccountMissing",
            AccountError::NotAllowed { .. } => "CloudAccountNotAllowed",
            AccountError::WrongCloud { .. } => "CloudAccountWrongCloud",
            AccountError::NotConfigured { .. } => "CloudAccountNotConfigured",
        }
    }
}

/// What an account's clients sign with.
#[derive(Clone, Debug)]
enum AccountKeys {
    Huawei(HuaweiAuth),
    Alibaba(KeySource),
}

/// An account's cloud client for one region and (CCE) project.
type AccountProviders = HashMap<(String, String, String), (String, Arc<dyn NodePoolProvider>)>;

/// Per account: the version it was resolved at (the CloudAccount's `resourceVersion`, and its
/// Secret's), and its keys.
#[derive(Default)]
pub(super) struct Accounts {
    keys: Mutex<HashMap<String, (String, AccountKeys)>>,
    providers: Mutex<AccountProviders>,
}

const SESSION_NAME: &str = "nodepool-controller";
const HINT_RRSA: &str = "enable RRSA for the controller's ServiceAccount (ACK injects ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN and ALIBABA_CLOUD_OIDC_TOKEN_FILE), or set them in the controller's environment; roleArn and oidcProviderArn may also be set in the CloudAccount";
const HINT_FEDERATION: &str = "mount a projected ServiceAccount token for the controller and set HUAWEICLOUD_SDK_ID_TOKEN_FILE and HUAWEICLOUD_SDK_IDP_ID in its environment (or source.oidc.idpId in the CloudAccount)";

impl Context {
    /// The cloud client of a NodePool that names the CloudAccount `name`.
    pub(super) async fn account_provider(
        &self,
        np: &NodePool,
        name: &str,
    ) -> Result<Arc<dyn NodePoolProvider>, Error> {
        let ns = np.namespace().unwrap_or_default();
        let account = match self.accounts.get(&ObjectRef::new(name)) {
            Some(account) => account,
            None => {
                // Right after start the CloudAccounts may not be listed yet.
                let _ = tokio::time::timeout(
                    std::time::Duration::from_secs(10),
                    self.accounts.wait_until_ready(),
                )
                .await;
                self.accounts
                    .get(&ObjectRef::new(name))
                    .ok_or_else(|| AccountError::Missing { name: name.into() })?
            }
        };
        if !account.allows(&ns) {
            return Err(AccountError::NotAllowed {
                name: name.into(),
                namespace: ns,
            }
            .into());
        }
        let Target {
            cloud,
            region,
            project,
            ..
        } = target(np)?;
        let matches = matches!(
            (account.spec.cloud, cloud),
            (AccountCloud::Huawei, Cloud::Huawei) | (AccountCloud::Alibaba, Cloud::Alibaba)
        );
        if !matches {
            return Err(AccountError::WrongCloud {
                name: name.into(),
                account: account.spec.cloud,
                cloud,
            }
            .into());
        }
        let version = self.account_version(&account);
        let key = (name.to_owned(), region, project);
        {
            let cache = self.account_cache.providers.lock().expect("account cache");
            if let Some((v, provider)) = cache.get(&key)
                && *v == version
            {
                return Ok(provider.clone());
            }
        }
        let keys = self.account_keys(&account, name, &version).await?;
        let spec = np.spec.cloud_spec().ok_or(Error::NoCloud)?;
        let provider: Arc<dyn NodePoolProvider> = match (keys, spec) {
            (AccountKeys::Huawei(auth), CloudSpec::Huawei(h)) => {
                let mut cfg = HuaweiConfig::new(&h.region, &h.project_id);
                cfg.endpoint = self.config.huawei_endpoint.clone();
                cfg.http = self.config.http.clone();
                Arc::new(HuaweiClient::new(cfg, auth, &self.limiters)?)
            }
            (AccountKeys::Alibaba(keys), CloudSpec::Alibaba(a)) => {
                let mut cfg = AlibabaConfig::new(&a.region_id);
                cfg.endpoint = self.config.alibaba_endpoint.clone();
                cfg.http = self.config.http.clone();
                Arc::new(AlibabaClient::new(cfg, keys, &self.limiters)?)
            }
            _ => return Err(Error::NoCloud),
        };
        let provider: Arc<dyn NodePoolProvider> =
            Arc::new(super::metered::Metered::new(provider, self.metrics.clone()));
        self.account_cache
            .providers
            .lock()
            .expect("account cache")
            .insert(key, (version, provider.clone()));
        Ok(provider)
    }

    /// The account's version: its `resourceVersion`, and its Secret's when it has one (known
    /// from the credentials Secrets' metadata watch, without reading the Secret).
    fn account_version(&self, account: &CloudAccount) -> String {
        let own = account.meta().resource_version.clone().unwrap_or_default();
        match &account.spec.source.secret_ref {
            Some(s) => {
                let secret = self
                    .secrets
                    .get(&ObjectRef::new(&s.name).within(&s.namespace))
                    .and_then(|m| m.metadata.resource_version.clone())
                    .unwrap_or_default();
                format!("{own}/{secret}")
            }
            None => own,
        }
    }

    /// The account's keys, built once per account version.
    async fn account_keys(
        &self,
        account: &CloudAccount,
        name: &str,
        version: &str,
    ) -> Result<AccountKeys, Error> {
        {
            let cache = self.account_cache.keys.lock().expect("account cache");
            if let Some((v, keys)) = cache.get(name)
                && v == version
            {
                return Ok(keys.clone());
            }
        }
        let keys = self.build_account_keys(account, name).await?;
        self.account_cache
            .keys
            .lock()
            .expect("account cache")
            .insert(name.to_owned(), (version.to_owned(), keys.clone()));
        Ok(keys)
    }

    async fn build_account_keys(
        &self,
        account: &CloudAccount,
        name: &str,
    ) -> Result<AccountKeys, Error> {
        let id = &self.config.identity;
        let http = &self.config.http;
        let spec = &account.spec;
        let source = &spec.source;
        let label = format!("cloudaccount/{name}");
        // The rate budget is the account's: the source's own when nothing is chained.
        let base_account = if spec.assume_role.is_some() {
            format!("{label}/source")
        } else {
            label.clone()
        };
        let duration = spec
            .assume_role
            .as_ref()
            .and_then(|r| r.duration_seconds)
            .and_then(|d| u32::try_from(d).ok())
            .or(id.duration_seconds);
        let refreshing = |cloud: Cloud, s: Arc<dyn CredentialSource>, account: String| {
            let metrics = self.metrics.clone();
            let label = cloud.label();
            Arc::new(
                Refreshing::new(cloud, s, account, default_clock()).with_fetch_hook(Arc::new(
                    move |kind, outcome| metrics.credential_fetch(label, kind, outcome),
                )),
            )
        };
        match spec.cloud {
            AccountCloud::Alibaba => {
                let sts = id
                    .alibaba_sts_endpoint
                    .clone()
                    .unwrap_or_else(|| ali::DEFAULT_STS_ENDPOINT.to_owned());
                let session = id
                    .alibaba_role_session_name
                    .clone()
                    .unwrap_or_else(|| SESSION_NAME.to_owned());
                let base: KeySource = if let Some(secret_ref) = &source.secret_ref {
                    match self
                        .account_secret(Cloud::Alibaba, &secret_ref.namespace, &secret_ref.name)
                        .await?
                    {
                        Credentials::Alibaba(key) => KeySource::Static(key),
                        Credentials::Huawei(_) => return Err(Error::NoCloud),
                    }
                } else if let Some(oidc) = &source.oidc {
                    let not_configured = |setting| AccountError::NotConfigured {
                        name: name.into(),
                        source_kind: "RRSA",
                        setting,
                        hint: HINT_RRSA,
                    };
                    let config = OidcRoleConfig {
                        sts_endpoint: sts.clone(),
                        role_arn: oidc
                            .role_arn
                            .clone()
                            .or_else(|| id.alibaba_role_arn.clone())
                            .ok_or_else(|| not_configured("RAM role (ALIBABA_CLOUD_ROLE_ARN)"))?,
                        provider_arn: oidc
                            .oidc_provider_arn
                            .clone()
                            .or_else(|| id.alibaba_oidc_provider_arn.clone())
                            .ok_or_else(|| {
                                not_configured("OIDC provider (ALIBABA_CLOUD_OIDC_PROVIDER_ARN)")
                            })?,
                        token_file: id.alibaba_oidc_token_file.clone().ok_or_else(|| {
                            not_configured("ServiceAccount token (ALIBABA_CLOUD_OIDC_TOKEN_FILE)")
                        })?,
                        session_name: session.clone(),
                        duration_seconds: id
                            .duration_seconds
                            .unwrap_or(ali::DEFAULT_DURATION_SECONDS),
                    };
                    let s = ali::OidcRole::new(config, &label, http, &self.limiters)?;
                    KeySource::Refreshing(refreshing(
                        Cloud::Alibaba,
                        Arc::new(s),
                        base_account.clone(),
                    ))
                } else {
                    let endpoint = id
                        .alibaba_metadata_endpoint
                        .clone()
                        .unwrap_or_else(|| ali::DEFAULT_METADATA_ENDPOINT.to_owned());
                    let role = source
                        .instance_metadata
                        .as_ref()
                        .and_then(|m| m.role_name.clone());
                    let s = ali::EcsRamRole::new(&endpoint, role, &label, http, &self.limiters)?;
                    KeySource::Refreshing(refreshing(
                        Cloud::Alibaba,
                        Arc::new(s),
                        base_account.clone(),
                    ))
                };
                let keys = match &spec.assume_role {
                    Some(chain) => {
                        let config = AssumeRoleConfig {
                            sts_endpoint: sts,
                            role_arn: chain.role_arn.clone().unwrap_or_default(),
                            external_id: chain.external_id.clone(),
                            session_name: chain.session_name.clone().unwrap_or(session),
                            duration_seconds: duration.unwrap_or(ali::DEFAULT_DURATION_SECONDS),
                        };
                        let s = ali::AssumeRole::new(config, base, &label, http, &self.limiters)?;
                        KeySource::Refreshing(refreshing(Cloud::Alibaba, Arc::new(s), label))
                    }
                    None => base,
                };
                Ok(AccountKeys::Alibaba(keys))
            }
            AccountCloud::Huawei => {
                let iam = id
                    .huawei_iam_endpoint
                    .clone()
                    .unwrap_or_else(|| hw::DEFAULT_IAM_ENDPOINT.to_owned());
                let base: HuaweiAuth = if let Some(secret_ref) = &source.secret_ref {
                    match self
                        .account_secret(Cloud::Huawei, &secret_ref.namespace, &secret_ref.name)
                        .await?
                    {
                        Credentials::Huawei(auth) => auth,
                        Credentials::Alibaba(_) => return Err(Error::NoCloud),
                    }
                } else if let Some(oidc) = &source.oidc {
                    let not_configured = |setting| AccountError::NotConfigured {
                        name: name.into(),
                        source_kind: "OIDC federation",
                        setting,
                        hint: HINT_FEDERATION,
                    };
                    let idp = oidc
                        .idp_id
                        .clone()
                        .or_else(|| id.huawei_idp_id.clone())
                        .ok_or_else(|| {
                            not_configured("identity provider (HUAWEICLOUD_SDK_IDP_ID)")
                        })?;
                    let file = id.huawei_id_token_file.clone().ok_or_else(|| {
                        not_configured("ID token (HUAWEICLOUD_SDK_ID_TOKEN_FILE)")
                    })?;
                    let s = hw::Federation::new(
                        &iam,
                        idp,
                        file,
                        id.duration_seconds.unwrap_or(hw::DEFAULT_DURATION_SECONDS),
                        &label,
                        http,
                        &self.limiters,
                    )?;
                    HuaweiAuth::Refreshing(refreshing(
                        Cloud::Huawei,
                        Arc::new(s),
                        base_account.clone(),
                    ))
                } else {
                    let endpoint = id
                        .huawei_metadata_endpoint
                        .clone()
                        .unwrap_or_else(|| hw::DEFAULT_METADATA_ENDPOINT.to_owned());
                    let s = hw::EcsMetadata::new(&endpoint, &label, http, &self.limiters)?;
                    HuaweiAuth::Refreshing(refreshing(
                        Cloud::Huawei,
                        Arc::new(s),
                        base_account.clone(),
                    ))
                };
                let auth = match &spec.assume_role {
                    Some(chain) => {
                        let base = match base {
                            HuaweiAuth::AccessKey(key) => KeySource::Static(key),
                            HuaweiAuth::Refreshing(r) => KeySource::Refreshing(r),
                            HuaweiAuth::Token(_) => {
                                return Err(AccountError::NotConfigured {
                                    name: name.into(),
                                    source_kind: "an agency (assumeRole)",
                                    setting: "access key",
                                    hint: "agency chaining signs with an access key: put accessKey and secretKey in the account's Secret instead of a token",
                                }
                                .into());
                            }
                        };
                        let s = hw::Agency::new(
                            &iam,
                            base,
                            chain.domain_name.clone().unwrap_or_default(),
                            chain.agency_name.clone().unwrap_or_default(),
                            duration.unwrap_or(hw::DEFAULT_DURATION_SECONDS),
                            &label,
                            http,
                            &self.limiters,
                        )?;
                        HuaweiAuth::Refreshing(refreshing(Cloud::Huawei, Arc::new(s), label))
                    }
                    None => base,
                };
                Ok(AccountKeys::Huawei(auth))
            }
        }
    }

    /// Reads the credentials Secret a CloudAccount names.
    async fn account_secret(
        &self,
        cloud: Cloud,
        namespace: &str,
        name: &str,
    ) -> Result<Credentials, Error> {
        let secrets: Api<Secret> = Api::namespaced(self.client.clone(), namespace);
        let secret =
            secrets
                .get_opt(name)
                .await?
                .ok_or_else(|| CredentialsError::SecretMissing {
                    namespace: namespace.to_owned(),
                    name: name.to_owned(),
                })?;
        Ok(credentials::from_secret(cloud, &secret)?)
    }
}
