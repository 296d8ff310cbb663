//! `autoscaling`, `nodePoolRepairPolicy`, `nodeManagement`, `extensionScaleGroups`: CCE's autoscaling,
//! repair policy, node management and extension scale groups.

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::rules::keep_field_docs;

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
