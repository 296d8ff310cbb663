//! The request body and the camelCase <-> snake_case converter: [`to_wire`] and [`from_wire`].

use serde_json::Value;

/// Subtrees (CRD camelCase object keys from the body root; list items are transparent) that
/// [`to_wire`] and [`from_wire`] copy verbatim: only the key naming the subtree is renamed.
///
/// * `nodeConfig.kubeletConfiguration`: kubelet's camelCase names (`clusterDNS`, `kubeAPIQPS`).
/// * `nodeConfig.nodeOsConfig.hugepage`: camelCase on the wire too (`transparentEnabled`).
/// * `nodeConfig.nodeOsConfig.sysctl`: keys are sysctl names (`vm.max_map_count`).
/// * `nodeComponents[].config.customConfig`: free-form, component-specific keys.
pub const VERBATIM_PATHS: &[&[&str]] = &[
    &["nodeConfig", "kubeletConfiguration"],
    &["nodeConfig", "nodeOsConfig", "hugepage"],
    &["nodeConfig", "nodeOsConfig", "sysctl"],
    &["nodeComponents", "config", "customConfig"],
];

/// Renames a lowerCamelCase name to snake_case: each upper-case ASCII letter becomes `_` and
/// its lower-case form; digits stay where they are (`minimumEniIpv6AddressQuantity` ->
/// `minimum_eni_ipv6_address_quantity`). The inverse of serde's `camelCase` for snake_case
/// names whose `_` are each followed by a lower-case letter.
pub fn camel_to_snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Renames a snake_case name to lowerCamelCase exactly as serde's `rename_all = "camelCase"`
/// does: drop each `_` and upper-case the character after it.
pub fn snake_to_camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[derive(Clone, Copy)]
enum Direction {
    ToWire,
    FromWire,
}

/// Converts a spec-shaped (camelCase) CreateClusterNodePool body to Alibaba's snake_case wire
/// body, recursively, except inside [`VERBATIM_PATHS`].
pub fn to_wire(value: Value) -> Value {
    convert(value, &mut Vec::new(), Direction::ToWire)
}

/// Converts an Alibaba snake_case node pool body (request, or a DescribeClusterNodePoolDetail
/// response) to the camelCase shape of this spec, except inside [`VERBATIM_PATHS`].
pub fn from_wire(value: Value) -> Value {
    convert(value, &mut Vec::new(), Direction::FromWire)
}

fn convert(value: Value, path: &mut Vec<String>, direction: Direction) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, child)| {
                    let (renamed, camel) = match direction {
                        Direction::ToWire => (camel_to_snake(&key), key),
                        Direction::FromWire => {
                            let camel = snake_to_camel(&key);
                            (camel.clone(), camel)
                        }
                    };
                    path.push(camel);
                    let child = if is_verbatim(path) {
                        child
                    } else {
                        convert(child, path, direction)
                    };
                    path.pop();
                    (renamed, child)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| convert(item, path, direction))
                .collect(),
        ),
        scalar => scalar,
    }
}

fn is_verbatim(path: &[String]) -> bool {
    VERBATIM_PATHS.iter().any(|verbatim| {
        verbatim.len() == path.len() && verbatim.iter().zip(path).all(|(a, b)| a == b)
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::crd::alibaba::test_support::{
        EXTRA_WIRE_PATHS, RICH, SDK_WIRE_PATHS, SEED_AUTOSCALING, SEED_PREPAID, alibaba_schema,
        parse, under_verbatim,
    };

    use super::*;

    #[test]
    fn from_wire_inverts_to_wire() {
        for body in [parse(RICH), parse(SEED_PREPAID), parse(SEED_AUTOSCALING)] {
            assert_eq!(to_wire(from_wire(body.clone())), body);
        }
    }

    #[test]
    fn names_convert_both_ways_including_digits() {
        for (camel, snake) in [
            (
                "minimumEniIpv6AddressQuantity",
                "minimum_eni_ipv6_address_quantity",
            ),
            (
                "onDemandPercentageAboveBaseCapacity",
                "on_demand_percentage_above_base_capacity",
            ),
            ("vswitchIds", "vswitch_ids"),
            ("nodepoolInfo", "nodepool_info"),
            ("deploymentsetId", "deploymentset_id"),
            ("type", "type"),
        ] {
            assert_eq!(camel_to_snake(camel), snake);
            assert_eq!(snake_to_camel(snake), camel);
        }
    }

    #[test]
    fn to_wire_renames_keys_recursively_through_lists() {
        let spec = json!({
            "scalingGroup": {"instanceTypes": ["ecs.gN7i-c8g1.2xlarge"], "dataDisks": [{"kmsKeyId": "kmsKey", "size": 40}]},
            "kubernetesConfig": {"labels": [{"key": "camelKey", "value": "camelValue"}]},
        });
        assert_eq!(
            to_wire(spec),
            json!({
                "scaling_group": {"instance_types": ["ecs.gN7i-c8g1.2xlarge"], "data_disks": [{"kms_key_id": "kmsKey", "size": 40}]},
                "kubernetes_config": {"labels": [{"key": "camelKey", "value": "camelValue"}]},
            }),
            "keys are renamed, string values never are"
        );
        assert_eq!(to_wire(json!(["aB", 1, null])), json!(["aB", 1, null]));
    }

    #[test]
    fn verbatim_subtrees_keep_their_keys_both_ways() {
        let spec = json!({
            "nodeConfig": {
                "kubeletConfiguration": {"clusterDNS": ["10.0.0.10"], "kubeAPIQPS": 50, "evictionHard": {"memory.available": "5%"}},
                "nodeOsConfig": {
                    "hugepage": {"transparentEnabled": "never", "khugepagedDefrag": 0},
                    "sysctl": {"vm.max_map_count": 262144, "kernel.someCamel": "1"},
                },
            },
            "nodeComponents": [{"name": "kubelet", "config": {
                "customConfig": {"cpuManagerPolicy": "static", "snake_key": {"innerCamel": 1}},
                "envs": [{"name": "A_B", "value": "c_d"}],
            }}],
        });
        let wire = json!({
            "node_config": {
                "kubelet_configuration": {"clusterDNS": ["10.0.0.10"], "kubeAPIQPS": 50, "evictionHard": {"memory.available": "5%"}},
                "node_os_config": {
                    "hugepage": {"transparentEnabled": "never", "khugepagedDefrag": 0},
                    "sysctl": {"vm.max_map_count": 262144, "kernel.someCamel": "1"},
                },
            },
            "node_components": [{"name": "kubelet", "config": {
                "custom_config": {"cpuManagerPolicy": "static", "snake_key": {"innerCamel": 1}},
                "envs": [{"name": "A_B", "value": "c_d"}],
            }}],
        });
        assert_eq!(to_wire(spec.clone()), wire);
        assert_eq!(from_wire(wire), spec);
    }

    #[test]
    fn only_the_listed_paths_are_verbatim() {
        // The same key names elsewhere are ordinary Alibaba names and get converted.
        assert_eq!(
            to_wire(
                json!({"scalingGroup": {"sysctl": {"aB": 1}, "customConfig": {"cD": 2}}, "sysctl": {"eF": 3}})
            ),
            json!({"scaling_group": {"sysctl": {"a_b": 1}, "custom_config": {"c_d": 2}}, "sysctl": {"e_f": 3}})
        );
    }

    #[test]
    fn verbatim_paths_exist_in_the_schema() {
        let schema = alibaba_schema();
        for path in VERBATIM_PATHS {
            let mut node = &schema;
            for key in *path {
                if node["type"] == "array" {
                    node = &node["items"];
                }
                node = &node["properties"][*key];
                assert!(
                    node.is_object(),
                    "verbatim path {path:?}: no property {key}"
                );
            }
        }
    }

    #[test]
    fn every_sdk_name_survives_camel_and_back() {
        for path in SDK_WIRE_PATHS.iter().chain(EXTRA_WIRE_PATHS) {
            let mut camel_path: Vec<String> = Vec::new();
            for segment in path.split('.') {
                let segment = segment.trim_end_matches("[]");
                camel_path.push(segment.to_owned());
                if under_verbatim(&camel_path) {
                    continue; // kept in its wire spelling
                }
                let camel = snake_to_camel(segment);
                assert_eq!(camel_to_snake(&camel), segment, "in {path}");
                *camel_path.last_mut().expect("just pushed") = camel;
            }
        }
    }
}
