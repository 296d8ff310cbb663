//! CEL helpers for `spec.huawei`: property names in CEL, presence checks, field paths, the
//! immutability (transition) rule builders and their messages, and schema tweaks.

use kube::core::{Message, Rule};

/// CEL expression for the CCE node pool name rule, applied to `self`.
pub(super) const CCE_NAME_RULE: &str =
    "self.matches('^[a-z]([-a-z0-9]{0,48}[a-z0-9])?$') && self != 'DefaultPool'";

/// CEL name of a property (Kubernetes' escaping, `k8s.io/apiserver/pkg/cel/escaping.go`):
/// `__` -> `__underscores__`, `.` -> `__dot__`, `-` -> `__dash__`, `/` -> `__slash__`.
/// Names with other characters (such as `:`) cannot be used in CEL at all.
fn cel_name(name: &str) -> String {
    assert!(
        name.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c))
            && !name.starts_with(|c: char| c.is_ascii_digit()),
        "{name} cannot be addressed in CEL"
    );
    name.replace("__", "__underscores__")
        .replace('.', "__dot__")
        .replace('-', "__dash__")
        .replace('/', "__slash__")
}

/// `has(x.a) && has(x.a.b) && ...` for `path` below `root`, and the CEL path itself.
fn presence(root: &str, path: &[&str]) -> (String, String) {
    let mut at = root.to_string();
    let mut checks = Vec::new();
    for name in path {
        at = format!("{at}.{}", cel_name(name));
        checks.push(format!("has({at})"));
    }
    let all = checks.join(" && ");
    (
        if path.len() > 1 {
            format!("({all})")
        } else {
            all
        },
        at,
    )
}

/// The `fieldPath` of a rule for `path`: `.a.b`, or `.a['b-c']` for names that are not identifiers.
fn field_path(path: &[&str]) -> String {
    path.iter()
        .map(|name| {
            if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                format!(".{name}")
            } else {
                format!("['{name}']")
            }
        })
        .collect()
}

/// A transition rule, on an object present in both the old and the new NodePool, that refuses
/// setting, removing or changing the field at `path` (JSON names, each step optional):
/// `has(self.x) == has(oldSelf.x) && (!has(self.x) || self.x == oldSelf.x)`. A rule on the
/// field itself would only run when both the old and the new object have it.
pub(in crate::crd) fn unchanged(path: &[&str], message: String) -> Rule {
    let (new, new_path) = presence("self", path);
    let (old, old_path) = presence("oldSelf", path);
    Rule::new(format!(
        "{new} == {old} && (!{new} || {new_path} == {old_path})"
    ))
    .message(Message::Message(message))
    .field_path(field_path(path))
}

/// Like [`unchanged`] for a field whose absence means `default` (a CEL literal): setting it to
/// its default is no change.
pub(super) fn unchanged_or(path: &[&str], default: &str, message: String) -> Rule {
    let (new, new_path) = presence("self", path);
    let (old, old_path) = presence("oldSelf", path);
    Rule::new(format!(
        "({new} ? {new_path} : {default}) == ({old} ? {old_path} : {default})"
    ))
    .message(Message::Message(message))
    .field_path(field_path(path))
}

/// The message for a field of `spec.huawei` at `path` that CCE cannot change in place.
fn cce_fixed_message(path: &[&str], hint: &str) -> String {
    format!(
        "spec.huawei.{} cannot be set, changed or removed after the pool is created (CCE cannot change it in place); {hint}",
        path.join(".")
    )
}

/// [`unchanged`] for a field of `spec.huawei` (relative to the object the rule sits on, which
/// is `spec.huawei` itself or `nodeTemplate`, named by `under`).
pub(super) fn cce_fixed(under: &[&str], path: &[&str], hint: &str) -> Rule {
    let full: Vec<&str> = under.iter().chain(path).copied().collect();
    unchanged(path, cce_fixed_message(&full, hint))
}

/// [`cce_fixed`] for a field below `nodeTemplate`.
pub(super) fn template_fixed(path: &[&str], hint: &str) -> Rule {
    cce_fixed(&["nodeTemplate"], path, hint)
}

/// What to do about a field CCE cannot change: the generic advice.
pub(super) const CCE_NEW_POOL: &str =
    "create a new NodePool with the new value and move the workloads to it";
/// What to do about a billing field CCE cannot change.
pub(super) const CCE_NEW_BILLING: &str =
    "create a new NodePool with the new billing settings and move the workloads to it";
/// What to do about a node setting CCE cannot change for a pool's nodes.
pub(super) const CCE_NEW_NODES: &str =
    "create a new NodePool whose nodes have the new setting and move the workloads to it";
/// What to do about a field for single nodes that CCE cannot change for a pool.
pub(super) const CCE_SINGLE_NODES: &str =
    "it is for single nodes, not pools; create a new NodePool without it";

/// Drops an enum's own description from its schema, so that the description of the
/// field using it (which says what the values mean there) is what `kubectl explain` shows.
pub(super) fn keep_field_docs(schema: &mut schemars::Schema) {
    schema.remove("description");
}

/// Schema of a free-form JSON object whose keys and values CCE does not fix.
pub(super) fn free_form_object(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": true,
    })
}

/// Schema of a free-form JSON value of any type.
pub(super) fn free_form_value(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "x-kubernetes-preserve-unknown-fields": true,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::crd::huawei::test_support::huawei_schema;

    use super::*;

    /// Collects `(path, node)` for every schema node carrying CEL rules, with the
    /// `maxItems` of every list on the way down.
    fn rule_nodes<'a>(
        node: &'a Value,
        path: String,
        list_bounds: Vec<Option<u64>>,
        out: &mut Vec<(String, &'a Value, Vec<Option<u64>>)>,
    ) {
        if node.get("x-kubernetes-validations").is_some() {
            out.push((path.clone(), node, list_bounds.clone()));
        }
        if let Some(props) = node.get("properties").and_then(Value::as_object) {
            for (name, sub) in props {
                rule_nodes(sub, format!("{path}.{name}"), list_bounds.clone(), out);
            }
        }
        if let Some(items) = node.get("items") {
            let mut bounds = list_bounds;
            bounds.push(node.get("maxItems").and_then(Value::as_u64));
            rule_nodes(items, format!("{path}[]"), bounds, out);
        }
    }

    #[test]
    fn rules_have_messages_and_bounded_cost() {
        let schema = huawei_schema();
        let mut nodes = Vec::new();
        rule_nodes(&schema, "spec.huawei".into(), Vec::new(), &mut nodes);
        let mut rules = 0;
        for (path, node, list_bounds) in &nodes {
            for rule in node["x-kubernetes-validations"]
                .as_array()
                .expect("a list of rules")
            {
                rules += 1;
                let text = rule["rule"].as_str().expect("rule text");
                let message = rule["message"].as_str().unwrap_or_default();
                assert!(
                    message.len() > 20,
                    "{path}: rule {text:?} has no helpful message"
                );
                // Rules inside lists run once per item: every list on the way must be bounded.
                assert!(
                    list_bounds.iter().all(Option::is_some),
                    "{path}: rule {text:?} sits in a list without maxItems"
                );
                // String functions cost by length: the string (or list items) must be bounded.
                if text.contains("matches(") || text.contains("startsWith(") {
                    let bounded = node.get("maxLength").is_some()
                        || node.pointer("/items/maxLength").is_some();
                    assert!(
                        bounded,
                        "{path}: rule {text:?} on a string without maxLength"
                    );
                }
            }
        }
        assert_eq!(
            rules, 83,
            "number of CEL rules under spec.huawei changed; update the report"
        );
    }

    /// `(rule, fieldPath)` of every transition rule on the schema node at `pointer`.
    fn transition_rules(schema: &Value, pointer: &str) -> Vec<(String, String)> {
        schema
            .pointer(pointer)
            .unwrap_or_else(|| panic!("no schema at {pointer}"))["x-kubernetes-validations"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["rule"].as_str().is_some_and(|t| t.contains("oldSelf")))
            .map(|r| {
                (
                    r["rule"].as_str().unwrap_or_default().to_string(),
                    r["fieldPath"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    /// The schema node a rule's `fieldPath` (`.a.b` or `.a['b-c']`) names, below `node`.
    fn at_field_path<'a>(mut node: &'a Value, field_path: &str) -> &'a Value {
        let names = field_path
            .replace("['", ".")
            .replace("']", "")
            .trim_start_matches('.')
            .to_string();
        for name in names.split('.') {
            node = node
                .pointer(&format!("/properties/{}", name.replace('/', "~1")))
                .unwrap_or_else(|| panic!("{field_path}: no property {name}"));
        }
        node
    }

    #[test]
    fn immutable_rule_text_catches_set_unset_and_change() {
        let rule = unchanged(&["az"], "m".into());
        assert_eq!(
            rule.rule,
            "has(self.az) == has(oldSelf.az) && (!has(self.az) || self.az == oldSelf.az)"
        );
        assert_eq!(rule.field_path.as_deref(), Some(".az"));
        let nested = unchanged(&["extendParam", "init-node-password"], "m".into());
        assert_eq!(
            nested.rule,
            "(has(self.extendParam) && has(self.extendParam.init__dash__node__dash__password)) \
             == (has(oldSelf.extendParam) && has(oldSelf.extendParam.init__dash__node__dash__password)) \
             && (!(has(self.extendParam) && has(self.extendParam.init__dash__node__dash__password)) \
             || self.extendParam.init__dash__node__dash__password == oldSelf.extendParam.init__dash__node__dash__password)"
        );
        assert_eq!(
            nested.field_path.as_deref(),
            Some(".extendParam['init-node-password']")
        );
        assert_eq!(
            unchanged_or(&["type"], "'vm'", "m".into()).rule,
            "(has(self.type) ? self.type : 'vm') == (has(oldSelf.type) ? oldSelf.type : 'vm')"
        );
        for (name, cel) in [
            ("maxPods", "maxPods"),
            ("alpha.cce/preInstall", "alpha__dot__cce__slash__preInstall"),
            (
                "__system__cmkid",
                "__underscores__system__underscores__cmkid",
            ),
        ] {
            assert_eq!(cel_name(name), cel);
        }
        assert!(std::panic::catch_unwind(|| cel_name("ecs:performancetype")).is_err());
    }

    #[test]
    fn fields_cce_cannot_update_are_guarded_and_documented() {
        let schema = huawei_schema();
        let template = "/properties/nodeTemplate";
        let mut guarded: Vec<String> = Vec::new();
        for (pointer, prefix) in [("", "spec.huawei"), (template, "spec.huawei.nodeTemplate")] {
            let node = schema.pointer(pointer).expect("schema node");
            for (rule, field_path) in transition_rules(&schema, pointer) {
                if field_path.is_empty() || rule == "has(self.name) == has(oldSelf.name)" {
                    continue;
                }
                let field = at_field_path(node, &field_path);
                let description = field["description"].as_str().unwrap_or_default();
                assert!(
                    description.contains("Immutable"),
                    "{prefix}{field_path} is guarded but its description does not say Immutable: {description}"
                );
                guarded.push(format!("{prefix}{field_path}"));
            }
        }
        // What NodePoolUpdate cannot carry, and flavor/az (documented as not modifiable); the
        // full derivation from the SDK is tests/sdk/check_immutable.py.
        for field in [
            "spec.huawei.type",
            "spec.huawei.annotations",
            "spec.huawei.podSecurityGroups",
            "spec.huawei.nodeTemplate.flavor",
            "spec.huawei.nodeTemplate.az",
            "spec.huawei.nodeTemplate.billingMode",
            "spec.huawei.nodeTemplate.volumeConfig",
            "spec.huawei.nodeTemplate.hostnameConfig",
            "spec.huawei.nodeTemplate.nodeNicSpec.extNics",
            "spec.huawei.nodeTemplate.extendParam.maxPods",
            "spec.huawei.nodeTemplate.extendParam['init-node-password']",
        ] {
            assert!(
                guarded.iter().any(|g| g == field),
                "{field} is not guarded: {guarded:#?}"
            );
        }
        // And what it can carry is not.
        for field in [
            "os",
            "login",
            "rootVolume",
            "dataVolumes",
            "taints",
            "k8sTags",
            "userTags",
        ] {
            let field = format!("spec.huawei.nodeTemplate.{field}");
            assert!(!guarded.contains(&field), "{field} can change in place");
        }
        assert!(
            !guarded
                .iter()
                .any(|g| g.contains("initialNodeCount") || g.contains("autoscaling")),
            "counts and autoscaling change in place"
        );
    }

    #[test]
    fn the_rules_the_api_promises_are_in_the_schema() {
        let schema = huawei_schema();
        let rules_at = |pointer: &str| -> Vec<String> {
            schema
                .pointer(pointer)
                .unwrap_or_else(|| panic!("no schema at {pointer}"))["x-kubernetes-validations"]
                .as_array()
                .unwrap_or_else(|| panic!("no rules at {pointer}"))
                .iter()
                .map(|r| r["rule"].as_str().expect("rule").to_string())
                .collect()
        };
        for field in ["region", "projectId", "clusterId", "name"] {
            assert!(
                rules_at(&format!("/properties/{field}")).contains(&"self == oldSelf".to_string()),
                "{field} is not immutable"
            );
        }
        assert!(rules_at("/properties/name").contains(&CCE_NAME_RULE.to_string()));
        assert!(rules_at("").contains(&"has(self.name) == has(oldSelf.name)".to_string()));
        assert!(rules_at("").contains(&"has(self.initialNodeCount)".to_string()));
        assert_eq!(rules_at("/properties/initialNodeCount"), ["self >= 0"]);
        assert!(
            rules_at("/properties/autoscaling")[0]
                .contains("self.maxNodeCount >= self.minNodeCount")
        );
        assert_eq!(
            schema
                .pointer("/properties/nodeTemplate/properties/taints/items/properties/effect/enum"),
            Some(&json!(["NoSchedule", "PreferNoSchedule", "NoExecute"]))
        );
        assert_eq!(
            schema.pointer("/properties/type/enum"),
            Some(&json!(["vm", "ElasticBMS", "pm"]))
        );
        assert_eq!(
            rules_at("/properties/nodeTemplate/properties/rootVolume/properties/size"),
            ["self > 0"]
        );
    }

    #[test]
    fn enum_fields_keep_their_field_docs() {
        let schema = huawei_schema();
        let description = |pointer: &str| -> String {
            schema
                .pointer(&format!("{pointer}/description"))
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("no description at {pointer}"))
                .to_string()
        };
        // Three fields share one enum type; each must keep its own text.
        assert!(description("/properties/taintPolicyOnExistingNodes").contains("taint"));
        assert!(description("/properties/labelPolicyOnExistingNodes").contains("label"));
        assert!(description("/properties/userTagsPolicyOnExistingNodes").contains("userTags"));
        assert!(description("/properties/type").contains("ElasticBMS"));
        assert!(
            description("/properties/nodeTemplate/properties/hostnameConfig/properties/type")
                .contains("cceNodeName")
        );
        assert!(
            description("/properties/nodeTemplate/properties/login/properties/userPassword/properties/password")
                .contains("DISCOURAGED")
        );
    }
}
