//! `nodeComponents`: ACK's `CreateClusterNodePoolRequestNodeComponents` (per-component configuration).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::rules::free_form_object;

/// A node component.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeComponent {
    /// Component name, e.g. `kubelet`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Component version, e.g. `1.33.3-aliyun.1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Component configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<NodeComponentConfig>,
}

/// Configuration of a node component.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeComponentConfig {
    /// Free-form, component-specific settings sent as written, e.g. for `kubelet`
    /// `{cpuManagerPolicy: static}`. Not validated here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "free_form_object")]
    pub custom_config: Option<Map<String, Value>>,
    /// Environment variables of the component.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envs: Option<Vec<NodeComponentEnv>>,
}

/// An environment variable of a node component.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeComponentEnv {
    /// Variable name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Variable value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}
