//! `autoScaling`: ACK's `CreateClusterNodePoolRequestAutoScaling`.

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::rules::drop_description;
use super::scaling_group::InternetChargeType;

/// Node auto scaling.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[x_kube(validation = Rule::new(
    "(has(self.maxInstances) ? self.maxInstances : 0) >= (has(self.minInstances) ? self.minInstances : 0)"
).message(
    "autoScaling.maxInstances must be greater than or equal to autoScaling.minInstances (both default to 0)"
).reason(Reason::FieldValueInvalid))]
#[serde(rename_all = "camelCase")]
pub struct AutoScaling {
    /// Enable auto scaling between `minInstances` and `maxInstances`. When false (default) the
    /// other fields here have no effect and the pool keeps `scalingGroup.desiredSize` nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable: Option<bool>,
    /// Minimum number of instances, 0 to `maxInstances`. Default: 0. A non-zero value creates
    /// that many instances at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self >= 0").message("autoScaling.minInstances must be 0 or more"))]
    pub min_instances: Option<i64>,
    /// Maximum number of instances, `minInstances` to 2000. Default: 0. Keep it at or above the
    /// current node count, or nodes are removed at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self <= 2000").message("autoScaling.maxInstances must be 2000 or less"))]
    pub max_instances: Option<i64>,
    /// Instance kind to scale: `cpu` (default), `gpu`, `gpushare` or `spot`. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<AutoScalingType>,
    /// Deprecated: use `scalingGroup.internetChargeType` and
    /// `scalingGroup.internetMaxBandwidthOut`. Bind an EIP to each node. Default: false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_bond_eip: Option<bool>,
    /// Deprecated: use `scalingGroup.internetMaxBandwidthOut`. EIP peak bandwidth, in Mbit/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eip_bandwidth: Option<i64>,
    /// Deprecated: use `scalingGroup.internetChargeType`. EIP billing: `PayByBandwidth`
    /// (default) or `PayByTraffic`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eip_internet_charge_type: Option<InternetChargeType>,
}

/// Instance kind for auto scaling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = drop_description)]
#[serde(rename_all = "lowercase")]
pub enum AutoScalingType {
    /// Regular instances.
    Cpu,
    /// GPU-accelerated instances.
    Gpu,
    /// Shared GPU instances.
    Gpushare,
    /// Spot instances.
    Spot,
}
