//! The `CloudAccount` API (`cloud.nodepool.dev/v1alpha1`, cluster-scoped): a cloud identity the
//! platform team configures once and lets listed namespaces use, instead of a key pair in a
//! Secret of every namespace. NodePools name it in `spec.accountRef`.
//!
//! Why cluster-scoped: keyless sources (RRSA, OIDC federation, instance metadata) are the
//! controller's own identity; a namespaced object would let any namespace that can create one
//! act as the controller. The account object is written by whoever administers the cluster and
//! says which namespaces may use it, as Crossplane's `ClusterProviderConfig` and AWS-ACK's
//! cross-account role map do (docs/design.md).

use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A cloud account the controller can act as, and which namespaces' NodePools may use it.
///
/// Exactly one credentials source: `source.secretRef` (a key pair in a Secret of a namespace the
/// platform team owns), `source.oidc` (keyless: Alibaba RRSA or Huawei OIDC federation with the
/// controller's ServiceAccount token) or `source.instanceMetadata` (the cloud instance the
/// controller runs on). `assumeRole` then optionally chains to another role (per-tenant
/// accounts).
#[derive(CustomResource, KubeSchema, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "cloud.nodepool.dev",
    version = "v1alpha1",
    kind = "CloudAccount",
    plural = "cloudaccounts",
    singular = "cloudaccount",
    shortname = "cacct",
    category = "cloud",
    derive = "PartialEq",
    printcolumn(name = "Cloud", type_ = "string", json_path = ".spec.cloud"),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[x_kube(
    validation = Rule::new("[has(self.source.secretRef), has(self.source.oidc), has(self.source.instanceMetadata)].filter(x, x).size() == 1")
        .message("set exactly one of spec.source.secretRef, spec.source.oidc or spec.source.instanceMetadata"),
    validation = Rule::new("self.cloud == 'Alibaba' || !has(self.assumeRole) || (!has(self.assumeRole.roleArn) && !has(self.assumeRole.externalId))")
        .message("assumeRole.roleArn and assumeRole.externalId are Alibaba Cloud's (RAM roles); a Huawei Cloud account chains with assumeRole.domainName and assumeRole.agencyName"),
    validation = Rule::new("self.cloud == 'Huawei' || !has(self.assumeRole) || (!has(self.assumeRole.domainName) && !has(self.assumeRole.agencyName))")
        .message("assumeRole.domainName and assumeRole.agencyName are Huawei Cloud's (IAM agencies); an Alibaba Cloud account chains with assumeRole.roleArn"),
    validation = Rule::new("!has(self.assumeRole) || (self.cloud == 'Alibaba' ? has(self.assumeRole.roleArn) : (has(self.assumeRole.domainName) && has(self.assumeRole.agencyName)))")
        .message("assumeRole needs roleArn (Alibaba Cloud) or domainName and agencyName (Huawei Cloud)"),
    validation = Rule::new("self.cloud == 'Alibaba' || !has(self.source.oidc) || (!has(self.source.oidc.roleArn) && !has(self.source.oidc.oidcProviderArn))")
        .message("source.oidc.roleArn and source.oidc.oidcProviderArn are Alibaba Cloud's (RRSA); a Huawei Cloud account names source.oidc.idpId"),
    validation = Rule::new("self.cloud == 'Huawei' || !has(self.source.oidc) || !has(self.source.oidc.idpId)")
        .message("source.oidc.idpId is Huawei Cloud's (IAM identity provider); an Alibaba Cloud account names source.oidc.roleArn and source.oidc.oidcProviderArn"),
    validation = Rule::new("self.cloud == 'Alibaba' || !has(self.source.instanceMetadata) || !has(self.source.instanceMetadata.roleName)")
        .message("source.instanceMetadata.roleName is Alibaba Cloud's (the ECS RAM role); a Huawei Cloud ECS has one agency and needs no name"),
)]
#[serde(rename_all = "camelCase")]
pub struct CloudAccountSpec {
    /// The cloud: `Huawei` (Huawei Cloud) or `Alibaba` (Alibaba Cloud). Cannot change.
    #[x_kube(validation = Rule::new("self == oldSelf").message("the cloud of a CloudAccount cannot change; create another CloudAccount"))]
    pub cloud: AccountCloud,

    /// Where the credentials come from: exactly one of `secretRef`, `oidc`, `instanceMetadata`.
    pub source: AccountSource,

    /// Role chaining: with the source's credentials, assume this role (Alibaba: a RAM role,
    /// optionally with an ExternalId) or agency (Huawei) and act as it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assume_role: Option<AssumeRole>,

    /// The namespaces whose NodePools may use this account (`*` for every namespace). A NodePool
    /// in another namespace is refused with a Stalled condition.
    #[x_kube(validation = Rule::new("self.all(n, n == '*' || n.matches('^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$'))").message("allowedNamespaces lists namespace names (lowercase letters, digits and '-', at most 63 characters), or '*' for all"))]
    #[schemars(length(max = 64), inner(length(max = 63)))]
    pub allowed_namespaces: Vec<String>,
}

/// A cloud.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum AccountCloud {
    /// Huawei Cloud (CCE).
    Huawei,
    /// Alibaba Cloud (ACK).
    Alibaba,
}

/// Where an account's credentials come from. Exactly one field is set.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountSource {
    /// A key pair in a Secret (labelled as a credentials Secret), in a namespace the platform
    /// team owns; the same keys as a NodePool's `credentialsRef` Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<AccountSecretRef>,

    /// Keyless, with the controller's own projected ServiceAccount token. Alibaba: RRSA
    /// (`AssumeRoleWithOIDC`; the role and OIDC provider come from here or from the controller's
    /// `ALIBABA_CLOUD_ROLE_ARN` and `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`, the token from
    /// `ALIBABA_CLOUD_OIDC_TOKEN_FILE`). Huawei: IAM OIDC federation (the identity provider from
    /// here or `HUAWEICLOUD_SDK_IDP_ID`, the token from `HUAWEICLOUD_SDK_ID_TOKEN_FILE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc: Option<OidcSource>,

    /// Keyless, from the metadata service of the cloud instance the controller runs on
    /// (Alibaba: the ECS instance's RAM role; Huawei: the ECS agency's security key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_metadata: Option<MetadataSource>,
}

/// A Secret in a named namespace.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
pub struct AccountSecretRef {
    /// The Secret's namespace.
    #[x_kube(validation = Rule::new("self.matches('^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$')").message("secretRef.namespace must be a namespace name"))]
    #[schemars(length(max = 63))]
    pub namespace: String,
    /// The Secret's name.
    #[x_kube(validation = Rule::new("self.size() > 0 && self.size() <= 253").message("secretRef.name must name a Secret (1-253 characters)"))]
    #[schemars(length(max = 253))]
    pub name: String,
}

/// Keyless OIDC settings; every field defaults to the controller's environment.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct OidcSource {
    /// Alibaba: the RAM role to assume, `acs:ram::<account ID>:role/<name>` (default: the
    /// controller's `ALIBABA_CLOUD_ROLE_ARN`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.matches('^acs:ram::[0-9]+:role/[^/]+$')").message("roleArn must look like acs:ram::<account ID>:role/<role name>"))]
    #[schemars(length(max = 256))]
    pub role_arn: Option<String>,
    /// Alibaba: the RAM OIDC provider, `acs:ram::<account ID>:oidc-provider/<name>` (default:
    /// the controller's `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.matches('^acs:ram::[0-9]+:oidc-provider/[^/]+$')").message("oidcProviderArn must look like acs:ram::<account ID>:oidc-provider/<name>"))]
    #[schemars(length(max = 256))]
    pub oidc_provider_arn: Option<String>,
    /// Huawei: the IAM identity provider's ID (default: the controller's
    /// `HUAWEICLOUD_SDK_IDP_ID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.size() > 0 && self.size() <= 64").message("idpId must name an IAM identity provider (1-64 characters)"))]
    #[schemars(length(max = 64))]
    pub idp_id: Option<String>,
}

/// Instance metadata settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetadataSource {
    /// Alibaba: the ECS instance's RAM role name (default: the instance's only role).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.size() > 0 && self.size() <= 64").message("roleName must name a RAM role (1-64 characters)"))]
    #[schemars(length(max = 64))]
    pub role_name: Option<String>,
}

/// Role chaining from the source's identity.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssumeRole {
    /// Alibaba: the RAM role to assume, `acs:ram::<account ID>:role/<name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.matches('^acs:ram::[0-9]+:role/[^/]+$')").message("assumeRole.roleArn must look like acs:ram::<account ID>:role/<role name>"))]
    #[schemars(length(max = 256))]
    pub role_arn: Option<String>,
    /// Alibaba: the ExternalId the role's trust policy requires (not a secret; it tells tenants
    /// apart).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.matches('^[-_.:/=+@a-zA-Z0-9]+$')").message("assumeRole.externalId must be 2-1224 characters of letters, digits and -_.:/=+@"))]
    #[schemars(length(min = 2, max = 1224))]
    pub external_id: Option<String>,
    /// Huawei: the account (domain) name that owns the agency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.size() > 0 && self.size() <= 64").message("assumeRole.domainName must name an account (1-64 characters)"))]
    #[schemars(length(max = 64))]
    pub domain_name: Option<String>,
    /// Huawei: the agency to assume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.size() > 0 && self.size() <= 64").message("assumeRole.agencyName must name an agency (1-64 characters)"))]
    #[schemars(length(max = 64))]
    pub agency_name: Option<String>,
    /// The session name the cloud's audit log shows (default `nodepool-controller`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.matches('^[-_.@a-zA-Z0-9]{2,64}$')").message("assumeRole.sessionName must be 2-64 characters of letters, digits and -_.@"))]
    #[schemars(length(max = 64))]
    pub session_name: Option<String>,
    /// How long the temporary credentials live, 900-43200 seconds (default 3600); they are
    /// refreshed when a third of that is left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 900, max = 43200))]
    pub duration_seconds: Option<i32>,
}

impl CloudAccount {
    /// Whether NodePools of `namespace` may use this account.
    pub fn allows(&self, namespace: &str) -> bool {
        self.spec
            .allowed_namespaces
            .iter()
            .any(|n| n == "*" || n == namespace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_allowed_by_name_or_wildcard() {
        let mut a = CloudAccount::new(
            "a",
            CloudAccountSpec {
                cloud: AccountCloud::Alibaba,
                source: AccountSource::default(),
                assume_role: None,
                allowed_namespaces: vec!["team-a".into()],
            },
        );
        assert!(a.allows("team-a"));
        assert!(!a.allows("team-b"));
        assert!(!a.allows("team"));
        a.spec.allowed_namespaces.push("*".into());
        assert!(a.allows("team-b"));
        a.spec.allowed_namespaces.clear();
        assert!(!a.allows("team-a"));
    }
}
