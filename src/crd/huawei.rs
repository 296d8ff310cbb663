//! `spec.huawei`: a node pool in a Huawei Cloud CCE cluster (CCE API v3).
//!
//! [`HuaweiNodePool`] says where the pool lives (region, project, cluster), what it is
//! called at CCE, and — flattened in, under CCE's own JSON names — every field of CCE's
//! node pool `spec` as the official SDK (`huaweicloudsdkcce` 3.1.219, models `NodePoolSpec`,
//! `NodeTemplate` and their children) knows it. [`HuaweiNodePool::create_body`] turns it
//! into the body of `POST /api/v3/projects/{project_id}/clusters/{cluster_id}/nodepools`.
//!
//! Left out on purpose: what CCE generates and only reports (`metadata.uid`, timestamps,
//! `resourceVersion`, `extensionScaleGroups[].metadata.uid`) and the update-only login flags
//! (`removeUserPassword`, `removeSSHKey`), which mean nothing in a create request.
//!
//! Fields CCE cannot change after the pool is created (what its update model `NodePoolUpdate`
//! cannot carry, plus `flavor` and `az`, which it documents as not modifiable) are refused on
//! update by CEL transition rules; `tests/sdk/check_immutable.py` derives that set from the SDK
//! and checks it against the generated CRD.
//!
//! Doc comments on the types below become the `kubectl explain` text of `spec.huawei`.

use std::collections::BTreeMap;

use kube::KubeSchema;
use kube::core::{Message, Rule};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// CEL expression for the CCE node pool name rule, applied to `self`.
const CCE_NAME_RULE: &str =
    "self.matches('^[a-z]([-a-z0-9]{0,48}[a-z0-9])?$') && self != 'DefaultPool'";

/// Key of the CCE user tag (`nodeTemplate.userTags`) the controller adds with the NodePool's UID.
pub const CCE_OWNER_UID_TAG: &str = crate::cloud::huawei::marks::OWNER_UID_TAG;
/// Key of the CCE user tag (`nodeTemplate.userTags`) the controller adds naming the NodePool.
pub const CCE_OWNER_TAG: &str = crate::cloud::huawei::marks::OWNER_TAG;
/// CCE's limit on `nodeTemplate.userTags`, owner tags included: "keys must be unique; the
/// number of user tags CCE supports depends on the region, at most 8" (CCE API reference,
/// CreateNodePool, `NodeSpec.userTags`, <https://support.huaweicloud.com/api-cce/cce_02_0354.html>;
/// the same text is in the `huaweicloudsdkcce` 3.1.219 docstrings of `NodeTemplate.user_tags`
/// and `NodeSpecUpdate.user_tags`). A spec may set `CCE_MAX_USER_TAGS - 2` of them
/// ([`CCE_MAX_SPEC_USER_TAGS`]): the controller adds [`CCE_OWNER_UID_TAG`] and [`CCE_OWNER_TAG`].
pub const CCE_MAX_USER_TAGS: usize = 8;
/// User tags a spec may set: [`CCE_MAX_USER_TAGS`] minus the two owner tags.
pub const CCE_MAX_SPEC_USER_TAGS: usize = CCE_MAX_USER_TAGS - 2;

/// CEL name of a property (Kubernetes' escaping, `k8s.io/apiserver/pkg/cel/escaping.go`):
/// `__` -> `__underscores__`, `.` -> `__dot__`, `-` -> `__dash__`, `/` -> `__slash__`.
/// Names with other characters (such as `:`) cannot be used in CEL at all.
fn cel_name(name: &str) -> String {
    assert!(
        name.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c))
            && !name.starts_with(|c: char| c.is_ascii_digit()),
        "{name} cannot be addressed in CEL"
    );
    name.replace("__", "__underscores__")
        .replace('.', "__dot__")
        .replace('-', "__dash__")
        .replace('/', "__slash__")
}

/// `has(x.a) && has(x.a.b) && ...` for `path` below `root`, and the CEL path itself.
fn presence(root: &str, path: &[&str]) -> (String, String) {
    let mut at = root.to_string();
    let mut checks = Vec::new();
    for name in path {
        at = format!("{at}.{}", cel_name(name));
        checks.push(format!("has({at})"));
    }
    let all = checks.join(" && ");
    (
        if path.len() > 1 {
            format!("({all})")
        } else {
            all
        },
        at,
    )
}

/// The `fieldPath` of a rule for `path`: `.a.b`, or `.a['b-c']` for names that are not identifiers.
fn field_path(path: &[&str]) -> String {
    path.iter()
        .map(|name| {
            if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                format!(".{name}")
            } else {
                format!("['{name}']")
            }
        })
        .collect()
}

/// A transition rule, on an object present in both the old and the new NodePool, that refuses
/// setting, removing or changing the field at `path` (JSON names, each step optional):
/// `has(self.x) == has(oldSelf.x) && (!has(self.x) || self.x == oldSelf.x)`. A rule on the
/// field itself would only run when both the old and the new object have it.
pub(super) fn unchanged(path: &[&str], message: String) -> Rule {
    let (new, new_path) = presence("self", path);
    let (old, old_path) = presence("oldSelf", path);
    Rule::new(format!(
        "{new} == {old} && (!{new} || {new_path} == {old_path})"
    ))
    .message(Message::Message(message))
    .field_path(field_path(path))
}

/// Like [`unchanged`] for a field whose absence means `default` (a CEL literal): setting it to
/// its default is no change.
pub(super) fn unchanged_or(path: &[&str], default: &str, message: String) -> Rule {
    let (new, new_path) = presence("self", path);
    let (old, old_path) = presence("oldSelf", path);
    Rule::new(format!(
        "({new} ? {new_path} : {default}) == ({old} ? {old_path} : {default})"
    ))
    .message(Message::Message(message))
    .field_path(field_path(path))
}

/// The message for a field of `spec.huawei` at `path` that CCE cannot change in place.
fn cce_fixed_message(path: &[&str], hint: &str) -> String {
    format!(
        "spec.huawei.{} cannot be set, changed or removed after the pool is created (CCE cannot change it in place); {hint}",
        path.join(".")
    )
}

/// [`unchanged`] for a field of `spec.huawei` (relative to the object the rule sits on, which
/// is `spec.huawei` itself or `nodeTemplate`, named by `under`).
fn cce_fixed(under: &[&str], path: &[&str], hint: &str) -> Rule {
    let full: Vec<&str> = under.iter().chain(path).copied().collect();
    unchanged(path, cce_fixed_message(&full, hint))
}

/// [`cce_fixed`] for a field below `nodeTemplate`.
fn template_fixed(path: &[&str], hint: &str) -> Rule {
    cce_fixed(&["nodeTemplate"], path, hint)
}

/// What to do about a field CCE cannot change: the generic advice.
const CCE_NEW_POOL: &str = "create a new NodePool with the new value and move the workloads to it";
/// What to do about a billing field CCE cannot change.
const CCE_NEW_BILLING: &str =
    "create a new NodePool with the new billing settings and move the workloads to it";
/// What to do about a node setting CCE cannot change for a pool's nodes.
const CCE_NEW_NODES: &str =
    "create a new NodePool whose nodes have the new setting and move the workloads to it";
/// What to do about a field for single nodes that CCE cannot change for a pool.
const CCE_SINGLE_NODES: &str =
    "it is for single nodes, not pools; create a new NodePool without it";

/// A node pool in a Huawei Cloud CCE cluster: where it lives, its name at CCE, and CCE's
/// own node pool spec (every field after `annotations`, with CCE's JSON names).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[x_kube(
    validation = Rule::new("has(self.name) == has(oldSelf.name)")
        .message("spec.huawei.name cannot be added or removed after creation: the CCE pool is found by its name (spec.huawei.name, else metadata.name); create a new NodePool instead")
        .field_path(".name"),
    validation = Rule::new("has(self.initialNodeCount)")
        .message("spec.huawei.initialNodeCount is required: set the number of nodes CCE creates with the pool (0 or more)")
        .reason(Reason::FieldValueRequired)
        .field_path(".initialNodeCount"),
    validation = cce_fixed(&[], &["annotations"], CCE_NEW_POOL),
    validation = unchanged_or(&["type"], "'vm'", "spec.huawei.type cannot change after the pool is created (unset means vm; CCE cannot change it in place); create a new NodePool of the other type and move the workloads to it".into()),
    validation = cce_fixed(&[], &["podSecurityGroups"], CCE_NEW_POOL),
)]
#[serde(rename_all = "camelCase")]
pub struct HuaweiNodePool {
    /// Huawei Cloud region of the cluster, e.g. `cn-north-4`; the controller calls
    /// `https://cce.{region}.myhuaweicloud.com`. Cannot change after creation.
    #[schemars(length(max = 63))]
    #[x_kube(
        validation = Rule::new("self.matches('^[a-z][a-z0-9]*(-[a-z0-9]+)*$')")
            .message("spec.huawei.region must be a Huawei Cloud region ID such as cn-north-4 (lowercase letters, digits and '-')"),
        validation = Rule::new("self == oldSelf")
            .message("spec.huawei.region cannot change after creation; create a new NodePool for a pool in another region"),
    )]
    pub region: String,

    /// ID of the IAM project of `region` that owns the cluster (32 hex characters,
    /// see "My Credentials" in the console). Cannot change after creation.
    #[schemars(length(max = 64))]
    #[x_kube(
        validation = Rule::new("self.matches('^[A-Za-z0-9-]+$')")
            .message("spec.huawei.projectId must be a non-empty project ID made of letters, digits and '-' (the 32-character IAM project ID of the region)"),
        validation = Rule::new("self == oldSelf")
            .message("spec.huawei.projectId cannot change after creation; create a new NodePool for a pool in another project"),
    )]
    pub project_id: String,

    /// ID (UUID) of the CCE cluster the pool belongs to. Cannot change after creation.
    #[schemars(length(max = 64))]
    #[x_kube(
        validation = Rule::new("self.matches('^[A-Za-z0-9-]+$')")
            .message("spec.huawei.clusterId must be a non-empty CCE cluster ID made of letters, digits and '-' (a UUID)"),
        validation = Rule::new("self == oldSelf")
            .message("spec.huawei.clusterId cannot change after creation; create a new NodePool for a pool in another cluster"),
    )]
    pub cluster_id: String,

    /// Name of the pool at CCE (default: the NodePool's `metadata.name`). Starts with a lowercase
    /// letter; lowercase letters, digits and '-'; 1-50 characters; no trailing '-'; not `DefaultPool`.
    /// Cannot be set, changed or removed after creation: the controller finds the pool by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 50))]
    #[x_kube(
        validation = Rule::new(CCE_NAME_RULE)
            .message("spec.huawei.name must start with a lowercase letter, contain only lowercase letters, digits and '-', be 1-50 characters long, not end with '-' and not be 'DefaultPool'"),
        validation = Rule::new("self == oldSelf")
            .message("spec.huawei.name cannot change after creation; the controller finds the CCE pool by this name, so create a new NodePool instead"),
    )]
    pub name: Option<String>,

    /// Annotations sent as `metadata.annotations` of CCE's create request. Note: SDK 3.1.219
    /// documents CCE node pool annotations as read-only (ignored on create); set only keys CCE documents.
    /// Immutable: CCE's update request has no annotations; create a new NodePool to change them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("maxProperties" = 64))]
    pub annotations: Option<BTreeMap<String, String>>,

    /// CCE's node pool spec (sent as the request's `spec`).
    #[serde(flatten)]
    pub spec: CceNodePoolSpec,
}

impl HuaweiNodePool {
    /// The pool's name at CCE: `name` if set, else `default_name` (the NodePool's `metadata.name`).
    pub fn pool_name<'a>(&'a self, default_name: &'a str) -> &'a str {
        self.name.as_deref().unwrap_or(default_name)
    }

    /// The body of CCE's create-node-pool request (`POST .../clusters/{cluster_id}/nodepools`):
    /// `kind`, `apiVersion`, `metadata` (name and, if set, annotations) and `spec` (CCE fields only;
    /// region, project and cluster go into the URL, not the body).
    pub fn create_body(&self, default_name: &str) -> Value {
        let mut metadata = serde_json::Map::new();
        metadata.insert("name".into(), self.pool_name(default_name).into());
        if let Some(annotations) = &self.annotations {
            metadata.insert(
                "annotations".into(),
                Value::Object(
                    annotations
                        .iter()
                        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                        .collect(),
                ),
            );
        }
        serde_json::json!({
            "kind": "NodePool",
            "apiVersion": "v3",
            "metadata": metadata,
            "spec": self.spec.to_value(),
        })
    }
}

/// CCE's node pool `spec` (API v3 `NodePoolSpec`), field for field with CCE's JSON names.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct CceNodePoolSpec {
    /// Node type: `vm` (ECS virtual machines; CCE's default when unset), `ElasticBMS`
    /// (C6 elastic bare-metal, e.g. flavor `c6.22xlarge.2.physical`) or `pm` (bare-metal servers).
    /// Immutable: CCE cannot change a pool's node type; create a new NodePool instead.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub pool_type: Option<CcePoolType>,

    /// The template every node of the pool is created from: flavor, AZ, OS, disks, login, labels...
    pub node_template: CceNodeTemplate,

    /// Nodes to create with the pool (required); at most the node limit of the cluster's flavor.
    /// CCE reports the pool's current target node count here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self >= 0").message("spec.huawei.initialNodeCount must be 0 or more"))]
    pub initial_node_count: Option<i64>,

    /// Auto scaling of the pool by CCE's autoscaler add-on (which must be installed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<CceNodePoolAutoscaling>,

    /// Node self-repair when system or Kubernetes components fail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repair_policy: Option<CceRepairPolicy>,

    /// Node management: the ECS server group all nodes of the pool are created in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_management: Option<CceNodeManagement>,

    /// Security groups for the pods on the pool's nodes (CCE Turbo, clusters v1.21+); at most 5.
    /// Immutable: CCE's update request cannot carry them; create a new NodePool to change them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 5))]
    pub pod_security_groups: Option<Vec<CceSecurityId>>,

    /// Extra scale groups (other flavors/AZs) scaled together with the default one.
    /// On update a given list (even empty) replaces all extension scale groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 100))]
    pub extension_scale_groups: Option<Vec<CceExtensionScaleGroup>>,

    /// Security group IDs for new nodes (default: the cluster's node security group).
    /// Keep the rules CCE itself needs open on these groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_security_groups: Option<Vec<String>>,

    /// Whether taint changes also apply to existing nodes: `refresh` (CCE's default) or `ignore`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taint_policy_on_existing_nodes: Option<CceExistingNodesPolicy>,

    /// Whether Kubernetes label (`k8sTags`) changes also apply to existing nodes:
    /// `refresh` (CCE's default) or `ignore`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_policy_on_existing_nodes: Option<CceExistingNodesPolicy>,

    /// Whether resource tag (`userTags`) changes also apply to existing nodes:
    /// `ignore` (CCE's default) or `refresh`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_tags_policy_on_existing_nodes: Option<CceExistingNodesPolicy>,
}

impl CceNodePoolSpec {
    /// This spec as the JSON object CCE expects (unset fields omitted).
    pub fn to_value(&self) -> Value {
        // Infallible: every map in the spec has string keys, and serde_json turns
        // non-finite floats into `null` rather than failing.
        serde_json::to_value(self).expect("a CceNodePoolSpec always serializes to JSON")
    }
}

/// Node type of a CCE node pool.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
pub enum CcePoolType {
    /// Elastic Cloud Server virtual machines (CCE's default).
    #[default]
    #[serde(rename = "vm")]
    Vm,
    /// C6 elastic bare-metal servers.
    #[serde(rename = "ElasticBMS")]
    ElasticBms,
    /// Bare-metal servers.
    #[serde(rename = "pm")]
    Pm,
}

/// Whether a change to the pool's template also applies to nodes that already exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
#[serde(rename_all = "lowercase")]
pub enum CceExistingNodesPolicy {
    /// Leave existing nodes as they are.
    Ignore,
    /// Update existing nodes too.
    Refresh,
}

/// The node template of a CCE node pool (CCE `nodeTemplate`, the create-node `NodeSpec`).
///
/// The transition rules below refuse changes to what CCE's update (`NodeSpecUpdate`) cannot carry.
/// They sit here, not on the fields, so that setting or removing an optional field is refused too
/// (`nodeTemplate` is required, so it is always there in both the old and the new object).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[x_kube(
    validation = template_fixed(&["flavor"], "add an extension scale group (extensionScaleGroups) with the new flavor, or create a new NodePool"),
    validation = template_fixed(&["az"], "add an extension scale group (extensionScaleGroups) in the new AZ, or create a new NodePool"),
    validation = unchanged_or(&["billingMode"], "0", "spec.huawei.nodeTemplate.billingMode cannot change after the pool is created (unset means 0, pay-per-use; CCE cannot change it in place); create a new NodePool with the new billing mode and move the workloads to it".into()),
    validation = template_fixed(&["volumeConfig"], CCE_NEW_NODES),
    validation = template_fixed(&["count"], "it is for batch node creates, not pools; create a new NodePool without it"),
    validation = template_fixed(&["dedicatedHostId"], CCE_NEW_NODES),
    validation = template_fixed(&["hostnameConfig"], CCE_NEW_NODES),
    validation = template_fixed(&["partition"], CCE_NEW_POOL),
    validation = template_fixed(&["configurationsOverride"], "create a new NodePool with the new component settings (CCE changes them only through its node pool configuration API, which this controller does not call)"),
    validation = template_fixed(&["publicIP", "ids"], CCE_SINGLE_NODES),
    validation = template_fixed(&["publicIP", "count"], CCE_SINGLE_NODES),
    validation = template_fixed(&["publicIP", "eip"], CCE_SINGLE_NODES),
    validation = template_fixed(&["nodeNicSpec", "extNics"], CCE_NEW_NODES),
    validation = template_fixed(&["nodeNicSpec", "primaryNic", "fixedIps"], CCE_SINGLE_NODES),
    validation = template_fixed(&["nodeNicSpec", "primaryNic", "ipBlock"], CCE_SINGLE_NODES),
    validation = template_fixed(&["extendParam", "orderID"], "it is reported by CCE; leave it out or as CCE reports it"),
    validation = template_fixed(&["extendParam", "productID"], "it is reported by CCE; leave it out or as CCE reports it"),
    validation = template_fixed(&["extendParam", "periodType"], CCE_NEW_BILLING),
    validation = template_fixed(&["extendParam", "periodNum"], CCE_NEW_BILLING),
    validation = template_fixed(&["extendParam", "isAutoRenew"], CCE_NEW_BILLING),
    validation = template_fixed(&["extendParam", "isAutoPay"], CCE_NEW_BILLING),
    validation = template_fixed(&["extendParam", "chargingMode"], CCE_NEW_BILLING),
    validation = template_fixed(&["extendParam", "marketType"], CCE_NEW_BILLING),
    validation = template_fixed(&["extendParam", "maxPods"], CCE_NEW_NODES),
    validation = template_fixed(&["extendParam", "DockerLVMConfigOverride"], CCE_NEW_NODES),
    validation = template_fixed(&["extendParam", "dockerBaseSize"], CCE_NEW_NODES),
    validation = template_fixed(&["extendParam", "containerBaseSize"], CCE_NEW_NODES),
    validation = template_fixed(&["extendParam", "publicKey"], CCE_NEW_NODES),
    validation = template_fixed(&["extendParam", "kubeReservedMem"], CCE_NEW_NODES),
    validation = template_fixed(&["extendParam", "systemReservedMem"], CCE_NEW_NODES),
    validation = template_fixed(&["extendParam", "kubeReservedCpu"], CCE_NEW_NODES),
    validation = template_fixed(&["extendParam", "systemReservedCpu"], CCE_NEW_NODES),
    validation = template_fixed(&["extendParam", "kubeReservedPid"], CCE_NEW_NODES),
    validation = template_fixed(&["extendParam", "systemReservedPid"], CCE_NEW_NODES),
    validation = template_fixed(&["extendParam", "kubeReservedStorage"], CCE_NEW_NODES),
    validation = template_fixed(&["extendParam", "systemReservedStorage"], CCE_NEW_NODES),
    validation = template_fixed(&["extendParam", "init-node-password"], CCE_NEW_NODES),
    validation = template_fixed(&["extendParam", "serverMetadataHttpTokens"], CCE_NEW_NODES),
)]
#[serde(rename_all = "camelCase")]
pub struct CceNodeTemplate {
    /// ECS flavor of the nodes, e.g. `s6.large.2` (see CCE's list of node flavors).
    /// Needed unless the pool only uses extension scale groups.
    /// Immutable: CCE cannot change it; add an extension scale group with the new flavor, or
    /// create a new NodePool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flavor: Option<String>,

    /// Availability zone of the nodes, e.g. `cn-north-4a`; `random` lets CCE pick one per node
    /// (not allowed together with extension scale groups).
    /// Immutable: CCE cannot change it; add an extension scale group in the new AZ, or create a
    /// new NodePool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub az: Option<String>,

    /// Operating system, e.g. `EulerOS 2.9` or `Huawei Cloud EulerOS 2.0`. Unset: CCE picks one
    /// for the cluster version; optional with a private image (`extendParam.alpha.cce/NodeImageID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,

    /// How to log in to the nodes: an SSH key pair (preferred) or a password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<CceLogin>,

    /// What happens to data disks when a node is reset.
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_config: Option<CceVolumeConfig>,

    /// System disk of each node. Size 40-1024 GiB (20-1024 GiB from cluster v1.28).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_volume: Option<CceVolume>,

    /// Data disks of each node (at most 16 for VMs, 10 for bare metal). The first one holds the
    /// container runtime and kubelet unless `storage` says otherwise; may be empty only then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 16))]
    pub data_volumes: Option<Vec<CceVolume>>,

    /// Advanced disk layout: which disks (selectors) form which volume groups and how they are split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<CceStorage>,

    /// Elastic IPs for the nodes. For pools CCE uses `iptype` and `bandwidth`; `ids`, `count`
    /// and `eip` belong to single nodes (CCE reports `eip` back for pools too).
    #[serde(rename = "publicIP", default, skip_serializing_if = "Option::is_none")]
    pub public_ip: Option<CcePublicIp>,

    /// Network interfaces of the nodes: the primary NIC's subnet(s) and extension NICs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_nic_spec: Option<CceNodeNicSpec>,

    /// Number of nodes for a batch node create; not used for pools and not reported for them.
    /// Immutable: CCE's update cannot carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self >= 1").message("spec.huawei.nodeTemplate.count must be 1 or more (it is not needed for a pool; prefer leaving it out)"))]
    pub count: Option<i64>,

    /// Billing mode: `0` pay-per-use (CCE's default), `1` yearly/monthly (set
    /// `extendParam.periodType`/`periodNum`), `2` yearly/monthly with auto-pay (deprecated).
    /// Immutable (unset means 0): CCE cannot change the billing mode of a pool; create a new NodePool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self in [0, 1, 2]").message("spec.huawei.nodeTemplate.billingMode must be 0 (pay-per-use), 1 (yearly/monthly) or 2 (deprecated yearly/monthly with auto-pay)"))]
    pub billing_mode: Option<i64>,

    /// Kubernetes taints put on the pool's nodes (at most 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 20))]
    pub taints: Option<Vec<CceTaint>>,

    /// `true`: pods are scheduled to a new node only after its post-install script finished;
    /// `false` (default): as soon as the node is Ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_post_install_finish: Option<bool>,

    /// Kubernetes labels put on the pool's nodes (at most 20). CCE adds
    /// `cce.cloud.com/cce-nodepool: <pool name>` itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("maxProperties" = 20))]
    pub k8s_tags: Option<BTreeMap<String, String>>,

    /// ECS server group for a single node. Ignored for pools: use `nodeManagement.serverGroupReference`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecs_group_id: Option<String>,

    /// Dedicated host (DeH) ID to place nodes on. CCE does not support it when adding nodes to a pool.
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedicated_host_id: Option<String>,

    /// Cloud resource tags put on the nodes' ECS servers: at most 6 (CCE allows 8, and the
    /// controller adds its own two, `nodepool-owner-uid` and `nodepool-owner`), with unique keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 8))]
    #[x_kube(
        validation = Rule::new(format!("self.size() <= {CCE_MAX_SPEC_USER_TAGS}")).message(Message::Message(format!(
            "spec.huawei.nodeTemplate.userTags may hold at most {CCE_MAX_SPEC_USER_TAGS} tags: CCE allows {CCE_MAX_USER_TAGS} per node and the controller adds its own two ({CCE_OWNER_UID_TAG}, {CCE_OWNER_TAG}); remove some"
        ))),
        validation = Rule::new("self.all(t, self.exists_one(u, u.key == t.key))")
            .message("spec.huawei.nodeTemplate.userTags keys must be unique (CCE keeps one value per key)"),
    )]
    pub user_tags: Option<Vec<CceUserTag>>,

    /// Container runtime of the nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<CceRuntime>,

    /// Custom initialization conditions (at most 2), e.g. `CustomedInitial` or `CustomedInitial:15m`:
    /// the node keeps its "uninitialized" taint until these node conditions are True (or time out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2), inner(length(max = 24)))]
    #[x_kube(validation = Rule::new("self.all(c, c.matches('^[A-Za-z0-9]{1,20}(:[1-9][0-9]?m)?$'))").message("spec.huawei.nodeTemplate.initializedConditions entries must be 1-20 letters or digits, optionally followed by a timeout of 1-99 minutes such as ':15m'"))]
    pub initialized_conditions: Option<Vec<String>>,

    /// Extended node parameters: max pods, scripts, private image, reservations, yearly/monthly billing...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extend_param: Option<CceNodeExtendParam>,

    /// How Kubernetes node names are chosen.
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname_config: Option<CceHostnameConfig>,

    /// Enterprise project ID of the nodes' ECS servers (default: the cluster's). On update,
    /// only new nodes get the new value.
    #[serde(
        rename = "serverEnterpriseProjectID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub server_enterprise_project_id: Option<String>,

    /// Partition of the nodes: `center` (central cloud) or the AZ ID of an edge site (CloudPond).
    /// Only for CCE Turbo clusters with distributed cloud support.
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,

    /// Overrides of node component settings (kubelet, container runtime...), per component.
    /// Unsupported components or parameters are ignored by CCE.
    /// Immutable here: CCE's pool update cannot carry it (CCE changes it only through its
    /// configuration API, which the controller does not call); create a new NodePool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configurations_override: Option<Vec<CcePackageConfiguration>>,

    /// Prefix and suffix added to the names of new nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_name_template: Option<CceNodeNameTemplate>,
}

/// How to log in to the nodes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CceLogin {
    /// Name of the ECS key pair for SSH login (preferred over a password).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_key: Option<String>,

    /// User name and password login. Discouraged: the password is stored in etcd as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_password: Option<CceUserPassword>,
}

/// Password login for the nodes (discouraged; prefer `sshKey`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CceUserPassword {
    /// Login user (CCE's default: `root`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,

    /// Password, salted as CCE's "password salting" guide describes (8-26 characters, three of
    /// upper case, lower case, digits, specials). DISCOURAGED: stored in etcd and readable by anyone
    /// who can read this NodePool, exactly as written; use `sshKey`.
    pub password: String,
}

/// What happens to data disks when a node is reset.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CceVolumeConfig {
    /// `reset_managed_volumes` (default): wipe the data disks CCE manages; `retain_custom_volumes`:
    /// keep user-mounted and local persistent volumes (needs a recent cluster patch version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_reset_policy: Option<CceVolumeResetPolicy>,
}

/// Data disk policy on node reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
#[serde(rename_all = "snake_case")]
pub enum CceVolumeResetPolicy {
    /// Wipe the data disks CCE manages.
    ResetManagedVolumes,
    /// Keep volumes mounted by the user or used as local persistent volumes.
    RetainCustomVolumes,
}

/// A disk (EVS volume) of a node.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct CceVolume {
    /// Size in GiB. System disk 40-1024 (20-1024 from cluster v1.28); first data disk 20-32768
    /// (100-32768 without `storage`); other data disks 10-32768.
    #[x_kube(validation = Rule::new("self > 0").message("volume size must be a positive number of GiB (system disk 40-1024, data disks 10-32768)"))]
    pub size: i64,

    /// Disk type: `SAS` (high I/O), `SSD` (ultra-high I/O), `GPSSD` (general purpose SSD),
    /// `ESSD` (extreme SSD), `GPSSD2`, `ESSD2`; `SATA` only on existing nodes.
    pub volumetype: String,

    /// Provisioned IOPS; required for `GPSSD2` and `ESSD2`, not allowed for other types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iops: Option<i64>,

    /// Provisioned throughput in MiB/s; required for `GPSSD2`, not allowed for other types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<i64>,

    /// Disk extension parameters as in ECS's create-server `extendparam` (e.g. `useType: docker`).
    /// Free-form: CCE passes it through to ECS, whose keys and value types vary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "free_form_object")]
    pub extend_param: Option<BTreeMap<String, Value>>,

    /// Dedicated cloud only: ID of the dedicated distributed storage (DSS) pool (`dssPoolID`).
    #[serde(
        rename = "cluster_id",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub cluster_id: Option<String>,

    /// Dedicated cloud only: storage type of the disk; always `dss`.
    #[serde(
        rename = "cluster_type",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub cluster_type: Option<CceVolumeClusterType>,

    /// `true`: a SCSI disk (for SDI flavors). Must be `true` for `ElasticBMS` pools.
    #[serde(
        rename = "hw:passthrough",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub hw_passthrough: Option<bool>,

    /// Disk encryption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<CceVolumeMetadata>,
}

/// Storage type of a dedicated cloud disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
#[serde(rename_all = "lowercase")]
pub enum CceVolumeClusterType {
    /// Dedicated distributed storage.
    Dss,
}

/// Encryption settings of a disk.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CceVolumeMetadata {
    /// `"1"`: encrypt the disk (set `__system__cmkid` too); `"0"` or unset: not encrypted.
    #[serde(
        rename = "__system__encrypted",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub system_encrypted: Option<CceFlag>,

    /// ID of the KMS customer master key that encrypts the disk.
    #[serde(
        rename = "__system__cmkid",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub system_cmkid: Option<String>,
}

/// A yes/no flag that CCE writes as the string `"1"` or `"0"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
pub enum CceFlag {
    /// No.
    #[serde(rename = "0")]
    No,
    /// Yes.
    #[serde(rename = "1")]
    Yes,
}

/// Disk layout of the nodes: selectors pick disks, groups turn them into volume groups.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CceStorage {
    /// Disk selectors, matched in order (earlier ones first); names must be unique.
    #[schemars(length(max = 32))]
    pub storage_selectors: Vec<CceStorageSelector>,

    /// Storage groups built from the selected disks; exactly one has `cceManaged: true`.
    #[schemars(length(max = 32))]
    pub storage_groups: Vec<CceStorageGroup>,
}

/// Selects disks of a node for a storage group.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CceStorageSelector {
    /// Name of the selector, referenced by `storageGroups[].selectorNames`; unique.
    pub name: String,

    /// `evs` (cloud disks), `local` (all local disks as one volume group; at most one such
    /// selector) or `system` (the system disk).
    pub storage_type: CceStorageType,

    /// Which EVS disks match (unset: all disks of the type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_labels: Option<CceStorageMatchLabels>,
}

/// Kind of disk a storage selector picks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
#[serde(rename_all = "lowercase")]
pub enum CceStorageType {
    /// EVS cloud disks.
    #[default]
    Evs,
    /// Local disks of the flavor.
    Local,
    /// The system disk.
    System,
}

/// Disk properties a storage selector matches; every value is a string, unset matches any.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CceStorageMatchLabels {
    /// Disk size in GiB, e.g. `"100"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,

    /// Disk type, e.g. `SSD`, `GPSSD`, `SAS`, `ESSD`, `SATA`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_type: Option<String>,

    /// Disk IOPS, e.g. `"3000"` (to tell `GPSSD2`/`ESSD2` disks apart).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iops: Option<String>,

    /// Disk throughput in MiB/s, e.g. `"125"` (to tell `GPSSD2` disks apart).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<String>,

    /// `"1"`: only encrypted disks; `"0"`: only unencrypted disks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_encrypted: Option<CceFlag>,

    /// KMS key ID (36 characters) of the encrypted disks to match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_cmkid: Option<String>,

    /// How many matching disks to take (unset: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<String>,
}

/// A volume group built from the disks of one or more selectors.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CceStorageGroup {
    /// Name of the volume group; unique. Must be `vgpaas` when `cceManaged` is true,
    /// `vg-everest-localvolume-ephemeral` / `-persistent` for local ephemeral / persistent volumes.
    pub name: String,

    /// `true`: this group holds Kubernetes and the container runtime (exactly one group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cce_managed: Option<bool>,

    /// Selectors (`storageSelectors[].name`) whose disks form the group; a selector belongs
    /// to one group only, and a `system` selector must be alone.
    pub selector_names: Vec<String>,

    /// How the group's space is split.
    #[schemars(length(max = 4))]
    pub virtual_spaces: Vec<CceVirtualSpace>,
}

/// A share of a storage group's space.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct CceVirtualSpace {
    /// `kubernetes` (kubelet; needs `lvmConfig`), `runtime` (container runtime; needs
    /// `runtimeConfig`), `share` (both in one; needs `lvmConfig`) or `user` (needs `lvmConfig.path`).
    pub name: CceVirtualSpaceName,

    /// Share of the group as a whole percentage, 1%-100%, e.g. `90%`; the shares of a group add up to 100% at most.
    #[schemars(length(max = 4))]
    #[x_kube(validation = Rule::new("self.matches('^([1-9][0-9]?|100)%$')").message("virtualSpaces[].size must be a whole percentage from 1% to 100%, such as 90%"))]
    pub size: String,

    /// Logical volume settings (for `kubernetes`, `share` and `user`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lvm_config: Option<CceLvmConfig>,

    /// Container runtime volume settings (for `runtime`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_config: Option<CceRuntimeConfig>,
}

/// What a virtual space is used for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
#[serde(rename_all = "lowercase")]
pub enum CceVirtualSpaceName {
    /// Kubernetes and the runtime in one space.
    Share,
    /// Kubelet space.
    #[default]
    Kubernetes,
    /// Container runtime space.
    Runtime,
    /// User space mounted at a path.
    User,
}

/// Logical volume settings of a virtual space.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CceLvmConfig {
    /// LVM write mode: `linear`, or `striped` (striped over several disks, faster).
    pub lv_type: CceLvType,

    /// Mount path, only for the `user` space: an absolute path of letters, digits, '.', '-', '_'.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// Container runtime volume settings of a virtual space.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CceRuntimeConfig {
    /// LVM write mode: `linear`, or `striped` (striped over several disks, faster).
    pub lv_type: CceLvType,
}

/// LVM write mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
#[serde(rename_all = "lowercase")]
pub enum CceLvType {
    /// One disk after the other.
    #[default]
    Linear,
    /// Striped over several disks.
    Striped,
}

/// Elastic IPs of the nodes. Pools use `iptype` + `bandwidth`; single nodes use `ids`, or `count` + `eip`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CcePublicIp {
    /// IDs of existing EIPs, at most one per node (single nodes only; then leave out `count` and `eip`).
    /// Immutable: CCE's update cannot carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ids: Option<Vec<String>>,

    /// Number of EIPs to create, together with `eip` (single nodes only).
    /// Immutable: CCE's update cannot carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,

    /// The EIPs to create (single nodes; CCE also reports it for pools).
    /// Immutable: CCE's update cannot carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eip: Option<CceEip>,

    /// EIP type for the pool's nodes, as `publicip.type` of the VPC EIP API (e.g. `5_bgp`, `5_sbgp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iptype: Option<String>,

    /// Bandwidth of the pool's EIPs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bandwidth: Option<CceBandwidth>,
}

/// Elastic IPs to create.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CceEip {
    /// EIP type, as `publicip.type` of the VPC EIP API (e.g. `5_bgp`, `5_sbgp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iptype: Option<String>,

    /// Bandwidth of the EIPs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bandwidth: Option<CceBandwidth>,
}

/// Bandwidth of elastic IPs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CceBandwidth {
    /// Billing: `bandwidth` (by Mbit/s; also when unset or empty) or `traffic` (by GB; pay-per-use nodes only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chargemode: Option<CceBandwidthChargeMode>,

    /// Bandwidth in Mbit/s, within the range of the VPC EIP API's `bandwidth.size`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,

    /// Sharing: `PER` (dedicated), the only value CCE supports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sharetype: Option<CceBandwidthShareType>,
}

/// How an EIP's bandwidth is billed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
pub enum CceBandwidthChargeMode {
    /// Empty: billed by bandwidth.
    #[serde(rename = "")]
    Default,
    /// Billed by bandwidth.
    #[serde(rename = "bandwidth")]
    Bandwidth,
    /// Billed by traffic.
    #[serde(rename = "traffic")]
    Traffic,
}

/// Bandwidth sharing of an EIP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
pub enum CceBandwidthShareType {
    /// Dedicated bandwidth.
    #[serde(rename = "PER")]
    Per,
}

/// Network interfaces of the nodes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CceNodeNicSpec {
    /// The primary NIC (default subnet: the cluster's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_nic: Option<CceNicSpec>,

    /// Extension NICs (each needs `subnetId`). CCE does not support them when adding nodes to a pool.
    /// Immutable: CCE's update can only change the primary NIC's `subnetId` and `subnetList`;
    /// create a new NodePool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ext_nics: Option<Vec<CceNicSpec>>,
}

/// A network interface of the nodes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CceNicSpec {
    /// Network ID of the NIC's subnet (primary NIC default: the cluster's subnet; `subnetList` wins for pools).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,

    /// Fixed IPs of the primary NIC, at most one per node. Not for pools; excludes `ipBlock`.
    /// Immutable: CCE's update cannot carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_ips: Option<Vec<String>>,

    /// CIDR the primary NIC's IP is taken from. Not for pools; excludes `fixedIps`.
    /// Immutable: CCE's update cannot carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_block: Option<String>,

    /// Network IDs of the subnets the pool's nodes may use (at most 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 20))]
    pub subnet_list: Option<Vec<String>>,
}

/// A Kubernetes taint on the pool's nodes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CceTaint {
    /// Taint key: up to 63 letters, digits, '-', '_', '.', starting and ending alphanumeric;
    /// may have a DNS subdomain prefix (`example.com/key`).
    pub key: String,

    /// Taint value: up to 63 letters, digits, '-', '_', '.', starting and ending alphanumeric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,

    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    pub effect: CceTaintEffect,
}

/// Effect of a taint.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
pub enum CceTaintEffect {
    /// Do not schedule pods that do not tolerate the taint.
    #[default]
    NoSchedule,
    /// Avoid scheduling such pods.
    PreferNoSchedule,
    /// Also evict running pods that do not tolerate the taint.
    NoExecute,
}

/// A cloud resource tag on the nodes' ECS servers.
///
/// Limits as CCE documents them for `NodeSpec.userTags` (CCE API reference, CreateNodePool,
/// <https://support.huaweicloud.com/api-cce/cce_02_0354.html>): keys unique, "only upper- and
/// lower-case letters, digits, the special characters `-` and `_`, and Unicode characters, at most
/// 36 characters", not starting with `CCE-` or `__type_baremetal`. CCE passes the tags to ECS,
/// whose server tag values are "at most 43 Unicode characters, may be empty, and may not contain
/// ASCII 0-31 or `=*<>\,|/`" (ECS ServerTags,
/// <https://support.huaweicloud.com/intl/en-us/tr-aos/datatypes-ecs-servertags.html>).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
pub struct CceUserTag {
    /// Tag key, unique per node: 1-36 letters, digits, `-` and `_` (Unicode letters allowed);
    /// must not start with `CCE-` or `__type_baremetal`, and must not be `nodepool-owner-uid`
    /// or `nodepool-owner` (the controller's own tags).
    #[schemars(length(max = 36))]
    #[x_kube(
        validation = Rule::new("!self.startsWith('CCE-') && !self.startsWith('__type_baremetal')").message("userTags[].key must not start with 'CCE-' or '__type_baremetal' (reserved by CCE)"),
        validation = Rule::new(format!("!(self in ['{CCE_OWNER_UID_TAG}', '{CCE_OWNER_TAG}'])")).message(Message::Message(format!(
            "userTags[].key must not be {CCE_OWNER_UID_TAG} or {CCE_OWNER_TAG}: the controller adds these tags itself; use another key"
        ))),
        validation = Rule::new("self.matches('^[\\\\p{L}\\\\p{N}_-]+$')").message("userTags[].key must be 1-36 letters, digits, '-' or '_' (CCE's tag key rule)"),
    )]
    pub key: String,

    /// Tag value: at most 43 characters, may be empty, without control characters or `=*<>\,|/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 43))]
    #[x_kube(validation = Rule::new("!self.matches('[=*<>\\\\\\\\,|/\\\\x00-\\\\x1f]')").message("userTags[].value must not contain control characters or any of = * < > \\ , | / (ECS's tag value rule)"))]
    pub value: Option<String>,
}

/// Container runtime of the nodes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CceRuntime {
    /// `containerd` or `docker`. Default: `docker` below cluster v1.25; from v1.25 `docker` on
    /// EulerOS 2.5/2.8 and `containerd` on other OSes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<CceRuntimeName>,

    /// Runtime class: `runc` (default), `kata` (secure runtime, c6/c7 bare-metal ECS, EulerOS 2.10)
    /// or `kuasar-vmm` (secure runtime v2, HCE 2.0); secure runtimes need CCE Turbo and containerd.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_class: Option<CceRuntimeClass>,
}

/// Container runtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
#[serde(rename_all = "lowercase")]
pub enum CceRuntimeName {
    /// Docker.
    Docker,
    /// containerd.
    Containerd,
}

/// Container runtime class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
#[serde(rename_all = "kebab-case")]
pub enum CceRuntimeClass {
    /// The common runtime.
    Runc,
    /// Secure runtime (Kata containers).
    Kata,
    /// Secure runtime v2.
    KuasarVmm,
}

/// How Kubernetes node names are chosen.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CceHostnameConfig {
    /// `privateIp` (default): the node's private IP; `cceNodeName`: the CCE node name plus a
    /// random suffix ('-' and 5 characters), also used as the ECS server name.
    #[serde(rename = "type")]
    pub hostname_type: CceHostnameType,
}

/// Source of Kubernetes node names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
#[serde(rename_all = "camelCase")]
pub enum CceHostnameType {
    /// The node's private IP.
    #[default]
    PrivateIp,
    /// The CCE node name.
    CceNodeName,
}

/// Settings overridden for one node component.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CcePackageConfiguration {
    /// Component name, e.g. `kubelet`, `kube-proxy`, `container-engine`, `node-problem-detector`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,

    /// The settings of the component.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configurations: Option<Vec<CceConfigurationItem>>,
}

/// One component setting.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CceConfigurationItem {
    /// Setting name as in CCE's node pool configuration page, e.g. `kube-api-qps`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,

    /// Setting value: a string, number, boolean, list or object, as the setting needs.
    /// Free-form because CCE's settings differ in type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "free_form_value")]
    pub value: Option<Value>,
}

/// Prefix and suffix of new node names.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CceNodeNameTemplate {
    /// Prefix: lowercase letters, digits, '-' and '.', starting with a letter (RFC 1123). Empty: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_name_prefix: Option<String>,

    /// Suffix: lowercase letters, digits, '-' and '.', ending alphanumeric (RFC 1123). Empty: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_name_suffix: Option<String>,
}

/// Extended node parameters (CCE `extendParam`), with CCE's key names.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
pub struct CceNodeExtendParam {
    /// ECS flavor category; reported by CCE, not needed on create.
    /// Immutable: CCE's update cannot carry it.
    #[serde(
        rename = "ecs:performancetype",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    // CEL cannot address a name with ':', so no rule on `nodeTemplate` can see this key; this
    // rule refuses changing it, but not setting or removing it.
    #[x_kube(validation = Rule::new("self == oldSelf").message("spec.huawei.nodeTemplate.extendParam.ecs:performancetype cannot change after the pool is created (CCE cannot change it in place); it is reported by CCE, leave it out or as CCE reports it"))]
    pub ecs_performancetype: Option<String>,

    /// Order ID; reported by CCE for yearly/monthly single nodes, not for pools.
    /// Immutable: CCE's update cannot carry it.
    #[serde(rename = "orderID", default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,

    /// Product ID; reported by CCE for yearly/monthly nodes and pools.
    /// Immutable: CCE's update cannot carry it.
    #[serde(rename = "productID", default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,

    /// Most pods per node, system pods included: 16-256 (up to 1024 with the `kuasar-vmm` runtime).
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(rename = "maxPods", default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self >= 16 && self <= 1024").message("extendParam.maxPods must be between 16 and 256 (up to 1024 for kuasar-vmm secure-runtime nodes)"))]
    pub max_pods: Option<i64>,

    /// Yearly/monthly billing (`billingMode` 1 or 2, then required): `month` or `year`.
    /// Immutable: CCE cannot change the billing of a pool; create a new NodePool.
    #[serde(
        rename = "periodType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub period_type: Option<CcePeriodType>,

    /// Number of periods (`billingMode` 1 or 2, then required): 1-9 months, or 1 year.
    /// Immutable: CCE cannot change the billing of a pool; create a new NodePool.
    #[serde(rename = "periodNum", default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self >= 1 && self <= 9").message("extendParam.periodNum must be 1-9 (months) or 1 (year)"))]
    pub period_num: Option<i64>,

    /// Renew yearly/monthly nodes automatically: `"true"` or `"false"` (default).
    /// Immutable: CCE cannot change the billing of a pool; create a new NodePool.
    #[serde(
        rename = "isAutoRenew",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub is_auto_renew: Option<CceStringBool>,

    /// Pay yearly/monthly orders automatically: `"true"` or `"false"` (default for `billingMode` 1).
    /// Immutable: CCE cannot change the billing of a pool; create a new NodePool.
    #[serde(rename = "isAutoPay", default, skip_serializing_if = "Option::is_none")]
    pub is_auto_pay: Option<CceStringBool>,

    /// Deprecated (use `storage`): Docker data disk layout, e.g.
    /// `dockerThinpool=vgpaas/90%VG;kubernetesLV=vgpaas/10%VG;diskType=evs;lvType=linear`.
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(
        rename = "DockerLVMConfigOverride",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub docker_lvm_config_override: Option<String>,

    /// Deprecated (use `containerBaseSize`): disk space per container in GiB, 10-500; 0 or unset: default.
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(
        rename = "dockerBaseSize",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    #[x_kube(validation = Rule::new("self == 0 || (self >= 10 && self <= 500)").message("extendParam.dockerBaseSize must be 10-500 (GiB), or 0 for the default"))]
    pub docker_base_size: Option<i64>,

    /// Disk space per container in GiB, 10-500; 0 or unset: default (10 with Devicemapper,
    /// unlimited with OverlayFS). Cannot be changed by a pool update.
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(
        rename = "containerBaseSize",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    #[x_kube(validation = Rule::new("self == 0 || (self >= 10 && self <= 500)").message("extendParam.containerBaseSize must be 10-500 (GiB), or 0 for the default"))]
    pub container_base_size: Option<i64>,

    /// SSH public key of a single node; not supported for pools (use `login.sshKey`).
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(rename = "publicKey", default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,

    /// Script run before the node is installed, Base64-encoded (`echo -n "$script" | base64`).
    #[serde(
        rename = "alpha.cce/preInstall",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub pre_install: Option<String>,

    /// Script run after the node is installed, Base64-encoded (`echo -n "$script" | base64`).
    #[serde(
        rename = "alpha.cce/postInstall",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub post_install: Option<String>,

    /// ID of a private IMS image for the nodes (then `os` is optional).
    #[serde(
        rename = "alpha.cce/NodeImageID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub node_image_id: Option<String>,

    /// Deprecated: billing mode; use `nodeTemplate.billingMode`.
    /// Immutable: CCE cannot change the billing of a pool; create a new NodePool.
    #[serde(
        rename = "chargingMode",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub charging_mode: Option<i64>,

    /// `spot`: create spot instances (only with `billingMode` 0).
    /// Immutable: CCE cannot change the billing of a pool; create a new NodePool.
    #[serde(
        rename = "marketType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub market_type: Option<CceMarketType>,

    /// Highest hourly price for spot instances (between the market and the pay-per-use price);
    /// unset: the pay-per-use price.
    #[serde(rename = "spotPrice", default, skip_serializing_if = "Option::is_none")]
    pub spot_price: Option<String>,

    /// Name of the IAM agency that gives the nodes temporary credentials for cloud services.
    #[serde(
        rename = "agency_name",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub agency_name: Option<String>,

    /// Memory reserved for Kubernetes components, in MiB (default depends on the flavor).
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(
        rename = "kubeReservedMem",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub kube_reserved_mem: Option<i64>,

    /// Memory reserved for system components, in MiB (default depends on the flavor).
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(
        rename = "systemReservedMem",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub system_reserved_mem: Option<i64>,

    /// CPU reserved for Kubernetes components, in millicores; with `systemReservedCpu` under 50%
    /// of the smallest flavor's CPU.
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(
        rename = "kubeReservedCpu",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub kube_reserved_cpu: Option<i64>,

    /// CPU reserved for system components, in millicores; with `kubeReservedCpu` under 50%
    /// of the smallest flavor's CPU.
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(
        rename = "systemReservedCpu",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub system_reserved_cpu: Option<i64>,

    /// Process IDs reserved for Kubernetes components, 0-2097152; with `systemReservedPid`
    /// under 50% of the node's `kernel.pid_max`.
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(
        rename = "kubeReservedPid",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    #[x_kube(validation = Rule::new("self >= 0 && self <= 2097152").message("extendParam.kubeReservedPid must be 0-2097152"))]
    pub kube_reserved_pid: Option<i64>,

    /// Process IDs reserved for system daemons, 0-2097152; with `kubeReservedPid` under 50%
    /// of the node's `kernel.pid_max`.
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(
        rename = "systemReservedPid",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    #[x_kube(validation = Rule::new("self >= 0 && self <= 2097152").message("extendParam.systemReservedPid must be 0-2097152"))]
    pub system_reserved_pid: Option<i64>,

    /// Ephemeral storage reserved for Kubernetes components, in GiB; with `systemReservedStorage`
    /// under 50% of the container disk space.
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(
        rename = "kubeReservedStorage",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub kube_reserved_storage: Option<i64>,

    /// Ephemeral storage reserved for system daemons, in GiB; with `kubeReservedStorage`
    /// under 50% of the container disk space.
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(
        rename = "systemReservedStorage",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub system_reserved_storage: Option<i64>,

    /// Node password of a single node (CCE shows it masked). DISCOURAGED: stored in etcd as
    /// written; use `login.sshKey`. Not reported for pools.
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(
        rename = "init-node-password",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub init_node_password: Option<String>,

    /// `cybersecurity`: harden the OS to MLPS 2.0 level 3 (HCE 2.0 only); empty: no hardening;
    /// `null` (the string): turn hardening off on update (unset keeps the current value).
    #[serde(
        rename = "securityReinforcementType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub security_reinforcement_type: Option<CceSecurityReinforcement>,

    /// ECS metadata service (IMDS) tokens: `optional` (default; v1 and v2) or `required` (v2 only).
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(
        rename = "serverMetadataHttpTokens",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub server_metadata_http_tokens: Option<CceHttpTokens>,
}

/// Yearly/monthly billing period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
#[serde(rename_all = "lowercase")]
pub enum CcePeriodType {
    /// Months.
    Month,
    /// Years.
    Year,
}

/// A boolean that CCE writes as the string `"true"` or `"false"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
#[serde(rename_all = "lowercase")]
pub enum CceStringBool {
    /// "true".
    True,
    /// "false".
    False,
}

/// Market type of the nodes' ECS servers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
#[serde(rename_all = "lowercase")]
pub enum CceMarketType {
    /// Spot instances.
    Spot,
}

/// OS security hardening of the nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
pub enum CceSecurityReinforcement {
    /// Empty: no hardening.
    #[serde(rename = "")]
    Empty,
    /// MLPS 2.0 level 3 hardening.
    #[serde(rename = "cybersecurity")]
    Cybersecurity,
    /// The string "null": turn hardening off on update.
    #[serde(rename = "null")]
    Off,
}

/// ECS metadata service token mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
#[serde(rename_all = "lowercase")]
pub enum CceHttpTokens {
    /// IMDS v1 and v2.
    Optional,
    /// IMDS v2 only.
    Required,
}

/// Auto scaling of a CCE node pool (needs CCE's autoscaler add-on).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[x_kube(
    validation = Rule::new("!has(self.minNodeCount) || !has(self.maxNodeCount) || self.maxNodeCount >= self.minNodeCount")
        .message("spec.huawei.autoscaling.maxNodeCount must be greater than or equal to minNodeCount")
        .field_path(".maxNodeCount"),
)]
#[serde(rename_all = "camelCase")]
pub struct CceNodePoolAutoscaling {
    /// Whether the autoscaler may scale this pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable: Option<bool>,

    /// Fewest nodes the autoscaler scales down to; at most the cluster flavor's node limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self >= 0").message("spec.huawei.autoscaling.minNodeCount must be 0 or more"))]
    pub min_node_count: Option<i64>,

    /// Most nodes the autoscaler scales up to; at least `minNodeCount`, at most the cluster
    /// flavor's node limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self >= 0").message("spec.huawei.autoscaling.maxNodeCount must be 0 or more"))]
    pub max_node_count: Option<i64>,

    /// Minutes a node added by scale-up is kept before it may be scaled down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self >= 0").message("spec.huawei.autoscaling.scaleDownCooldownTime must be 0 or more minutes"))]
    pub scale_down_cooldown_time: Option<i64>,

    /// Weight of the pool: on scale-up, pools with a higher priority are preferred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,

    /// Minutes a node must stay unneeded before it is scaled down, 0-2147483647;
    /// -1 or unset: the autoscaler add-on's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self >= -1 && self <= 2147483647").message("spec.huawei.autoscaling.scaleDownUnneededTime must be 0-2147483647 minutes, or -1 for the add-on's default"))]
    pub scale_down_unneeded_time: Option<i64>,

    /// Scale a node down when its pods' CPU or memory requests fall below this share of its
    /// allocatable resources, 0-1 (e.g. 0.5); -1 or unset: the autoscaler add-on's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self == -1.0 || (self >= 0.0 && self <= 1.0)").message("spec.huawei.autoscaling.scaleDownUtilizationThreshold must be between 0 and 1, or -1 for the add-on's default"))]
    pub scale_down_utilization_threshold: Option<f64>,
}

/// Node self-repair of a CCE node pool.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[x_kube(
    validation = Rule::new("!has(self.enable) || !self.enable || has(self.policy)")
        .message("spec.huawei.repairPolicy.policy is required when repairPolicy.enable is true (use restartNode)")
        .reason(Reason::FieldValueRequired)
        .field_path(".policy"),
)]
pub struct CceRepairPolicy {
    /// `true`: repair with `policy` when system or Kubernetes components fail;
    /// `false` (default): CCE's basic self-repair only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable: Option<bool>,

    /// Repair action, required when `enable` is true: `restartNode` (restart the node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<CceRepairAction>,
}

/// How CCE repairs a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
#[serde(rename_all = "camelCase")]
pub enum CceRepairAction {
    /// Restart the node.
    RestartNode,
}

/// Node management settings of a CCE node pool.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CceNodeManagement {
    /// ECS server group ID: all nodes are created in it (and the pool cannot outgrow it).
    /// Empty or unset: no group. Can only be switched while the pool has no nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_group_reference: Option<String>,
}

/// A security group, by ID.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CceSecurityId {
    /// ID of the security group for the containers on the nodes.
    pub id: String,
}

/// An extension scale group: more flavors or AZs for the pool, scaled with the default group.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CceExtensionScaleGroup {
    /// Name of the scale group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<CceScaleGroupMetadata>,

    /// Flavor, AZ, capacity reservation and auto scaling of the scale group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<CceScaleGroupSpec>,
}

/// Identity of an extension scale group.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
pub struct CceScaleGroupMetadata {
    /// Name: up to 56 lowercase letters, digits and '-', starting with a letter, ending
    /// alphanumeric; not `default` (the name of the pool's own scale group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 56))]
    #[x_kube(validation = Rule::new("self != 'default' && self.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')").message("extensionScaleGroups[].metadata.name must be up to 56 lowercase letters, digits and '-', start with a letter, end with a letter or digit, and not be 'default'"))]
    pub name: Option<String>,
}

/// Flavor, AZ and scaling of an extension scale group.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CceScaleGroupSpec {
    /// ECS flavor of the group's nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flavor: Option<String>,

    /// Availability zone of the group's nodes (unset or empty: the pool's `nodeTemplate.az`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub az: Option<String>,

    /// ECS capacity reservation (private pool) the group's nodes use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_reservation_specification: Option<CceCapacityReservation>,

    /// Auto scaling of the group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<CceScaleGroupAutoscaling>,
}

/// ECS capacity reservation (private pool) of a scale group.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[x_kube(
    validation = Rule::new("!has(self.preference) || self.preference != 'targeted' || (has(self.id) && self.id != '')")
        .message("capacityReservationSpecification.id is required when preference is targeted")
        .reason(Reason::FieldValueRequired)
        .field_path(".id"),
)]
pub struct CceCapacityReservation {
    /// ID of the private pool (ignored when `preference` is `none`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,

    /// `none`: no capacity reservation; `targeted`: use the private pool `id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preference: Option<CceCapacityPreference>,
}

/// Whether a scale group uses a capacity reservation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
#[serde(rename_all = "lowercase")]
pub enum CceCapacityPreference {
    /// No capacity reservation.
    None,
    /// The private pool given by `id`.
    Targeted,
}

/// Auto scaling of an extension scale group.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[x_kube(
    validation = Rule::new("!has(self.minNodeCount) || !has(self.maxNodeCount) || self.maxNodeCount >= self.minNodeCount")
        .message("extensionScaleGroups[].spec.autoscaling.maxNodeCount must be greater than or equal to minNodeCount")
        .field_path(".maxNodeCount"),
)]
#[serde(rename_all = "camelCase")]
pub struct CceScaleGroupAutoscaling {
    /// Whether the autoscaler may scale this group (default: false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable: Option<bool>,

    /// Priority among the pool's scale groups (default 0); higher is scaled up first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension_priority: Option<i64>,

    /// Fewest nodes the group keeps when auto scaling (CCE's docs say it must be above 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self >= 0").message("extensionScaleGroups[].spec.autoscaling.minNodeCount must be 0 or more"))]
    pub min_node_count: Option<i64>,

    /// Most nodes the group keeps when auto scaling; at least `minNodeCount`, within the cluster's
    /// and the pool's node limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self >= 0").message("extensionScaleGroups[].spec.autoscaling.maxNodeCount must be 0 or more"))]
    pub max_node_count: Option<i64>,
}

/// Drops an enum's own description from its schema, so that the description of the
/// field using it (which says what the values mean there) is what `kubectl explain` shows.
fn keep_field_docs(schema: &mut schemars::Schema) {
    schema.remove("description");
}

/// Schema of a free-form JSON object whose keys and values CCE does not fix.
fn free_form_object(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": true,
    })
}

/// Schema of a free-form JSON value of any type.
fn free_form_value(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "x-kubernetes-preserve-unknown-fields": true,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use kube::CustomResourceExt;
    use serde_json::json;

    use super::*;
    use crate::crd::NodePool;

    /// The request example of the seed document ("创建节点池", CCE API v3), verbatim.
    const SEED_REQUEST: &str = r#"{
  "kind": "NodePool",
  "apiVersion": "v3",
  "metadata": {
    "name": "my-node-pool"
  },
  "spec": {
    "initialNodeCount": 0,
    "type": "vm",
    "autoscaling": {
      "enable": false,
      "minNodeCount": 0,
      "maxNodeCount": 1,
      "scaleDownCooldownTime": 0,
      "priority": 0
    },
    "nodeTemplate": {
      "flavor": "s6.large.2",
      "az": "az1.dc1",
      "os": "EulerOS 2.5",
      "login": {
        "sshKey": "myKeypair"
      },
      "rootVolume": {
        "volumetype": "SATA",
        "size": 40
      },
      "dataVolumes": [
        {
          "volumetype": "SATA",
          "size": 100,
          "extendParam": {
            "useType": "docker"
          }
        }
      ],
      "billingMode": 0
    }
  }
}"#;

    /// The response example of the seed document, verbatim.
    const SEED_RESPONSE: &str = r#"{
  "kind": "NodePool",
  "apiVersion": "v3",
  "metadata": {
    "name": "my-node-pool",
    "uid": "99addaa2-69eb-11ea-a592-0255ac1001bb"
  },
  "spec": {
    "type": "vm",
    "nodeTemplate": {
      "flavor": "s6.large.2",
      "az": "az1.dc1",
      "os": "EulerOS 2.5",
      "login": {
        "sshKey": "myKeypair"
      },
      "rootVolume": {
        "volumetype": "SATA",
        "size": 40
      },
      "dataVolumes": [
        {
          "volumetype": "SATA",
          "size": 100,
          "extendParam": {
            "useType": "docker"
          }
        }
      ],
      "publicIP": {
        "eip": {
          "bandwidth": {}
        }
      },
      "nodeNicSpec": {
        "primaryNic": {
          "subnetId": "7e767d10-7548-4df5-ad72-aeac1d08bd8a"
        }
      },
      "billingMode": 0,
      "extendParam": {
        "alpha.cce/NodeImageID": "",
        "alpha.cce/postInstall": "",
        "alpha.cce/preInstall": "",
        "maxPods": 110
      },
      "k8sTags": {
        "cce.cloud.com/cce-nodepool": "my-node-pool"
      }
    },
    "autoscaling": {
      "maxNodeCount": 1
    },
    "nodeManagement": {}
  },
  "status": {
    "phase": ""
  }
}"#;

    /// `spec.huawei` using every field this module models (values plausible, not all
    /// meaningful together: e.g. `publicIP` has both the node and the pool shapes).
    fn rich() -> Value {
        let extend_param = json!({
            "ecs:performancetype": "computingv3",
            "orderID": "CS2401011234ABCDE",
            "productID": "00301-123456-0--0",
            "maxPods": 110,
            "periodType": "month",
            "periodNum": 1,
            "isAutoRenew": "false",
            "isAutoPay": "true",
            "DockerLVMConfigOverride": "dockerThinpool=vgpaas/90%VG;kubernetesLV=vgpaas/10%VG;diskType=evs;lvType=linear",
            "dockerBaseSize": 20,
            "containerBaseSize": 20,
            "publicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample ops@example.com",
            "alpha.cce/preInstall": "ZWNobyBwcmU=",
            "alpha.cce/postInstall": "ZWNobyBwb3N0",
            "alpha.cce/NodeImageID": "85bd7e3c-4a5b-4c6d-8e9f-0a1b2c3d4e5f",
            "chargingMode": 0,
            "marketType": "spot",
            "spotPrice": "0.5",
            "agency_name": "cce-node-agency",
            "kubeReservedMem": 500,
            "systemReservedMem": 500,
            "kubeReservedCpu": 100,
            "systemReservedCpu": 100,
            "kubeReservedPid": 20000,
            "systemReservedPid": 20000,
            "kubeReservedStorage": 5,
            "systemReservedStorage": 5,
            "init-node-password": "********",
            "securityReinforcementType": "cybersecurity",
            "serverMetadataHttpTokens": "required"
        });
        let storage = json!({
            "storageSelectors": [
                {
                    "name": "cceUse",
                    "storageType": "evs",
                    "matchLabels": {
                        "size": "200",
                        "volumeType": "SSD",
                        "iops": "3000",
                        "throughput": "125",
                        "metadataEncrypted": "1",
                        "metadataCmkid": "5d3f6c0e-1b2a-4c8d-9e7f-0a1b2c3d4e5f",
                        "count": "1"
                    }
                },
                {"name": "localDisks", "storageType": "local"}
            ],
            "storageGroups": [
                {
                    "name": "vgpaas",
                    "cceManaged": true,
                    "selectorNames": ["cceUse"],
                    "virtualSpaces": [
                        {"name": "runtime", "size": "90%", "runtimeConfig": {"lvType": "linear"}},
                        {"name": "kubernetes", "size": "10%", "lvmConfig": {"lvType": "linear"}}
                    ]
                },
                {
                    "name": "vguser",
                    "selectorNames": ["localDisks"],
                    "virtualSpaces": [
                        {"name": "user", "size": "100%", "lvmConfig": {"lvType": "striped", "path": "/data"}}
                    ]
                }
            ]
        });
        let node_template = json!({
            "flavor": "c7.2xlarge.4",
            "az": "cn-north-4a",
            "os": "Huawei Cloud EulerOS 2.0",
            "login": {
                "sshKey": "ops-keypair",
                "userPassword": {"username": "root", "password": "JDYkc2FsdCRoYXNoZWQ="}
            },
            "volumeConfig": {"volumeResetPolicy": "retain_custom_volumes"},
            "rootVolume": {
                "size": 50,
                "volumetype": "GPSSD2",
                "iops": 3000,
                "throughput": 125,
                "extendParam": {"resourceSpecCode": "GPSSD2", "snapshotCount": 0},
                "cluster_id": "0f5c1a2b-dss-pool",
                "cluster_type": "dss",
                "hw:passthrough": true,
                "metadata": {
                    "__system__encrypted": "1",
                    "__system__cmkid": "5d3f6c0e-1b2a-4c8d-9e7f-0a1b2c3d4e5f"
                }
            },
            "dataVolumes": [
                {"size": 200, "volumetype": "SSD", "extendParam": {"useType": "docker"}},
                {"size": 500, "volumetype": "ESSD", "metadata": {"__system__encrypted": "0"}},
                {
                    "size": 1000,
                    "volumetype": "GPSSD2",
                    "iops": 6000,
                    "throughput": 250,
                    "cluster_id": "0f5c1a2b-dss-pool",
                    "cluster_type": "dss",
                    "hw:passthrough": true
                }
            ],
            "storage": storage,
            "publicIP": {
                "ids": ["a1b2c3d4-0000-4000-8000-000000000001"],
                "count": 1,
                "eip": {
                    "iptype": "5_bgp",
                    "bandwidth": {"chargemode": "traffic", "size": 10, "sharetype": "PER"}
                },
                "iptype": "5_bgp",
                "bandwidth": {"chargemode": "bandwidth", "size": 5, "sharetype": "PER"}
            },
            "nodeNicSpec": {
                "primaryNic": {
                    "subnetId": "0b6d9a2e-3f4c-4d5e-8a9b-1c2d3e4f5a6b",
                    "fixedIps": ["192.168.0.10"],
                    "ipBlock": "192.168.0.0/24",
                    "subnetList": ["0b6d9a2e-3f4c-4d5e-8a9b-1c2d3e4f5a6b", "1c7e0b3f-4a5d-4e6f-9b0c-2d3e4f5a6b7c"]
                },
                "extNics": [{
                    "subnetId": "1c7e0b3f-4a5d-4e6f-9b0c-2d3e4f5a6b7c",
                    "fixedIps": ["192.168.1.10"],
                    "ipBlock": "192.168.1.0/24",
                    "subnetList": ["1c7e0b3f-4a5d-4e6f-9b0c-2d3e4f5a6b7c"]
                }]
            },
            "count": 1,
            "billingMode": 1,
            "taints": [
                {"key": "workload", "value": "batch", "effect": "NoSchedule"},
                {"key": "example.com/drain", "effect": "NoExecute"}
            ],
            "waitPostInstallFinish": true,
            "k8sTags": {"workload": "batch", "example.com/team": "platform"},
            "ecsGroupId": "e1f2a3b4-5c6d-4e7f-8a9b-0c1d2e3f4a5b",
            "dedicatedHostId": "d1e2f3a4-5b6c-4d7e-8f9a-0b1c2d3e4f5a",
            "userTags": [{"key": "team", "value": "platform"}, {"key": "cost-center", "value": "4711"}],
            "runtime": {"name": "containerd", "runtimeClass": "runc"},
            "initializedConditions": ["CCEInitial", "CustomedInitial:15m"],
            "extendParam": extend_param,
            "hostnameConfig": {"type": "cceNodeName"},
            "serverEnterpriseProjectID": "0",
            "partition": "center",
            "configurationsOverride": [{
                "name": "kubelet",
                "configurations": [
                    {"name": "kube-api-qps", "value": 100},
                    {"name": "cpu-manager-policy", "value": "static"},
                    {"name": "allowed-unsafe-sysctls", "value": ["net.core.somaxconn"]}
                ]
            }],
            "nodeNameTemplate": {"nodeNamePrefix": "batch-", "nodeNameSuffix": "-cce"}
        });
        json!({
            "region": "cn-north-4",
            "projectId": "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
            "clusterId": "7e2f3a4b-5c6d-11ee-8c90-0255ac100b03",
            "name": "rich-pool",
            "annotations": {"example.com/owner": "platform"},
            "type": "vm",
            "initialNodeCount": 3,
            "nodeTemplate": node_template,
            "autoscaling": {
                "enable": true,
                "minNodeCount": 1,
                "maxNodeCount": 50,
                "scaleDownCooldownTime": 20,
                "priority": 5,
                "scaleDownUnneededTime": 10,
                "scaleDownUtilizationThreshold": 0.5
            },
            "repairPolicy": {"enable": true, "policy": "restartNode"},
            "nodeManagement": {"serverGroupReference": "f0e1d2c3-b4a5-4968-8776-5a4b3c2d1e0f"},
            "podSecurityGroups": [{"id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"}],
            "extensionScaleGroups": [{
                "metadata": {"name": "c7-az2"},
                "spec": {
                    "flavor": "c7.2xlarge.4",
                    "az": "cn-north-4b",
                    "capacityReservationSpecification": {
                        "id": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
                        "preference": "targeted"
                    },
                    "autoscaling": {"enable": true, "extensionPriority": 1, "minNodeCount": 1, "maxNodeCount": 10}
                }
            }],
            "customSecurityGroups": ["2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"],
            "taintPolicyOnExistingNodes": "ignore",
            "labelPolicyOnExistingNodes": "refresh",
            "userTagsPolicyOnExistingNodes": "refresh"
        })
    }

    /// The fields of `spec.huawei` that are not part of CCE's `spec`.
    const LOCATION_FIELDS: [&str; 5] = ["region", "projectId", "clusterId", "name", "annotations"];

    /// `spec.huawei` for `cce_spec` (a CCE `spec` object) in cn-north-4.
    fn located(cce_spec: &Value) -> Value {
        let mut huawei = cce_spec.clone();
        let map = huawei.as_object_mut().expect("a CCE spec is an object");
        map.insert("region".into(), json!("cn-north-4"));
        map.insert(
            "projectId".into(),
            json!("0a1b2c3d4e5f60718293a4b5c6d7e8f9"),
        );
        map.insert(
            "clusterId".into(),
            json!("7e2f3a4b-5c6d-11ee-8c90-0255ac100b03"),
        );
        huawei
    }

    fn parse(huawei: Value) -> HuaweiNodePool {
        serde_json::from_value(huawei).expect("spec.huawei deserializes")
    }

    /// The OpenAPI schema of `spec.huawei` in the NodePool CRD.
    fn huawei_schema() -> Value {
        let crd = serde_json::to_value(NodePool::crd()).expect("the CRD serializes");
        crd.pointer("/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/huawei")
            .expect("the CRD has spec.huawei")
            .clone()
    }

    fn keys(schema: &Value) -> BTreeSet<String> {
        schema["properties"]
            .as_object()
            .expect("an object schema with properties")
            .keys()
            .cloned()
            .collect()
    }

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn seed_request_example_round_trips_through_create_body() {
        let seed: Value = serde_json::from_str(SEED_REQUEST).expect("seed request is JSON");
        let pool = parse(located(&seed["spec"]));

        let spec = &pool.spec;
        assert_eq!(spec.pool_type, Some(CcePoolType::Vm));
        assert_eq!(spec.initial_node_count, Some(0));
        let autoscaling = spec.autoscaling.as_ref().expect("autoscaling");
        assert_eq!(
            (
                autoscaling.enable,
                autoscaling.min_node_count,
                autoscaling.max_node_count
            ),
            (Some(false), Some(0), Some(1))
        );
        let template = &spec.node_template;
        assert_eq!(template.flavor.as_deref(), Some("s6.large.2"));
        assert_eq!(
            template.login.as_ref().and_then(|l| l.ssh_key.as_deref()),
            Some("myKeypair")
        );
        assert_eq!(template.root_volume.as_ref().map(|v| v.size), Some(40));
        let data = &template.data_volumes.as_ref().expect("dataVolumes")[0];
        assert_eq!((data.size, data.volumetype.as_str()), (100, "SATA"));
        assert_eq!(
            data.extend_param.as_ref().and_then(|p| p.get("useType")),
            Some(&json!("docker"))
        );
        assert_eq!(template.billing_mode, Some(0));

        assert_eq!(pool.pool_name("my-node-pool"), "my-node-pool");
        assert_eq!(pool.create_body("my-node-pool"), seed);
    }

    #[test]
    fn seed_response_spec_round_trips() {
        let response: Value = serde_json::from_str(SEED_RESPONSE).expect("seed response is JSON");
        let pool = parse(located(&response["spec"]));

        let template = &pool.spec.node_template;
        let public_ip = template.public_ip.as_ref().expect("publicIP");
        assert_eq!(
            public_ip.eip.as_ref().and_then(|e| e.bandwidth.clone()),
            Some(CceBandwidth::default())
        );
        assert_eq!(
            template
                .node_nic_spec
                .as_ref()
                .and_then(|n| n.primary_nic.as_ref())
                .and_then(|p| p.subnet_id.as_deref()),
            Some("7e767d10-7548-4df5-ad72-aeac1d08bd8a")
        );
        let extend = template.extend_param.as_ref().expect("extendParam");
        assert_eq!(extend.max_pods, Some(110));
        assert_eq!(extend.node_image_id.as_deref(), Some(""));
        assert_eq!(extend.pre_install.as_deref(), Some(""));
        assert_eq!(extend.post_install.as_deref(), Some(""));
        assert_eq!(
            template
                .k8s_tags
                .as_ref()
                .and_then(|t| t.get("cce.cloud.com/cce-nodepool"))
                .map(String::as_str),
            Some("my-node-pool")
        );
        assert_eq!(
            pool.spec.node_management,
            Some(CceNodeManagement::default())
        );
        assert_eq!(pool.spec.initial_node_count, None);

        assert_eq!(pool.spec.to_value(), response["spec"]);
        let body = pool.create_body("my-node-pool");
        assert_eq!(body["spec"], response["spec"]);
        assert_eq!(body["metadata"], json!({"name": "my-node-pool"}));
    }

    #[test]
    fn rich_example_round_trips_and_builds_the_create_body() {
        let input = rich();
        let pool = parse(input.clone());
        assert_eq!(
            serde_json::to_value(&pool).expect("spec.huawei serializes"),
            input,
            "spec.huawei does not survive a typed round trip"
        );

        let mut cce_spec = input.clone();
        for field in LOCATION_FIELDS {
            cce_spec.as_object_mut().expect("object").remove(field);
        }
        let want = json!({
            "kind": "NodePool",
            "apiVersion": "v3",
            "metadata": {"name": "rich-pool", "annotations": {"example.com/owner": "platform"}},
            "spec": cce_spec,
        });
        // The explicit name wins over the NodePool's metadata.name.
        assert_eq!(pool.pool_name("ignored"), "rich-pool");
        assert_eq!(pool.create_body("ignored"), want);

        // Typed values of the odd JSON names.
        let root = pool
            .spec
            .node_template
            .root_volume
            .as_ref()
            .expect("rootVolume");
        assert_eq!(root.hw_passthrough, Some(true));
        assert_eq!(root.cluster_type, Some(CceVolumeClusterType::Dss));
        assert_eq!(
            root.metadata.as_ref().and_then(|m| m.system_encrypted),
            Some(CceFlag::Yes)
        );
        let extend = pool
            .spec
            .node_template
            .extend_param
            .as_ref()
            .expect("extendParam");
        assert_eq!(extend.is_auto_pay, Some(CceStringBool::True));
        assert_eq!(extend.market_type, Some(CceMarketType::Spot));
        assert_eq!(
            pool.spec
                .autoscaling
                .as_ref()
                .and_then(|a| a.scale_down_utilization_threshold),
            Some(0.5)
        );
    }

    /// Collects, for every object node of `schema`, the properties that `value` (and, for
    /// arrays, any of its items) never sets.
    fn unset_properties(schema: &Value, value: &Value, path: &str, out: &mut Vec<String>) {
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (name, sub) in props {
                match value.get(name) {
                    Some(v) => unset_properties(sub, v, &format!("{path}.{name}"), out),
                    None => out.push(format!("{path}.{name}")),
                }
            }
        }
        if let (Some(items), Some(values)) = (schema.get("items"), value.as_array()) {
            let mut per_item: Option<BTreeSet<String>> = None;
            for v in values {
                let mut missing = Vec::new();
                unset_properties(items, v, &format!("{path}[]"), &mut missing);
                let missing: BTreeSet<String> = missing.into_iter().collect();
                per_item = Some(match per_item {
                    None => missing,
                    Some(acc) => acc.intersection(&missing).cloned().collect(),
                });
            }
            out.extend(per_item.unwrap_or_default());
        }
    }

    #[test]
    fn rich_example_sets_every_field_of_the_schema() {
        let mut missing = Vec::new();
        unset_properties(&huawei_schema(), &rich(), "spec.huawei", &mut missing);
        assert!(
            missing.is_empty(),
            "the rich example leaves out {missing:?}"
        );
    }

    #[test]
    fn create_body_holds_only_cce_fields() {
        let seed: Value = serde_json::from_str(SEED_REQUEST).expect("seed request is JSON");
        let pool = parse(located(&seed["spec"]));
        let body = pool.create_body("web");
        assert_eq!(body["kind"], "NodePool");
        assert_eq!(body["apiVersion"], "v3");
        assert_eq!(body["metadata"], json!({"name": "web"}));
        let spec = body["spec"].as_object().expect("spec is an object");
        for field in LOCATION_FIELDS {
            assert!(
                !spec.contains_key(field),
                "{field} leaked into the CCE spec"
            );
        }
        assert_eq!(
            body.as_object()
                .map(|b| b.keys().cloned().collect::<BTreeSet<_>>()),
            Some(set(&["kind", "apiVersion", "metadata", "spec"]))
        );
    }

    /// CCE SDK 3.1.219 JSON names (`attribute_map`) per model, against the schema.
    #[test]
    fn schema_has_every_sdk_field_under_its_json_name() {
        let huawei = huawei_schema();
        let template = &huawei["properties"]["nodeTemplate"];
        let cases: [(&str, &Value, &[&str], &[&str]); 8] = [
            (
                "NodePoolSpec (+ location)",
                &huawei,
                &[
                    "type",
                    "nodeTemplate",
                    "initialNodeCount",
                    "autoscaling",
                    "repairPolicy",
                    "nodeManagement",
                    "podSecurityGroups",
                    "extensionScaleGroups",
                    "customSecurityGroups",
                    "taintPolicyOnExistingNodes",
                    "labelPolicyOnExistingNodes",
                    "userTagsPolicyOnExistingNodes",
                    "region",
                    "projectId",
                    "clusterId",
                    "name",
                    "annotations",
                ],
                &[],
            ),
            (
                "NodeTemplate",
                template,
                &[
                    "flavor",
                    "az",
                    "os",
                    "login",
                    "volumeConfig",
                    "rootVolume",
                    "dataVolumes",
                    "storage",
                    "publicIP",
                    "nodeNicSpec",
                    "count",
                    "billingMode",
                    "taints",
                    "waitPostInstallFinish",
                    "k8sTags",
                    "ecsGroupId",
                    "dedicatedHostId",
                    "userTags",
                    "runtime",
                    "initializedConditions",
                    "extendParam",
                    "hostnameConfig",
                    "serverEnterpriseProjectID",
                    "partition",
                    "configurationsOverride",
                    "nodeNameTemplate",
                ],
                &[],
            ),
            (
                "Volume",
                &template["properties"]["rootVolume"],
                &[
                    "size",
                    "volumetype",
                    "iops",
                    "throughput",
                    "extendParam",
                    "cluster_id",
                    "cluster_type",
                    "hw:passthrough",
                    "metadata",
                ],
                &[],
            ),
            (
                "VolumeMetadata",
                &template["properties"]["rootVolume"]["properties"]["metadata"],
                &["__system__encrypted", "__system__cmkid"],
                &[],
            ),
            (
                "NodeExtendParam",
                &template["properties"]["extendParam"],
                &[
                    "ecs:performancetype",
                    "orderID",
                    "productID",
                    "maxPods",
                    "periodType",
                    "periodNum",
                    "isAutoRenew",
                    "isAutoPay",
                    "DockerLVMConfigOverride",
                    "dockerBaseSize",
                    "containerBaseSize",
                    "publicKey",
                    "alpha.cce/preInstall",
                    "alpha.cce/postInstall",
                    "alpha.cce/NodeImageID",
                    "chargingMode",
                    "marketType",
                    "spotPrice",
                    "agency_name",
                    "kubeReservedMem",
                    "systemReservedMem",
                    "kubeReservedCpu",
                    "systemReservedCpu",
                    "kubeReservedPid",
                    "systemReservedPid",
                    "kubeReservedStorage",
                    "systemReservedStorage",
                    "init-node-password",
                    "securityReinforcementType",
                    "serverMetadataHttpTokens",
                ],
                &[],
            ),
            (
                "Login",
                &template["properties"]["login"],
                &[
                    "sshKey",
                    "userPassword",
                    "removeUserPassword",
                    "removeSSHKey",
                ],
                // Update-only flags: meaningless in a create body.
                &["removeUserPassword", "removeSSHKey"],
            ),
            (
                "NodePoolNodeAutoscaling",
                &huawei["properties"]["autoscaling"],
                &[
                    "enable",
                    "minNodeCount",
                    "maxNodeCount",
                    "scaleDownCooldownTime",
                    "priority",
                    "scaleDownUnneededTime",
                    "scaleDownUtilizationThreshold",
                ],
                &[],
            ),
            (
                "ExtensionScaleGroupMetadata",
                &huawei["properties"]["extensionScaleGroups"]["items"]["properties"]["metadata"],
                &["uid", "name"],
                // Generated by CCE; "filling it has no effect" on create.
                &["uid"],
            ),
        ];
        for (model, schema, sdk, omitted) in cases {
            let want: BTreeSet<String> = set(sdk).difference(&set(omitted)).cloned().collect();
            assert_eq!(
                keys(schema),
                want,
                "{model}: schema properties differ from the SDK"
            );
        }

        // The odd names, spelled exactly as CCE spells them.
        let tricky = [
            ("/properties/publicIP", template),
            ("/properties/serverEnterpriseProjectID", template),
            ("/properties/k8sTags", template),
            ("/properties/rootVolume/properties/hw:passthrough", template),
            ("/properties/rootVolume/properties/cluster_id", template),
            ("/properties/rootVolume/properties/cluster_type", template),
            (
                "/properties/rootVolume/properties/metadata/properties/__system__encrypted",
                template,
            ),
            (
                "/properties/dataVolumes/items/properties/hw:passthrough",
                template,
            ),
            (
                "/properties/extendParam/properties/alpha.cce~1NodeImageID",
                template,
            ),
            (
                "/properties/extendParam/properties/alpha.cce~1preInstall",
                template,
            ),
            (
                "/properties/extendParam/properties/ecs:performancetype",
                template,
            ),
            ("/properties/extendParam/properties/agency_name", template),
            (
                "/properties/extendParam/properties/init-node-password",
                template,
            ),
            (
                "/properties/extendParam/properties/DockerLVMConfigOverride",
                template,
            ),
            ("/properties/extendParam/properties/orderID", template),
            ("/properties/hostnameConfig/properties/type", template),
            ("/properties/type", &huawei),
        ];
        for (pointer, root) in tricky {
            assert!(root.pointer(pointer).is_some(), "schema lacks {pointer}");
        }
    }

    /// Walks a schema node and reports what a Kubernetes structural schema forbids.
    fn structural_problems(node: &Value, path: &str, out: &mut Vec<String>) {
        let obj = node.as_object().expect("schema nodes are objects");
        for key in [
            "anyOf",
            "oneOf",
            "allOf",
            "not",
            "$ref",
            "const",
            "definitions",
            "$defs",
        ] {
            if obj.contains_key(key) {
                out.push(format!("{path}: has {key}"));
            }
        }
        let free = obj.get("x-kubernetes-preserve-unknown-fields") == Some(&json!(true));
        let ty = obj.get("type").and_then(Value::as_str);
        if ty.is_none() && !free {
            out.push(format!("{path}: no type"));
        }
        if let Some(additional) = obj.get("additionalProperties") {
            if !additional.is_object() {
                out.push(format!("{path}: additionalProperties is not a schema"));
            }
            if obj.contains_key("properties") {
                out.push(format!("{path}: both properties and additionalProperties"));
            }
            structural_problems(additional, &format!("{path}{{}}"), out);
        }
        if ty == Some("array") {
            match obj.get("items") {
                Some(items) => structural_problems(items, &format!("{path}[]"), out),
                None => out.push(format!("{path}: array without items")),
            }
        }
        if let Some(props) = obj.get("properties").and_then(Value::as_object) {
            for (name, sub) in props {
                let sub_path = format!("{path}.{name}");
                let described = sub
                    .get("description")
                    .and_then(Value::as_str)
                    .is_some_and(|d| !d.trim().is_empty());
                if !described {
                    out.push(format!("{sub_path}: no description"));
                }
                structural_problems(sub, &sub_path, out);
            }
        }
    }

    #[test]
    fn schema_is_structural_and_documented() {
        let mut problems = Vec::new();
        structural_problems(&huawei_schema(), "spec.huawei", &mut problems);
        assert!(problems.is_empty(), "{problems:#?}");
    }

    /// Collects `(path, node)` for every schema node carrying CEL rules, with the
    /// `maxItems` of every list on the way down.
    fn rule_nodes<'a>(
        node: &'a Value,
        path: String,
        list_bounds: Vec<Option<u64>>,
        out: &mut Vec<(String, &'a Value, Vec<Option<u64>>)>,
    ) {
        if node.get("x-kubernetes-validations").is_some() {
            out.push((path.clone(), node, list_bounds.clone()));
        }
        if let Some(props) = node.get("properties").and_then(Value::as_object) {
            for (name, sub) in props {
                rule_nodes(sub, format!("{path}.{name}"), list_bounds.clone(), out);
            }
        }
        if let Some(items) = node.get("items") {
            let mut bounds = list_bounds;
            bounds.push(node.get("maxItems").and_then(Value::as_u64));
            rule_nodes(items, format!("{path}[]"), bounds, out);
        }
    }

    #[test]
    fn rules_have_messages_and_bounded_cost() {
        let schema = huawei_schema();
        let mut nodes = Vec::new();
        rule_nodes(&schema, "spec.huawei".into(), Vec::new(), &mut nodes);
        let mut rules = 0;
        for (path, node, list_bounds) in &nodes {
            for rule in node["x-kubernetes-validations"]
                .as_array()
                .expect("a list of rules")
            {
                rules += 1;
                let text = rule["rule"].as_str().expect("rule text");
                let message = rule["message"].as_str().unwrap_or_default();
                assert!(
                    message.len() > 20,
                    "{path}: rule {text:?} has no helpful message"
                );
                // Rules inside lists run once per item: every list on the way must be bounded.
                assert!(
                    list_bounds.iter().all(Option::is_some),
                    "{path}: rule {text:?} sits in a list without maxItems"
                );
                // String functions cost by length: the string (or list items) must be bounded.
                if text.contains("matches(") || text.contains("startsWith(") {
                    let bounded = node.get("maxLength").is_some()
                        || node.pointer("/items/maxLength").is_some();
                    assert!(
                        bounded,
                        "{path}: rule {text:?} on a string without maxLength"
                    );
                }
            }
        }
        assert_eq!(
            rules, 83,
            "number of CEL rules under spec.huawei changed; update the report"
        );
    }

    /// `(rule, fieldPath)` of every transition rule on the schema node at `pointer`.
    fn transition_rules(schema: &Value, pointer: &str) -> Vec<(String, String)> {
        schema
            .pointer(pointer)
            .unwrap_or_else(|| panic!("no schema at {pointer}"))["x-kubernetes-validations"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["rule"].as_str().is_some_and(|t| t.contains("oldSelf")))
            .map(|r| {
                (
                    r["rule"].as_str().unwrap_or_default().to_string(),
                    r["fieldPath"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    /// The schema node a rule's `fieldPath` (`.a.b` or `.a['b-c']`) names, below `node`.
    fn at_field_path<'a>(mut node: &'a Value, field_path: &str) -> &'a Value {
        let names = field_path
            .replace("['", ".")
            .replace("']", "")
            .trim_start_matches('.')
            .to_string();
        for name in names.split('.') {
            node = node
                .pointer(&format!("/properties/{}", name.replace('/', "~1")))
                .unwrap_or_else(|| panic!("{field_path}: no property {name}"));
        }
        node
    }

    #[test]
    fn immutable_rule_text_catches_set_unset_and_change() {
        let rule = unchanged(&["az"], "m".into());
        assert_eq!(
            rule.rule,
            "has(self.az) == has(oldSelf.az) && (!has(self.az) || self.az == oldSelf.az)"
        );
        assert_eq!(rule.field_path.as_deref(), Some(".az"));
        let nested = unchanged(&["extendParam", "init-node-password"], "m".into());
        assert_eq!(
            nested.rule,
            "(has(self.extendParam) && has(self.extendParam.init__dash__node__dash__password)) \
             == (has(oldSelf.extendParam) && has(oldSelf.extendParam.init__dash__node__dash__password)) \
             && (!(has(self.extendParam) && has(self.extendParam.init__dash__node__dash__password)) \
             || self.extendParam.init__dash__node__dash__password == oldSelf.extendParam.init__dash__node__dash__password)"
        );
        assert_eq!(
            nested.field_path.as_deref(),
            Some(".extendParam['init-node-password']")
        );
        assert_eq!(
            unchanged_or(&["type"], "'vm'", "m".into()).rule,
            "(has(self.type) ? self.type : 'vm') == (has(oldSelf.type) ? oldSelf.type : 'vm')"
        );
        for (name, cel) in [
            ("maxPods", "maxPods"),
            ("alpha.cce/preInstall", "alpha__dot__cce__slash__preInstall"),
            (
                "__system__cmkid",
                "__underscores__system__underscores__cmkid",
            ),
        ] {
            assert_eq!(cel_name(name), cel);
        }
        assert!(std::panic::catch_unwind(|| cel_name("ecs:performancetype")).is_err());
    }

    #[test]
    fn fields_cce_cannot_update_are_guarded_and_documented() {
        let schema = huawei_schema();
        let template = "/properties/nodeTemplate";
        let mut guarded: Vec<String> = Vec::new();
        for (pointer, prefix) in [("", "spec.huawei"), (template, "spec.huawei.nodeTemplate")] {
            let node = schema.pointer(pointer).expect("schema node");
            for (rule, field_path) in transition_rules(&schema, pointer) {
                if field_path.is_empty() || rule == "has(self.name) == has(oldSelf.name)" {
                    continue;
                }
                let field = at_field_path(node, &field_path);
                let description = field["description"].as_str().unwrap_or_default();
                assert!(
                    description.contains("Immutable"),
                    "{prefix}{field_path} is guarded but its description does not say Immutable: {description}"
                );
                guarded.push(format!("{prefix}{field_path}"));
            }
        }
        // What NodePoolUpdate cannot carry, and flavor/az (documented as not modifiable); the
        // full derivation from the SDK is tests/sdk/check_immutable.py.
        for field in [
            "spec.huawei.type",
            "spec.huawei.annotations",
            "spec.huawei.podSecurityGroups",
            "spec.huawei.nodeTemplate.flavor",
            "spec.huawei.nodeTemplate.az",
            "spec.huawei.nodeTemplate.billingMode",
            "spec.huawei.nodeTemplate.volumeConfig",
            "spec.huawei.nodeTemplate.hostnameConfig",
            "spec.huawei.nodeTemplate.nodeNicSpec.extNics",
            "spec.huawei.nodeTemplate.extendParam.maxPods",
            "spec.huawei.nodeTemplate.extendParam['init-node-password']",
        ] {
            assert!(
                guarded.iter().any(|g| g == field),
                "{field} is not guarded: {guarded:#?}"
            );
        }
        // And what it can carry is not.
        for field in [
            "os",
            "login",
            "rootVolume",
            "dataVolumes",
            "taints",
            "k8sTags",
            "userTags",
        ] {
            let field = format!("spec.huawei.nodeTemplate.{field}");
            assert!(!guarded.contains(&field), "{field} can change in place");
        }
        assert!(
            !guarded
                .iter()
                .any(|g| g.contains("initialNodeCount") || g.contains("autoscaling")),
            "counts and autoscaling change in place"
        );
    }

    #[test]
    fn user_tags_leave_room_for_the_owner_tags() {
        assert_eq!(CCE_MAX_USER_TAGS, 8);
        assert_eq!(CCE_MAX_SPEC_USER_TAGS, 6);
        let schema = huawei_schema();
        let tags = "/properties/nodeTemplate/properties/userTags";
        let rules = |pointer: &str| -> Vec<String> {
            schema.pointer(pointer).expect("schema node")["x-kubernetes-validations"]
                .as_array()
                .expect("rules")
                .iter()
                .map(|r| r["rule"].as_str().expect("rule").to_string())
                .collect()
        };
        assert_eq!(schema.pointer(&format!("{tags}/maxItems")), Some(&json!(8)));
        assert!(rules(tags).contains(&"self.size() <= 6".to_string()));
        let key = format!("{tags}/items/properties/key");
        assert!(
            rules(&key)
                .contains(&"!(self in ['nodepool-owner-uid', 'nodepool-owner'])".to_string())
        );
        assert_eq!(
            schema.pointer(&format!("{key}/maxLength")),
            Some(&json!(36))
        );
        assert_eq!(
            schema.pointer(&format!("{tags}/items/properties/value/maxLength")),
            Some(&json!(43))
        );
    }

    #[test]
    fn the_rules_the_api_promises_are_in_the_schema() {
        let schema = huawei_schema();
        let rules_at = |pointer: &str| -> Vec<String> {
            schema
                .pointer(pointer)
                .unwrap_or_else(|| panic!("no schema at {pointer}"))["x-kubernetes-validations"]
                .as_array()
                .unwrap_or_else(|| panic!("no rules at {pointer}"))
                .iter()
                .map(|r| r["rule"].as_str().expect("rule").to_string())
                .collect()
        };
        for field in ["region", "projectId", "clusterId", "name"] {
            assert!(
                rules_at(&format!("/properties/{field}")).contains(&"self == oldSelf".to_string()),
                "{field} is not immutable"
            );
        }
        assert!(rules_at("/properties/name").contains(&CCE_NAME_RULE.to_string()));
        assert!(rules_at("").contains(&"has(self.name) == has(oldSelf.name)".to_string()));
        assert!(rules_at("").contains(&"has(self.initialNodeCount)".to_string()));
        assert_eq!(rules_at("/properties/initialNodeCount"), ["self >= 0"]);
        assert!(
            rules_at("/properties/autoscaling")[0]
                .contains("self.maxNodeCount >= self.minNodeCount")
        );
        assert_eq!(
            schema
                .pointer("/properties/nodeTemplate/properties/taints/items/properties/effect/enum"),
            Some(&json!(["NoSchedule", "PreferNoSchedule", "NoExecute"]))
        );
        assert_eq!(
            schema.pointer("/properties/type/enum"),
            Some(&json!(["vm", "ElasticBMS", "pm"]))
        );
        assert_eq!(
            rules_at("/properties/nodeTemplate/properties/rootVolume/properties/size"),
            ["self > 0"]
        );
    }

    #[test]
    fn enum_fields_keep_their_field_docs() {
        let schema = huawei_schema();
        let description = |pointer: &str| -> String {
            schema
                .pointer(&format!("{pointer}/description"))
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("no description at {pointer}"))
                .to_string()
        };
        // Three fields share one enum type; each must keep its own text.
        assert!(description("/properties/taintPolicyOnExistingNodes").contains("taint"));
        assert!(description("/properties/labelPolicyOnExistingNodes").contains("label"));
        assert!(description("/properties/userTagsPolicyOnExistingNodes").contains("userTags"));
        assert!(description("/properties/type").contains("ElasticBMS"));
        assert!(
            description("/properties/nodeTemplate/properties/hostnameConfig/properties/type")
                .contains("cceNodeName")
        );
        assert!(
            description("/properties/nodeTemplate/properties/login/properties/userPassword/properties/password")
                .contains("DISCOURAGED")
        );
    }

    /// A sample NodePool, after checking that the Rust types keep every field of it.
    fn sample(file: &str) -> NodePool {
        let path = format!("{}/deploy/samples/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let raw: Value = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        let pool: NodePool =
            serde_json::from_value(raw.clone()).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut want = raw["spec"].clone();
        want["deletionPolicy"] = json!("Delete");
        assert_eq!(
            serde_json::to_value(&pool.spec).expect("spec serializes"),
            want,
            "{path}: the Rust types lose or change fields of the sample"
        );
        pool
    }

    #[test]
    fn seed_sample_sends_the_seed_request() {
        let pool = sample("huawei-seed.yaml");
        let huawei = pool.spec.huawei.as_ref().expect("spec.huawei");
        let name = pool.metadata.name.as_deref().expect("metadata.name");
        let seed: Value = serde_json::from_str(SEED_REQUEST).expect("seed request is JSON");
        assert_eq!(huawei.create_body(name), seed);
        assert_eq!(huawei.region, "cn-north-4");
        assert_eq!(pool.spec.credentials_ref.name, "huawei-credentials");
    }

    #[test]
    fn autoscaling_sample_is_complete() {
        let pool = sample("huawei-autoscaling.yaml");
        let huawei = pool.spec.huawei.as_ref().expect("spec.huawei");
        let autoscaling = huawei.spec.autoscaling.as_ref().expect("autoscaling");
        assert_eq!(autoscaling.enable, Some(true));
        assert!(autoscaling.max_node_count >= autoscaling.min_node_count);
        let template = &huawei.spec.node_template;
        assert!(template.taints.as_ref().is_some_and(|t| !t.is_empty()));
        assert!(template.k8s_tags.as_ref().is_some_and(|t| !t.is_empty()));
        assert!(template.user_tags.as_ref().is_some_and(|t| !t.is_empty()));
        assert!(
            template
                .data_volumes
                .as_ref()
                .is_some_and(|d| !d.is_empty())
        );
        assert_eq!(
            template.extend_param.as_ref().and_then(|e| e.max_pods),
            Some(64)
        );
        let body = huawei.create_body("batch");
        assert_eq!(body["metadata"]["name"], "batch-workers");
        assert_eq!(
            body["spec"]["nodeTemplate"]["extendParam"],
            json!({"maxPods": 64})
        );
    }
}
