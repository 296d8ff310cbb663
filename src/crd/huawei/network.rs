//! `nodeTemplate.publicIP` and `nodeTemplate.nodeNicSpec`: CCE's `NodePublicIP` (EIP, bandwidth) and NIC specs.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::rules::keep_field_docs;

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
