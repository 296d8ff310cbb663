//! CEL helpers for `spec.alibaba` (the immutability rule builder and its advice) and schema tweaks.

use crate::crd::huawei::unchanged;

/// What to do about a field ACK cannot change: the generic advice.
pub(super) const ACK_NEW_POOL: &str =
    "create a new NodePool with the new value and move the workloads to it";

/// A transition rule on `spec.alibaba` that refuses setting, changing or removing the field at
/// `path` (JSON names below `spec.alibaba`), which ModifyClusterNodePool cannot carry.
pub(super) fn ack_fixed(path: &[&str], hint: &str) -> kube::core::Rule {
    unchanged(
        path,
        format!(
            "spec.alibaba.{} cannot be set, changed or removed after the pool is created (ACK cannot change it in place); {hint}",
            path.join(".")
        ),
    )
}

/// Drops an enum type's own description from its schema, so that the description of the field
/// using it (what `kubectl explain` should show) is not overwritten when kube inlines the enum.
pub(super) fn drop_description(schema: &mut schemars::Schema) {
    schema.remove("description");
}

/// Schema of a free-form object: any keys and values, kept as written.
pub(super) fn free_form_object(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": true,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use crate::crd::alibaba::test_support::alibaba_schema;

    /// (schema path, number of CEL rules there): a rule added, moved or lost shows up here.
    #[test]
    fn cel_rules_sit_where_expected() {
        fn collect(node: &Value, path: &str, out: &mut Vec<(String, usize)>) {
            if let Some(rules) = node["x-kubernetes-validations"].as_array() {
                out.push((path.to_owned(), rules.len()));
            }
            for (name, child) in node["properties"].as_object().into_iter().flatten() {
                collect(child, &format!("{path}.{name}"), out);
            }
            if node["items"].is_object() {
                collect(&node["items"], &format!("{path}[]"), out);
            }
        }
        let mut found = Vec::new();
        collect(&alibaba_schema(), "alibaba", &mut found);
        let expected = [
            ("alibaba", 24),
            ("alibaba.autoScaling", 1),
            ("alibaba.autoScaling.maxInstances", 1),
            ("alibaba.autoScaling.minInstances", 1),
            ("alibaba.clusterId", 2),
            (
                "alibaba.management.autoRepairPolicy.maxParallelRepairingNodes",
                1,
            ),
            (
                "alibaba.management.autoRepairPolicy.maxUnhealthyNodesThreshold",
                1,
            ),
            ("alibaba.management.autoVulFixPolicy.vulLevel", 1),
            ("alibaba.management.upgradeConfig", 1),
            ("alibaba.nodepoolInfo.name", 1),
            ("alibaba.regionId", 2),
            ("alibaba.scalingGroup", 9),
            ("alibaba.scalingGroup.desiredSize", 1),
            ("alibaba.scalingGroup.instanceTypes", 1),
            ("alibaba.scalingGroup.loginPassword", 1),
            ("alibaba.scalingGroup.privatePoolOptions", 1),
            ("alibaba.scalingGroup.resourcePoolOptions", 1),
            ("alibaba.scalingGroup.systemDiskSize", 1),
            ("alibaba.scalingGroup.tags[]", 1),
            ("alibaba.scalingGroup.vswitchIds", 1),
        ];
        let expected: Vec<(String, usize)> =
            expected.iter().map(|(p, n)| (p.to_string(), *n)).collect();
        found.sort();
        assert_eq!(found, expected);
    }

    #[test]
    fn fields_ack_cannot_update_are_guarded_and_documented() {
        let schema = alibaba_schema();
        let guarded: Vec<String> = schema["x-kubernetes-validations"]
            .as_array()
            .expect("rules")
            .iter()
            .filter(|r| r["rule"].as_str().is_some_and(|t| t.contains("oldSelf")))
            .filter_map(|r| r["fieldPath"].as_str().map(str::to_string))
            .collect();
        // What ModifyClusterNodePoolRequest cannot carry; the full derivation from the SDK is
        // tests/sdk/check_immutable.py.
        for field in [
            ".scalingGroup.securityGroupId",
            ".scalingGroup.ramRoleName",
            ".scalingGroup.loginAsNonRoot",
            ".scalingGroup.instanceMetadataOptions",
            ".scalingGroup.vpcId",
            ".nodeConfig",
            ".nodeComponents",
            ".autoMode",
            ".efloNodeGroup.groupId",
        ] {
            assert!(guarded.iter().any(|g| g == field), "{field} is not guarded");
            let mut node = &schema;
            for name in field.trim_start_matches('.').split('.') {
                node = &node["properties"][name];
            }
            assert!(
                node["description"]
                    .as_str()
                    .is_some_and(|d| d.contains("Immutable")),
                "{field}: the description does not say Immutable"
            );
        }
        // What it can carry is not guarded.
        for field in [
            ".scalingGroup.securityGroupIds",
            ".scalingGroup.instanceChargeType",
            ".scalingGroup.instanceTypes",
            ".scalingGroup.desiredSize",
            ".kubernetesConfig",
            ".forceDelete",
        ] {
            assert!(!guarded.iter().any(|g| g == field), "{field} can change");
        }
    }
}
