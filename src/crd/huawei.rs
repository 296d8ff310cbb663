//! `spec.huawei`: a Huawei Cloud CCE node pool (placeholder, being written).
use kube::KubeSchema;
use serde::{Deserialize, Serialize};

/// A node pool in a Huawei Cloud CCE cluster.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct HuaweiNodePool {
    /// Region of the CCE cluster.
    pub region: String,
    /// Project ID.
    pub project_id: String,
    /// Cluster ID.
    pub cluster_id: String,
    /// Name at the cloud.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl HuaweiNodePool {
    /// The CCE create request body for this pool.
    pub fn create_body(&self, default_name: &str) -> serde_json::Value {
        serde_json::json!({"kind": "NodePool", "apiVersion": "v3",
            "metadata": {"name": self.name.as_deref().unwrap_or(default_name)}})
    }
}
