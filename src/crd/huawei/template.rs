//! `nodeTemplate`: CCE's `NodeTemplate` (flavor, OS, login, runtime, taints, user tags, hostname,
//! node name template) and the owner tags the controller adds.

use std::collections::BTreeMap;

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::extend_param::CceNodeExtendParam;
use super::network::{CceNodeNicSpec, CcePublicIp};
use super::rules::{
    CCE_NEW_BILLING, CCE_NEW_NODES, CCE_NEW_POOL, CCE_SINGLE_NODES, free_form_value,
    keep_field_docs, template_fixed, unchanged_or,
};
use super::storage::{CceStorage, CceVolume, CceVolumeConfig};

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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::crd::huawei::test_support::huawei_schema;

    use super::*;

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
}
