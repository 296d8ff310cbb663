//! `spec.alibaba`: an Alibaba Cloud ACK node pool (placeholder, being written).
use kube::KubeSchema;
use serde::{Deserialize, Serialize};

/// A node pool in an Alibaba Cloud ACK cluster.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlibabaNodePool {
    /// Region ID.
    pub region_id: String,
    /// Cluster ID.
    pub cluster_id: String,
}

impl AlibabaNodePool {
    /// The CreateClusterNodePool request body for this pool.
    pub fn create_body(&self, default_name: &str) -> serde_json::Value {
        serde_json::json!({"nodepool_info": {"name": default_name}})
    }
}
