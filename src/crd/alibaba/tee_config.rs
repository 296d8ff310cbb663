//! `teeConfig`: ACK's `CreateClusterNodePoolRequestTeeConfig` (confidential computing).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Confidential computing settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TeeConfig {
    /// Enable confidential computing for the pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tee_enable: Option<bool>,
}
