//! Huawei Cloud CCE v3 node-pool endpoints.

use serde_json::{Map, Value, json};

use super::model::{Blocked, Progress, random_uuid};
use super::state::{Ctx, Reply};
use super::store::{CceJob, CcePool, Store};

/// A CCE operation, named as the SDK method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// POST .../nodepools
    CreateNodePool,
    /// GET .../nodepools
    ListNodePools,
    /// GET .../nodepools/{id}
    ShowNodePool,
    /// PUT .../nodepools/{id}
    UpdateNodePool,
    /// DELETE .../nodepools/{id}
    DeleteNodePool,
    /// POST .../nodepools/{id}/operation/scale
    ScaleNodePool,
    /// GET /api/v3/projects/{p}/jobs/{id}
    ShowJob,
    /// GET /api/v3/projects/{p}/clusters/{c}: read by the Terraform provider (and other tools)
    /// before a node-pool call, to wait for the cluster's phase `Available`.
    ShowCluster,
}

impl Op {
    /// The SDK operation name, for counters.
    pub fn name(self) -> &'static str {
        match self {
            Self::CreateNodePool => "CreateNodePool",
            Self::ListNodePools => "ListNodePools",
            Self::ShowNodePool => "ShowNodePool",
            Self::UpdateNodePool => "UpdateNodePool",
            Self::DeleteNodePool => "DeleteNodePool",
            Self::ScaleNodePool => "ScaleNodePool",
            Self::ShowJob => "ShowJob",
            Self::ShowCluster => "ShowCluster",
        }
    }

    /// Whether the operation changes state.
    pub fn mutates(self) -> bool {
        !matches!(
            self,
            Self::ListNodePools | Self::ShowNodePool | Self::ShowJob | Self::ShowCluster
        )
    }
}

/// A routed CCE request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The operation.
    pub op: Op,
    /// `{project_id}` from the path.
    pub project_id: String,
    /// `{cluster_id}` (empty for ShowJob).
    pub cluster_id: String,
    /// `{nodepool_id}` or `{job_id}`.
    pub id: String,
}

/// Routes a path under `/api/v3/` (segments already percent-decoded).
pub fn route(method: &str, segments: &[String]) -> Option<Route> {
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    let mk = |op, p: &str, c: &str, id: &str| {
        Some(Route {
            op,
            project_id: p.to_owned(),
            cluster_id: c.to_owned(),
            id: id.to_owned(),
        })
    };
    match (method, s.as_slice()) {
        ("GET", ["api", "v3", "projects", p, "jobs", j]) => mk(Op::ShowJob, p, "", j),
        ("GET", ["api", "v3", "projects", p, "clusters", c]) => mk(Op::ShowCluster, p, c, ""),
        ("POST", ["api", "v3", "projects", p, "clusters", c, "nodepools"]) => {
            mk(Op::CreateNodePool, p, c, "")
        }
        ("GET", ["api", "v3", "projects", p, "clusters", c, "nodepools"]) => {
            mk(Op::ListNodePools, p, c, "")
        }
        ("GET", ["api", "v3", "projects", p, "clusters", c, "nodepools", n]) => {
            mk(Op::ShowNodePool, p, c, n)
        }
        ("PUT", ["api", "v3", "projects", p, "clusters", c, "nodepools", n]) => {
            mk(Op::UpdateNodePool, p, c, n)
        }
        ("DELETE", ["api", "v3", "projects", p, "clusters", c, "nodepools", n]) => {
            mk(Op::DeleteNodePool, p, c, n)
        }
        (
            "POST",
            [
                "api",
                "v3",
                "projects",
                p,
                "clusters",
                c,
                "nodepools",
                n,
                "operation",
                "scale",
            ],
        ) => mk(Op::ScaleNodePool, p, c, n),
        _ => None,
    }
}

/// Error codes. `CCE.01400001`, `CCE.01404001`, `CCE.01409001` and `CCE.01500001` are in CCE's
/// error-code table ("Error Codes", cce_02_0250: Invalid request / Resource not found / The
/// resource already exists / Internal error); `APIG.*` are the API gateway's. `CCE.01403002`
/// follows the same pattern but is the simulator's choice (the table has no node-pool quota code).
///
/// CCE has one not-found code for every resource: a pool path under a cluster that does not exist
/// and a pool that does not exist both answer 404 `CCE.01404001`; only the message tells them
/// apart (`cluster …` / `nodepool …` here; the real wording is not documented).
pub mod codes {
    /// Bad request body or parameter.
    pub const BAD_REQUEST: &str = "CCE.01400001";
    /// Cluster, pool or job not found.
    pub const NOT_FOUND: &str = "CCE.01404001";
    /// Duplicate name, or the pool is being deleted.
    pub const CONFLICT: &str = "CCE.01409001";
    /// Node pool quota of the cluster exhausted.
    pub const QUOTA: &str = "CCE.01403002";
    /// Injected server error.
    pub const INTERNAL: &str = "CCE.01500001";
    /// Authentication failed (API gateway).
    pub const AUTH: &str = "APIG.0301";
    /// Throttled (API gateway).
    pub const THROTTLED: &str = "APIG.0308";
    /// No such API (API gateway).
    pub const NO_API: &str = "APIG.0101";
}

/// A CCE error answer.
pub fn error(status: u16, code: &str, msg: impl Into<String>) -> Reply {
    Reply::new(status, json!({"error_code": code, "error_msg": msg.into()}))
}

fn not_found(what: &str, id: &str) -> Reply {
    error(
        404,
        codes::NOT_FOUND,
        format!("Resource not found: {what} {id} does not exist"),
    )
}

/// The CCE node pool name rule: lowercase letter first, `[a-z0-9-]`, 1–50 characters, not ending
/// in `-` (which also excludes `DefaultPool`).
pub fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 50
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && !name.ends_with('-')
}

fn cce_time(ms: i64) -> String {
    let ts = jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    format!(
        "{}.{:06} +0000 UTC",
        ts.strftime("%Y-%m-%d %H:%M:%S"),
        ms.rem_euclid(1000) * 1000
    )
}

/// Most user tags (`nodeTemplate.userTags`) a pool may have.
pub const MAX_USER_TAGS: usize = 8;
/// Longest user tag key and value, in characters.
pub const MAX_USER_TAG_KEY: usize = 128;
/// Longest user tag value, in characters.
pub const MAX_USER_TAG_VALUE: usize = 255;
/// Most taints, and most k8sTags, a pool template may have.
pub const MAX_TAINTS_OR_K8S_TAGS: usize = 20;
/// The node label CCE itself puts on every pool's nodes (in `k8sTags`), valued with the pool name.
pub const SYSTEM_K8S_TAG: &str = "cce.cloud.com/cce-nodepool";

/// Checks `userTags`, `taints` and `k8sTags` of a node template (create) or NodeSpecUpdate
/// (update) against CCE's documented limits:
///
/// * `userTags`: "The key of a tag must be unique. The maximum number of custom tags supported by
///   CCE varies depending on regions and cannot exceed 8." Key: at most 128 characters, not
///   starting or ending with a space, no non-printable ASCII (0–31) and none of `=*<>,|/`, and
///   not starting with `CCE-`, `__type_baremetal` or `sys`. Value: at most 255 characters, not
///   starting or ending with a space, no ASCII 0–31 and none of `=*<>,|`.
/// * `taints` and `k8sTags`: at most 20 each.
///
/// Sources: CCE API reference "Updating a Specified Node Pool" (cce_02_0356, tables UserTag and
/// spec/nodeTemplate; <https://support.huaweicloud.com/intl/en-us/api-cce/cce_02_0356.html>, as
/// exported in opentelekomcloud-docs/cloud-container-engine
/// `api-ref/source/apis/cluster_management/updating_a_specified_node_pool.rst`) and the
/// huaweicloudsdkcce 3.1.219 models `NodeSpecUpdate`, `NodeSpec` and `UserTag` (which name the
/// `CCE-` and `__type_baremetal` prefixes and the limit of 8).
fn check_template_lists(t: &Map<String, Value>) -> Result<(), Reply> {
    let bad = |msg: String| {
        Err(error(
            400,
            codes::BAD_REQUEST,
            format!("Invalid request body: {msg}"),
        ))
    };
    match t.get("userTags") {
        None | Some(Value::Null) => {}
        Some(Value::Array(tags)) => {
            if tags.len() > MAX_USER_TAGS {
                return bad(format!(
                    "userTags has {} tags, at most {MAX_USER_TAGS} are allowed",
                    tags.len()
                ));
            }
            let mut keys = std::collections::BTreeSet::new();
            for tag in tags {
                let Some(key) = tag.get("key").and_then(Value::as_str) else {
                    return bad("every userTags entry needs a string key".into());
                };
                let value = match tag.get("value") {
                    None | Some(Value::Null) => "",
                    Some(Value::String(v)) => v.as_str(),
                    Some(_) => return bad(format!("userTags value of {key:?} must be a string")),
                };
                if let Err(why) = check_user_tag_key(key) {
                    return bad(format!("userTags key {key:?} {why}"));
                }
                if let Err(why) = check_user_tag_value(value) {
                    return bad(format!("userTags value {value:?} of key {key:?} {why}"));
                }
                if !keys.insert(key) {
                    return bad(format!(
                        "userTags key {key:?} appears twice; keys must be unique"
                    ));
                }
            }
        }
        Some(_) => return bad("userTags must be a list".into()),
    }
    for field in ["taints", "k8sTags"] {
        let n = match t.get(field) {
            Some(Value::Array(a)) => a.len(),
            // CCE's own label is not one of the 20 (a client may echo it back).
            Some(Value::Object(m)) => m.keys().filter(|k| *k != SYSTEM_K8S_TAG).count(),
            _ => 0,
        };
        if n > MAX_TAINTS_OR_K8S_TAGS {
            return bad(format!(
                "{field} has {n} entries, at most {MAX_TAINTS_OR_K8S_TAGS} are allowed"
            ));
        }
    }
    Ok(())
}

/// Characters CCE refuses in a user tag key (besides ASCII 0–31).
const KEY_FORBIDDEN: &[char] = &['=', '*', '<', '>', ',', '|', '/'];
/// Characters CCE refuses in a user tag value (besides ASCII 0–31).
const VALUE_FORBIDDEN: &[char] = &['=', '*', '<', '>', ',', '|'];
/// Key prefixes CCE reserves.
const RESERVED_KEY_PREFIXES: &[&str] = &["CCE-", "__type_baremetal", "sys"];

fn check_user_tag_key(key: &str) -> Result<(), String> {
    let n = key.chars().count();
    if n == 0 || n > MAX_USER_TAG_KEY {
        return Err(format!("must be 1-{MAX_USER_TAG_KEY} characters long"));
    }
    if let Some(p) = RESERVED_KEY_PREFIXES.iter().find(|p| key.starts_with(**p)) {
        return Err(format!("must not start with {p:?}"));
    }
    check_tag_text(key, KEY_FORBIDDEN)
}

fn check_user_tag_value(value: &str) -> Result<(), String> {
    if value.chars().count() > MAX_USER_TAG_VALUE {
        return Err(format!(
            "must be at most {MAX_USER_TAG_VALUE} characters long"
        ));
    }
    check_tag_text(value, VALUE_FORBIDDEN)
}

fn check_tag_text(text: &str, forbidden: &[char]) -> Result<(), String> {
    if text.starts_with(' ') || text.ends_with(' ') {
        return Err("must not start or end with a space".into());
    }
    if let Some(c) = text
        .chars()
        .find(|c| (*c as u32) < 32 || forbidden.contains(c))
    {
        return Err(format!("must not contain {c:?}"));
    }
    Ok(())
}

/// Makes the pool a create just made invisible until `until_ms` (its answer is being lost).
pub fn hide_created(store: &mut Store, created: &Reply, until_ms: i64) {
    if let Some(pool) = created.body["metadata"]["uid"]
        .as_str()
        .and_then(|uid| store.cce_pools.get_mut(uid))
    {
        pool.visible_from_ms = until_ms;
    }
}

/// Handles one authenticated CCE request.
pub fn handle(store: &mut Store, ctx: &Ctx<'_>, route: &Route, query: &str, body: &[u8]) -> Reply {
    if route.op == Op::ShowJob {
        return show_job(store, ctx, route);
    }
    let key = format!("{}/{}", route.project_id, route.cluster_id);
    if !store.huawei_clusters.contains(&key) {
        return not_found("cluster", &route.cluster_id);
    }
    if route.op == Op::ShowCluster {
        return Reply::new(200, render_cluster(&route.project_id, &route.cluster_id));
    }
    store.purge(ctx.now, ctx.timings.delete);
    match route.op {
        Op::CreateNodePool => create(store, ctx, route, body),
        Op::ListNodePools => list(store, ctx, route, query),
        op => {
            let Some(pool) = store.cce_pools.get(&route.id).filter(|p| {
                p.project_id == route.project_id
                    && p.cluster_id == route.cluster_id
                    && p.visible(ctx.now)
            }) else {
                return not_found("nodepool", &route.id);
            };
            let pool = pool.clone();
            match op {
                Op::ShowNodePool => Reply::new(200, render(&pool, ctx.now)),
                Op::UpdateNodePool => update(store, ctx, pool, body),
                Op::DeleteNodePool => delete(store, ctx, pool),
                _ => scale(store, ctx, pool, body),
            }
        }
    }
}

fn parse_object(body: &[u8]) -> Result<Map<String, Value>, Reply> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(error(
            400,
            codes::BAD_REQUEST,
            "Invalid request body: not a JSON object",
        )),
    }
}

/// Whether another pool of the cluster has `name` — including one being deleted (it holds its
/// name until it is gone) and one not yet visible.
fn name_taken(store: &Store, route: &Route, name: &str, except: &str) -> bool {
    store.cce_pools.values().any(|p| {
        p.project_id == route.project_id
            && p.cluster_id == route.cluster_id
            && p.name() == name
            && p.uid() != except
    })
}

/// Applies the flavor faults and the cluster node quota to a move.
fn constrain(
    store: &Store,
    ctx: &Ctx<'_>,
    project: &str,
    cluster: &str,
    uid: &str,
    flavor: &str,
    p: Progress,
) -> Progress {
    if ctx.faults.huawei_failing_flavors.contains(flavor) {
        return p.fail();
    }
    if ctx.faults.huawei_sold_out_flavors.contains(flavor) {
        return p.limit(p.from, Blocked::SoldOut);
    }
    if let Some(quota) = ctx.faults.max_nodes_per_cluster {
        let others: u32 = store
            .cce_pools
            .values()
            .filter(|o| {
                o.project_id == project
                    && o.cluster_id == cluster
                    && o.uid() != uid
                    && o.deleting_since_ms.is_none()
            })
            .map(|o| o.progress.reach())
            .sum();
        return p.limit(quota.saturating_sub(others), Blocked::Quota);
    }
    p
}

fn count_field(v: &Value, field: &str) -> Result<Option<u32>, Reply> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(x) => x
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| {
                error(
                    400,
                    codes::BAD_REQUEST,
                    format!("Invalid request body: {field} must be a non-negative integer"),
                )
            }),
    }
}

fn check_autoscaling(a: &Value) -> Result<(), Reply> {
    let min = a.get("minNodeCount").and_then(Value::as_i64);
    let max = a.get("maxNodeCount").and_then(Value::as_i64);
    if let (Some(min), Some(max)) = (min, max)
        && max < min
    {
        return Err(error(
            400,
            codes::BAD_REQUEST,
            "Invalid request body: autoscaling.maxNodeCount must not be less than minNodeCount",
        ));
    }
    Ok(())
}

fn create(store: &mut Store, ctx: &Ctx<'_>, route: &Route, body: &[u8]) -> Reply {
    let mut req = match parse_object(body) {
        Ok(m) => m,
        Err(r) => return r,
    };
    if let Some(kind) = req.get("kind")
        && kind != "NodePool"
    {
        return error(
            400,
            codes::BAD_REQUEST,
            "Invalid request body: kind must be NodePool",
        );
    }
    let name = req
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if !valid_name(&name) {
        return error(
            400,
            codes::BAD_REQUEST,
            format!(
                "Invalid request body: node pool name {name:?} must start with a lowercase letter, \
                 contain only lowercase letters, digits and '-', be 1-50 characters long and not \
                 end with '-'"
            ),
        );
    }
    if name_taken(store, route, &name, "") {
        return error(
            409,
            codes::CONFLICT,
            format!("The node pool name {name} already exists in the cluster"),
        );
    }
    if let Some(max) = ctx.faults.max_pools_per_cluster {
        let n = store
            .cce_pools
            .values()
            .filter(|p| p.project_id == route.project_id && p.cluster_id == route.cluster_id)
            .count();
        if n >= max as usize {
            return error(
                403,
                codes::QUOTA,
                format!("Insufficient quota: a cluster may hold at most {max} node pools"),
            );
        }
    }
    let mut spec = match req.remove("spec") {
        Some(Value::Object(m)) => m,
        _ => {
            return error(
                400,
                codes::BAD_REQUEST,
                "Invalid request body: spec is required",
            );
        }
    };
    let template = match spec.get_mut("nodeTemplate") {
        Some(Value::Object(t)) => t,
        _ => {
            return error(
                400,
                codes::BAD_REQUEST,
                "Invalid request body: spec.nodeTemplate is required",
            );
        }
    };
    for field in ["flavor", "az"] {
        if template
            .get(field)
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            return error(
                400,
                codes::BAD_REQUEST,
                format!("Invalid request body: spec.nodeTemplate.{field} is required"),
            );
        }
    }
    if let Err(r) = check_template_lists(template) {
        return r;
    }
    let flavor = template["flavor"].as_str().unwrap_or_default().to_owned();
    // Defaults the cloud fills in (as in the create example's response).
    template.entry("billingMode").or_insert(json!(0));
    let tags = template.entry("k8sTags").or_insert(json!({}));
    if let Value::Object(t) = tags {
        t.insert(SYSTEM_K8S_TAG.into(), json!(name));
    }
    let ext = template.entry("extendParam").or_insert(json!({}));
    if let Value::Object(e) = ext {
        e.entry("maxPods").or_insert(json!(110));
    }
    let initial = match count_field(&Value::Object(spec.clone()), "initialNodeCount") {
        Ok(n) => n.unwrap_or(0),
        Err(r) => return r,
    };
    if let Some(a) = spec.get("autoscaling")
        && let Err(r) = check_autoscaling(a)
    {
        return r;
    }
    spec.entry("type").or_insert(json!("vm"));
    spec.entry("autoscaling").or_insert(json!({}));
    spec.entry("nodeManagement").or_insert(json!({}));
    spec.remove("initialNodeCount");

    let uid = random_uuid();
    let mut metadata = match req.remove("metadata") {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    metadata.insert("uid".into(), json!(uid));
    metadata.insert("creationTimestamp".into(), json!(cce_time(ctx.now)));
    metadata.insert("updateTimestamp".into(), json!(cce_time(ctx.now)));
    let progress = Progress::new(0, initial, ctx.now, ctx.timings.provision, ctx.timings.step);
    let progress = constrain(
        store,
        ctx,
        &route.project_id,
        &route.cluster_id,
        &uid,
        &flavor,
        progress,
    );
    let pool = CcePool {
        project_id: route.project_id.clone(),
        cluster_id: route.cluster_id.clone(),
        metadata: Value::Object(metadata),
        spec: Value::Object(spec),
        progress,
        deleting_since_ms: None,
        job_id: None,
        visible_from_ms: 0,
    };
    let answer = render(&pool, ctx.now);
    store.cce_pools.insert(uid, pool);
    Reply::new(201, answer)
}

fn default_pool(route: &Route) -> Value {
    json!({
        "kind": "NodePool",
        "apiVersion": "v3",
        "metadata": {"name": "DefaultPool", "uid": format!("{}_DefaultPool", route.cluster_id)},
        "spec": {"type": "vm", "nodeTemplate": {}, "initialNodeCount": 0, "autoscaling": {}, "nodeManagement": {}},
        "status": {"currentNode": 0, "creatingNode": 0, "deletingNode": 0, "activeNode": 0, "phase": ""}
    })
}

fn list(store: &Store, ctx: &Ctx<'_>, route: &Route, query: &str) -> Reply {
    let show_default = query.split('&').any(|kv| kv == "showDefaultNodePool=true");
    let mut pools: Vec<&CcePool> = store
        .cce_pools
        .values()
        .filter(|p| {
            p.project_id == route.project_id
                && p.cluster_id == route.cluster_id
                && p.visible(ctx.now)
        })
        .collect();
    pools.sort_by_key(|p| p.progress_created());
    let mut items: Vec<Value> = Vec::with_capacity(pools.len() + 1);
    if show_default {
        items.push(default_pool(route));
    }
    items.extend(pools.into_iter().map(|p| render(p, ctx.now)));
    Reply::new(
        200,
        json!({"kind": "List", "apiVersion": "v3", "items": items}),
    )
}

impl CcePool {
    fn progress_created(&self) -> String {
        self.metadata["creationTimestamp"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// Renames update-only names to the stored ones (`rootVolumeUpdate` → `rootVolume`, …).
fn stored_template_key(k: &str) -> &str {
    match k {
        "rootVolumeUpdate" => "rootVolume",
        "dataVolumesUpdate" => "dataVolumes",
        "nodeNicSpecUpdate" => "nodeNicSpec",
        other => other,
    }
}

fn update(store: &mut Store, ctx: &Ctx<'_>, mut pool: CcePool, body: &[u8]) -> Reply {
    if pool.deleting_since_ms.is_some() {
        return error(409, codes::CONFLICT, "The node pool is being deleted");
    }
    let req = match parse_object(body) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let route = Route {
        op: Op::UpdateNodePool,
        project_id: pool.project_id.clone(),
        cluster_id: pool.cluster_id.clone(),
        id: pool.uid().to_owned(),
    };
    if let Some(name) = req
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        && name != pool.name()
    {
        if !valid_name(name) {
            return error(
                400,
                codes::BAD_REQUEST,
                format!(
                    "Invalid request body: node pool name {name:?} does not follow the naming rule"
                ),
            );
        }
        if name_taken(store, &route, name, &route.id) {
            return error(
                409,
                codes::CONFLICT,
                format!("The node pool name {name} already exists in the cluster"),
            );
        }
        pool.metadata["name"] = json!(name);
    }
    let empty = Map::new();
    let spec = req.get("spec").and_then(Value::as_object).unwrap_or(&empty);
    if let Some(a) = spec.get("autoscaling")
        && let Err(r) = check_autoscaling(a)
    {
        return r;
    }
    let target = if spec.get("ignoreInitialNodeCount") == Some(&Value::Bool(true)) {
        pool.progress.to
    } else {
        match count_field(&Value::Object(spec.clone()), "initialNodeCount") {
            Ok(n) => n.unwrap_or(0),
            Err(r) => return r,
        }
    };
    if let Some(Value::Object(t)) = spec.get("nodeTemplate") {
        if let Err(r) = check_template_lists(t) {
            return r;
        }
        for field in ["flavor", "az"] {
            if let Some(v) = t.get(field).and_then(Value::as_str)
                && !v.is_empty()
                && Some(v) != pool.spec["nodeTemplate"][field].as_str()
            {
                return error(
                    400,
                    codes::BAD_REQUEST,
                    format!("Invalid request body: nodeTemplate.{field} cannot be modified"),
                );
            }
        }
        let stored = pool.spec["nodeTemplate"]
            .as_object_mut()
            .map(std::mem::take)
            .unwrap_or_default();
        let mut stored = stored;
        // NodeSpecUpdate (huaweicloudsdkcce 3.1.219; CCE API cce_02_0356): `userTags`, `taints`
        // and `k8sTags` absent = unchanged, a list/map replaces the custom ones, `[]` / `{}`
        // deletes them all. CCE's own k8sTag (`cce.cloud.com/cce-nodepool`) is not a custom one
        // and stays.
        for (k, v) in t {
            if v.is_null() {
                continue;
            }
            let key = stored_template_key(k).to_owned();
            if key == "k8sTags"
                && let Value::Object(new) = v
            {
                let mut tags = new.clone();
                tags.remove(SYSTEM_K8S_TAG);
                if let Some(system) = stored
                    .get("k8sTags")
                    .and_then(|old| old.get(SYSTEM_K8S_TAG))
                {
                    tags.insert(SYSTEM_K8S_TAG.into(), system.clone());
                }
                stored.insert(key, Value::Object(tags));
                continue;
            }
            if key == "extendParam"
                && let (Some(Value::Object(old)), Value::Object(new)) = (stored.get_mut(&key), v)
            {
                for (ek, ev) in new {
                    old.insert(ek.clone(), ev.clone());
                }
                continue;
            }
            stored.insert(key, v.clone());
        }
        pool.spec["nodeTemplate"] = Value::Object(stored);
    }
    for (k, v) in spec {
        if v.is_null() {
            continue;
        }
        match k.as_str() {
            "nodeTemplate" | "initialNodeCount" | "ignoreInitialNodeCount" => {}
            "autoscaling" => {
                let mut merged = pool.spec["autoscaling"]
                    .as_object()
                    .cloned()
                    .unwrap_or_default();
                if let Value::Object(new) = v {
                    for (ak, av) in new {
                        merged.insert(ak.clone(), av.clone());
                    }
                }
                pool.spec["autoscaling"] = Value::Object(merged);
            }
            "nodeManagementUpdate" => pool.spec["nodeManagement"] = v.clone(),
            other => pool.spec[other] = v.clone(),
        }
    }
    if target != pool.progress.to {
        let p = pool.progress.retarget(target, ctx.now, ctx.timings.step);
        let flavor = pool.flavor().to_owned();
        pool.progress = constrain(
            store,
            ctx,
            &route.project_id,
            &route.cluster_id,
            &route.id,
            &flavor,
            p,
        );
    }
    pool.metadata["updateTimestamp"] = json!(cce_time(ctx.now));
    let answer = render(&pool, ctx.now);
    store.cce_pools.insert(route.id, pool);
    Reply::new(200, answer)
}

fn delete(store: &mut Store, ctx: &Ctx<'_>, mut pool: CcePool) -> Reply {
    if pool.deleting_since_ms.is_none() {
        let job = CceJob {
            id: random_uuid(),
            job_type: "DeleteNodepool".into(),
            project_id: pool.project_id.clone(),
            cluster_id: pool.cluster_id.clone(),
            resource_id: pool.uid().to_owned(),
            resource_name: pool.name().to_owned(),
            created_ms: ctx.now,
            done_ms: ctx.now + ctx.timings.delete,
        };
        pool.deleting_since_ms = Some(ctx.now);
        pool.job_id = Some(job.id.clone());
        // Freeze the node count where it is; the nodes go with the pool.
        pool.progress = pool
            .progress
            .retarget(pool.progress.count(ctx.now), ctx.now, 0);
        store.cce_jobs.insert(job.id.clone(), job);
        store.cce_pools.insert(pool.uid().to_owned(), pool.clone());
    }
    Reply::new(200, render(&pool, ctx.now))
}

fn scale(store: &mut Store, ctx: &Ctx<'_>, mut pool: CcePool, body: &[u8]) -> Reply {
    if pool.deleting_since_ms.is_some() {
        return error(409, codes::CONFLICT, "The node pool is being deleted");
    }
    let req = match parse_object(body) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let spec = req.get("spec").cloned().unwrap_or(Value::Null);
    let desired = match count_field(&spec, "desiredNodeCount") {
        Ok(Some(n)) => n,
        Ok(None) => {
            return error(
                400,
                codes::BAD_REQUEST,
                "Invalid request body: spec.desiredNodeCount is required",
            );
        }
        Err(r) => return r,
    };
    let groups: Vec<&str> = spec
        .get("scaleGroups")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if groups.is_empty() {
        return error(
            400,
            codes::BAD_REQUEST,
            "Invalid request body: spec.scaleGroups is required",
        );
    }
    if groups.contains(&"default") && desired != pool.progress.to {
        let p = pool.progress.retarget(desired, ctx.now, ctx.timings.step);
        let flavor = pool.flavor().to_owned();
        let (project, cluster, uid) = (
            pool.project_id.clone(),
            pool.cluster_id.clone(),
            pool.uid().to_owned(),
        );
        pool.progress = constrain(store, ctx, &project, &cluster, &uid, &flavor, p);
        pool.metadata["updateTimestamp"] = json!(cce_time(ctx.now));
        store.cce_pools.insert(uid, pool);
    }
    Reply::new(200, json!({}))
}

fn show_job(store: &Store, ctx: &Ctx<'_>, route: &Route) -> Reply {
    let Some(job) = store
        .cce_jobs
        .get(&route.id)
        .filter(|j| j.project_id == route.project_id)
    else {
        return not_found("job", &route.id);
    };
    let phase = if ctx.now >= job.done_ms {
        "Success"
    } else {
        "Running"
    };
    Reply::new(
        200,
        json!({
            "kind": "Job",
            "apiVersion": "v3",
            "metadata": {"uid": job.id, "creationTimestamp": cce_time(job.created_ms),
                          "updateTimestamp": cce_time(job.done_ms.min(ctx.now))},
            "spec": {"type": job.job_type, "clusterUID": job.cluster_id, "resourceID": job.resource_id,
                      "resourceName": job.resource_name, "subJobs": []},
            "status": {"phase": phase, "reason": ""}
        }),
    )
}

/// When every simulated cluster was made: the simulator does not model cluster lifetimes, so a
/// configured cluster has always existed and is always `Available`.
const CLUSTER_CREATED: &str = "2024-01-01 00:00:00.000000 +0000 UTC";

/// A configured cluster as CCE's ShowCluster answers it (`huaweicloudsdkcce`
/// `ShowClusterResponse`: `kind`, `apiVersion`, `metadata` (`ClusterMetadata`), `spec`
/// (`ClusterSpec`), `status` (`ClusterStatus`)). Only the identity and `status.phase` come from
/// the simulator's state; the rest is a fixed, plausible CCE Standard cluster. The name is the
/// cluster ID cut to CCE's cluster name rule (at most 56 characters).
pub fn render_cluster(project_id: &str, cluster_id: &str) -> Value {
    let name: String = cluster_id.chars().take(56).collect();
    json!({
        "kind": "Cluster",
        "apiVersion": "v3",
        "metadata": {
            "name": name,
            "uid": cluster_id,
            "alias": name,
            "annotations": {},
            "labels": {"FeatureGates": ""},
            "creationTimestamp": CLUSTER_CREATED,
            "updateTimestamp": CLUSTER_CREATED,
            "timezone": "Etc/UTC"
        },
        "spec": {
            "category": "CCE",
            "type": "VirtualMachine",
            "flavor": "cce.s1.small",
            "version": "v1.31",
            "platformVersion": "cce.10.0",
            "description": format!("simulated cluster of project {project_id}"),
            "ipv6enable": false,
            "hostNetwork": {"vpc": "vpc-sim", "subnet": "subnet-sim", "SecurityGroup": "sg-sim"},
            "containerNetwork": {"mode": "overlay_l2", "cidr": "172.16.0.0/16",
                                 "cidrs": [{"cidr": "172.16.0.0/16"}]},
            "serviceNetwork": {"IPv4CIDR": "10.247.0.0/16"},
            "authentication": {"mode": "rbac"},
            "billingMode": 0,
            "kubernetesSvcIpRange": "10.247.0.0/16",
            "kubeProxyMode": "iptables",
            "az": "multi_az",
            "supportIstio": true,
            "deletionProtection": false
        },
        "status": {
            "phase": "Available",
            "endpoints": [{"url": "https://192.168.0.10:5443", "type": "Internal"}],
            "isLocked": false
        }
    })
}

/// The phase of a pool at `now` (empty = settled).
pub fn phase(pool: &CcePool, now: i64) -> &'static str {
    let p = &pool.progress;
    if pool.deleting_since_ms.is_some() {
        "Deleting"
    } else if p.blocked == Some(Blocked::Failed) {
        if p.in_delay(now) {
            "Synchronizing"
        } else {
            "Error"
        }
    } else if !p.is_settled(now) {
        "Synchronizing"
    } else if p.is_short() {
        "SoldOut"
    } else {
        ""
    }
}

fn condition(kind: &str, status: &str, reason: &str, message: &str, since: &str) -> Value {
    json!({"type": kind, "status": status, "reason": reason, "message": message,
           "lastProbeTime": since, "lastTransitTime": since})
}

/// The pool as show/list/update answer it at `now`.
pub fn render(pool: &CcePool, now: i64) -> Value {
    let p = &pool.progress;
    let count = p.count(now);
    let reach = p.reach();
    let settled = p.is_settled(now);
    let phase = phase(pool, now);
    let since = cce_time(p.since_ms);
    let mut conditions = Vec::new();
    match p.blocked {
        Some(Blocked::SoldOut) if !p.in_delay(now) && pool.deleting_since_ms.is_none() => {
            let msg = format!("flavor {} is sold out", pool.flavor());
            conditions.push(condition(
                "Scalable",
                "False",
                "ResourceInsufficient",
                &msg,
                &since,
            ));
            conditions.push(condition(
                "ResourceInsufficient",
                "True",
                "ResourceInsufficient",
                &msg,
                &since,
            ));
        }
        Some(Blocked::Quota) if settled && pool.deleting_since_ms.is_none() => {
            let msg = "the cluster's node quota is insufficient";
            conditions.push(condition(
                "Scalable",
                "False",
                "QuotaInsufficient",
                msg,
                &since,
            ));
            conditions.push(condition(
                "QuotaInsufficient",
                "True",
                "QuotaInsufficient",
                msg,
                &since,
            ));
        }
        Some(Blocked::Failed) if !p.in_delay(now) && pool.deleting_since_ms.is_none() => {
            let msg = format!("creating nodes of flavor {} failed", pool.flavor());
            conditions.push(condition(
                "UnexpectedError",
                "True",
                "CreateNodeFailed",
                &msg,
                &since,
            ));
        }
        _ => {}
    }
    let deleting = pool.deleting_since_ms.is_some();
    let creating = if settled || deleting {
        0
    } else {
        reach.saturating_sub(count)
    };
    let removing = if deleting {
        count
    } else if settled {
        0
    } else {
        count.saturating_sub(reach)
    };
    let current = if deleting { 0 } else { count };
    let mut status = json!({
        "currentNode": current,
        "creatingNode": creating,
        "deletingNode": removing,
        "activeNode": current,
        "phase": phase,
        "conditions": conditions,
    });
    if let Some(job) = &pool.job_id {
        status["jobId"] = json!(job);
    }
    let mut spec = pool.spec.clone();
    spec["initialNodeCount"] = json!(p.to);
    json!({
        "kind": "NodePool",
        "apiVersion": "v3",
        "metadata": pool.metadata,
        "spec": spec,
        "status": status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_rule() {
        for ok in ["a", "my-node-pool", "a1", &"a".repeat(50)] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in [
            "",
            "1a",
            "-a",
            "a-",
            "A",
            "DefaultPool",
            "a_b",
            &"a".repeat(51),
            "ü",
        ] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn routes() {
        let seg = |p: &str| p.split('/').skip(1).map(str::to_owned).collect::<Vec<_>>();
        let r = route(
            "POST",
            &seg("/api/v3/projects/p/clusters/c/nodepools/n/operation/scale"),
        )
        .unwrap();
        assert_eq!((r.op, r.id.as_str()), (Op::ScaleNodePool, "n"));
        assert_eq!(
            route("GET", &seg("/api/v3/projects/p/clusters/c/nodepools"))
                .unwrap()
                .op,
            Op::ListNodePools
        );
        assert!(route("PATCH", &seg("/api/v3/projects/p/clusters/c/nodepools/n")).is_none());
        let show = route("GET", &seg("/api/v3/projects/p/clusters/c")).unwrap();
        assert_eq!(
            (show.op, show.project_id.as_str(), show.cluster_id.as_str()),
            (Op::ShowCluster, "p", "c")
        );
        assert!(!Op::ShowCluster.mutates());
        assert!(route("DELETE", &seg("/api/v3/projects/p/clusters/c")).is_none());
    }

    #[test]
    fn user_tag_rules() {
        for ok in [
            "nodepool-owner-uid",
            "nodepool-owner",
            "a",
            &"k".repeat(128),
            "ü.tag_1:x",
        ] {
            assert_eq!(check_user_tag_key(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            &"k".repeat(129),
            "CCE-owner",
            "__type_baremetal_x",
            "sysowner",
            " a",
            "a ",
            "a=b",
            "a*b",
            "a<b",
            "a>b",
            "a,b",
            "a|b",
            "a/b",
            "a\u{1f}b",
        ] {
            assert!(check_user_tag_key(bad).is_err(), "{bad:?}");
        }
        for ok in ["", "default_web", "a/b", &"v".repeat(255)] {
            assert_eq!(check_user_tag_value(ok), Ok(()), "{ok}");
        }
        for bad in [&"v".repeat(256), "a|b", "a=b", " a", "a ", "a\nb"] {
            assert!(check_user_tag_value(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn template_list_limits() {
        let tags = |n: usize| {
            (0..n)
                .map(|i| json!({"key": format!("k{i}"), "value": "v"}))
                .collect::<Vec<_>>()
        };
        let t = |v: Value| v.as_object().unwrap().clone();
        assert!(check_template_lists(&t(json!({"userTags": tags(8)}))).is_ok());
        let r = check_template_lists(&t(json!({"userTags": tags(9)}))).unwrap_err();
        assert_eq!(
            (r.status, r.body["error_code"].as_str()),
            (400, Some(codes::BAD_REQUEST))
        );
        let dup = json!({"userTags": [{"key": "a", "value": "1"}, {"key": "a", "value": "2"}]});
        assert!(check_template_lists(&t(dup)).is_err());
        assert!(check_template_lists(&t(json!({"userTags": [{"value": "x"}]}))).is_err());
        assert!(
            check_template_lists(&t(json!({"userTags": [], "taints": [], "k8sTags": {}}))).is_ok()
        );
        let taints: Vec<Value> = (0..21)
            .map(|i| json!({"key": format!("t{i}"), "effect": "NoSchedule"}))
            .collect();
        assert!(check_template_lists(&t(json!({"taints": taints}))).is_err());
        let mut labels: Map<String, Value> =
            (0..20).map(|i| (format!("l{i}"), json!("v"))).collect();
        labels.insert(SYSTEM_K8S_TAG.into(), json!("pool"));
        assert!(check_template_lists(&t(json!({"k8sTags": labels.clone()}))).is_ok());
        labels.insert("one-more".into(), json!("v"));
        assert!(check_template_lists(&t(json!({"k8sTags": labels}))).is_err());
    }

    #[test]
    fn time_format() {
        assert_eq!(
            cce_time(1_705_307_400_123),
            "2024-01-15 08:30:00.123000 +0000 UTC"
        );
    }
}
