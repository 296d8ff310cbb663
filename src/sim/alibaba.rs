//! Alibaba Cloud ACK (CS 2015-12-15) node-pool endpoints.

use serde_json::{Map, Value, json};

use super::model::{Blocked, Progress, random_hex};
use super::state::{Ctx, Reply};
use super::store::{AckPool, AckTask, Store};

/// An ACK operation, named as the API action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// POST /clusters/{c}/nodepools
    CreateClusterNodePool,
    /// GET /clusters/{c}/nodepools
    DescribeClusterNodePools,
    /// GET /clusters/{c}/nodepools/{np}
    DescribeClusterNodePoolDetail,
    /// PUT /clusters/{c}/nodepools/{np}
    ModifyClusterNodePool,
    /// DELETE /clusters/{c}/nodepools/{np}
    DeleteClusterNodepool,
    /// POST /clusters/{c}/nodepools/{np}
    ScaleClusterNodePool,
    /// GET /tasks/{id}
    DescribeTaskInfo,
}

impl Op {
    /// The action name, for counters.
    pub fn name(self) -> &'static str {
        match self {
            Self::CreateClusterNodePool => "CreateClusterNodePool",
            Self::DescribeClusterNodePools => "DescribeClusterNodePools",
            Self::DescribeClusterNodePoolDetail => "DescribeClusterNodePoolDetail",
            Self::ModifyClusterNodePool => "ModifyClusterNodePool",
            Self::DeleteClusterNodepool => "DeleteClusterNodepool",
            Self::ScaleClusterNodePool => "ScaleClusterNodePool",
            Self::DescribeTaskInfo => "DescribeTaskInfo",
        }
    }

    /// Whether the operation changes state.
    pub fn mutates(self) -> bool {
        !matches!(
            self,
            Self::DescribeClusterNodePools
                | Self::DescribeClusterNodePoolDetail
                | Self::DescribeTaskInfo
        )
    }
}

/// A routed ACK request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The operation.
    pub op: Op,
    /// `{ClusterId}` (empty for DescribeTaskInfo).
    pub cluster_id: String,
    /// `{NodepoolId}` or `{task_id}`.
    pub id: String,
}

/// Routes a path under `/clusters/` or `/tasks/` (segments already percent-decoded).
pub fn route(method: &str, segments: &[String]) -> Option<Route> {
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    let mk = |op, c: &str, id: &str| {
        Some(Route {
            op,
            cluster_id: c.to_owned(),
            id: id.to_owned(),
        })
    };
    match (method, s.as_slice()) {
        ("GET", ["tasks", t]) => mk(Op::DescribeTaskInfo, "", t),
        ("POST", ["clusters", c, "nodepools"]) => mk(Op::CreateClusterNodePool, c, ""),
        ("GET", ["clusters", c, "nodepools"]) => mk(Op::DescribeClusterNodePools, c, ""),
        ("GET", ["clusters", c, "nodepools", n]) => mk(Op::DescribeClusterNodePoolDetail, c, n),
        ("PUT", ["clusters", c, "nodepools", n]) => mk(Op::ModifyClusterNodePool, c, n),
        ("DELETE", ["clusters", c, "nodepools", n]) => mk(Op::DeleteClusterNodepool, c, n),
        ("POST", ["clusters", c, "nodepools", n]) => mk(Op::ScaleClusterNodePool, c, n),
        _ => None,
    }
}

/// An ACK error answer (the server adds `requestId`).
pub fn error(status: u16, code: &str, message: impl Into<String>) -> Reply {
    Reply::new(status, json!({"code": code, "message": message.into()}))
}

fn invalid(message: impl Into<String>) -> Reply {
    error(400, "InvalidParameter", message)
}

/// A task id shaped like ACK's (`T-` and 24 hex digits).
fn task_id() -> String {
    format!("T-{}", random_hex(24))
}

fn ack_time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .strftime("%Y-%m-%dT%H:%M:%S+00:00")
        .to_string()
}

/// Handles one authenticated ACK request. `request_id` goes into success bodies that carry one.
pub fn handle(
    store: &mut Store,
    ctx: &Ctx<'_>,
    route: &Route,
    query: &str,
    body: &[u8],
    request_id: &str,
) -> Reply {
    store.purge(ctx.now, ctx.timings.delete);
    if route.op == Op::DescribeTaskInfo {
        return match store.ack_tasks.get(&route.id) {
            Some(t) => Reply::new(200, render_task(t, ctx.now)),
            None => error(
                404,
                "ErrorTaskNotFound",
                format!("task {} not found", route.id),
            ),
        };
    }
    if !store.alibaba_clusters.contains(&route.cluster_id) {
        return error(
            404,
            "ErrorClusterNotFound",
            format!("cluster {} not found", route.cluster_id),
        );
    }
    match route.op {
        Op::CreateClusterNodePool => create(store, ctx, route, body, request_id),
        Op::DescribeClusterNodePools => {
            let name = query_value(query, "NodepoolName");
            let mut pools: Vec<&AckPool> = store
                .ack_pools
                .values()
                .filter(|p| p.cluster_id == route.cluster_id && p.visible(ctx.now))
                .filter(|p| name.as_deref().is_none_or(|n| p.name() == n))
                .collect();
            pools.sort_by_key(|p| p.progress_created());
            let items: Vec<Value> = pools
                .into_iter()
                .map(|p| {
                    let mut v = render(p, ctx.now, false);
                    if let Value::Object(m) = &mut v {
                        m.remove("host_network");
                        m.remove("intranet");
                    }
                    v
                })
                .collect();
            Reply::new(200, json!({"nodepools": items}))
        }
        op => {
            let Some(pool) = store
                .ack_pools
                .get(&route.id)
                .filter(|p| p.cluster_id == route.cluster_id && p.visible(ctx.now))
                .cloned()
            else {
                return error(
                    404,
                    "ErrorNodePoolNotFound",
                    format!("node pool {} not found", route.id),
                );
            };
            match op {
                Op::DescribeClusterNodePoolDetail => Reply::new(200, render(&pool, ctx.now, true)),
                Op::ModifyClusterNodePool => modify(store, ctx, pool, body, request_id),
                Op::DeleteClusterNodepool => delete(store, ctx, pool, query, request_id),
                _ => scale(store, ctx, pool, body, request_id),
            }
        }
    }
}

impl AckPool {
    fn progress_created(&self) -> String {
        self.body["nodepool_info"]["created"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// The form-decoded value of a query key.
fn query_value(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        let k = String::from_utf8_lossy(&crate::cloud::sign::form_decode(k)).into_owned();
        (k == key)
            .then(|| String::from_utf8_lossy(&crate::cloud::sign::form_decode(v)).into_owned())
    })
}

/// Makes the pool a create just made invisible until `until_ms` (its answer is being lost).
pub fn hide_created(store: &mut Store, created: &Reply, until_ms: i64) {
    if let Some(pool) = created.body["nodepool_id"]
        .as_str()
        .and_then(|id| store.ack_pools.get_mut(id))
    {
        pool.visible_from_ms = until_ms;
    }
}

/// Longest `scaling_group.tags` key, in characters.
pub const MAX_TAG_KEY: usize = 128;

/// ACK reads request bodies with field names matched regardless of case (the Terraform
/// alicloud provider sends `scaling_group.tags` as `{"Key", "Value"}`, the SDKs as
/// `{"key", "value"}`), and answers in lower case: tag entries are stored the way ACK reports them.
fn normalize_tags(body: &mut Map<String, Value>) {
    let Some(Value::Array(tags)) = body
        .get_mut("scaling_group")
        .and_then(|g| g.get_mut("tags"))
    else {
        return;
    };
    for tag in tags.iter_mut().filter_map(Value::as_object_mut) {
        for name in ["key", "value"] {
            if !tag.contains_key(name) {
                let other = tag.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned();
                if let Some(other) = other
                    && let Some(v) = tag.remove(&other)
                {
                    tag.insert(name.to_owned(), v);
                }
            }
        }
    }
}

/// Checks `scaling_group.tags` of a create or modify body against what ACK documents for
/// CreateClusterNodePool and ModifyClusterNodePool (`scaling_group.tags`, "Adds tags only to ECS
/// instances"): "Tag keys must be unique and can be up to 128 characters in length. Tag keys and
/// tag values cannot start with "aliyun" or "acs:", or contain "https://" or "http://"."
/// (API reference <https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/developer-reference/api-cs-2015-12-15-modifyclusternodepool>,
/// and the docs of `CreateClusterNodePoolRequestScalingGroup.tags` /
/// `ModifyClusterNodePoolRequestScalingGroup.tags` in alibabacloud-cs20151215 7.2.3.) ACK
/// documents no maximum number of tags and no value length, so none is enforced.
fn check_tags(body: &Map<String, Value>) -> Result<(), Reply> {
    let tags = match body.get("scaling_group").and_then(|g| g.get("tags")) {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Array(tags)) => tags,
        Some(_) => return Err(invalid("scaling_group.tags must be a list")),
    };
    let mut keys = std::collections::BTreeSet::new();
    for tag in tags {
        let Some(key) = tag.get("key").and_then(Value::as_str) else {
            return Err(invalid("every scaling_group.tags entry needs a string key"));
        };
        let value = tag.get("value").and_then(Value::as_str).unwrap_or_default();
        if key.is_empty() || key.chars().count() > MAX_TAG_KEY {
            return Err(invalid(format!(
                "scaling_group.tags key {key:?} must be 1-{MAX_TAG_KEY} characters long"
            )));
        }
        for (what, text) in [("key", key), ("value", value)] {
            if text.starts_with("aliyun") || text.starts_with("acs:") {
                return Err(invalid(format!(
                    "scaling_group.tags {what} {text:?} must not start with \"aliyun\" or \"acs:\""
                )));
            }
            if text.contains("http://") || text.contains("https://") {
                return Err(invalid(format!(
                    "scaling_group.tags {what} {text:?} must not contain \"http://\" or \"https://\""
                )));
            }
        }
        if !keys.insert(key) {
            return Err(invalid(format!(
                "scaling_group.tags key {key:?} appears twice; tag keys must be unique"
            )));
        }
    }
    Ok(())
}

fn parse_object(body: &[u8]) -> Result<Map<String, Value>, Reply> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(invalid("the request body is not a JSON object")),
    }
}

fn target_of(body: &Value) -> Option<u32> {
    let n = if body["auto_scaling"]["enable"] == json!(true) {
        body["auto_scaling"]["min_instances"].as_u64()
    } else {
        body["scaling_group"]["desired_size"].as_u64()
    };
    n.and_then(|n| u32::try_from(n).ok())
}

/// Applies the instance-type faults and the cluster node quota to a move.
fn constrain(store: &Store, ctx: &Ctx<'_>, pool: &AckPool, p: Progress) -> Progress {
    let types = pool.instance_types();
    if !types.is_empty()
        && types
            .iter()
            .all(|t| ctx.faults.alibaba_failing_instance_types.contains(t))
    {
        return p.fail();
    }
    if !types.is_empty()
        && types
            .iter()
            .all(|t| ctx.faults.alibaba_sold_out_instance_types.contains(t))
    {
        return p.limit(p.from, Blocked::SoldOut);
    }
    if let Some(quota) = ctx.faults.max_nodes_per_cluster {
        let others: u32 = store
            .ack_pools
            .values()
            .filter(|o| {
                o.cluster_id == pool.cluster_id
                    && o.id() != pool.id()
                    && o.deleting_since_ms.is_none()
            })
            .map(|o| o.progress.reach())
            .sum();
        return p.limit(quota.saturating_sub(others), Blocked::Quota);
    }
    p
}

fn task_error(pool: &AckPool) -> Option<(String, String)> {
    let types = pool.instance_types().join(",");
    match pool.progress.blocked {
        Some(Blocked::SoldOut) => Some((
            "OperationDenied.NoStock".into(),
            format!(
                "The requested resource is sold out in the specified zone; try other types of \
                 resources or other regions and zones. instance types: {types}"
            ),
        )),
        Some(Blocked::Quota) => Some((
            "QuotaExceed.ElasticQuota".into(),
            "The number of nodes in the cluster has exceeded the quota.".into(),
        )),
        Some(Blocked::Failed) => Some((
            "InvalidResourceType.NotSupported".into(),
            format!("Instances of type {types} could not be created."),
        )),
        None => None,
    }
}

fn new_task(
    store: &mut Store,
    ctx: &Ctx<'_>,
    pool: &AckPool,
    task_type: &str,
    done_ms: i64,
) -> String {
    let id = task_id();
    let error = if task_type == "nodepool_delete" {
        None
    } else {
        task_error(pool)
    };
    store.ack_tasks.insert(
        id.clone(),
        AckTask {
            id: id.clone(),
            cluster_id: pool.cluster_id.clone(),
            task_type: task_type.into(),
            nodepool_id: pool.id().to_owned(),
            created_ms: ctx.now,
            done_ms,
            error,
        },
    );
    id
}

fn create(store: &mut Store, ctx: &Ctx<'_>, route: &Route, body: &[u8], request_id: &str) -> Reply {
    let mut req = match parse_object(body) {
        Ok(m) => m,
        Err(r) => return r,
    };
    normalize_tags(&mut req);
    let name = req["nodepool_info"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if req.get("nodepool_info").is_none() || name.is_empty() {
        return invalid("nodepool_info.name is required");
    }
    if let Err(r) = check_tags(&req) {
        return r;
    }
    for field in ["instance_types", "vswitch_ids"] {
        let n = req
            .get("scaling_group")
            .and_then(|s| s.get(field))
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if n == 0 {
            return invalid(format!("scaling_group.{field} is required"));
        }
    }
    if let Some(max) = ctx.faults.max_pools_per_cluster {
        let n = store
            .ack_pools
            .values()
            .filter(|p| p.cluster_id == route.cluster_id)
            .count();
        if n >= max as usize {
            return error(
                400,
                "QuotaExceeded.NodePool",
                format!("a cluster may hold at most {max} node pools"),
            );
        }
    }
    req.remove("ClusterId");
    let count = req.remove("count").and_then(|c| c.as_u64());
    let id = format!("np{}", random_hex(30));
    let info = req
        .entry("nodepool_info")
        .or_insert(json!({}))
        .as_object_mut()
        .map(std::mem::take)
        .unwrap_or_default();
    let mut info = info;
    info.insert("nodepool_id".into(), json!(id));
    info.entry("type").or_insert(json!("ess"));
    info.insert("is_default".into(), json!(false));
    info.entry("region_id").or_insert(json!("cn-hangzhou"));
    info.insert("created".into(), json!(ack_time(ctx.now)));
    info.insert("updated".into(), json!(ack_time(ctx.now)));
    req.insert("nodepool_info".into(), Value::Object(info));
    let sg = req.entry("scaling_group").or_insert(json!({}));
    sg["scaling_group_id"] = json!(format!("asg-{}", random_hex(20)));
    if sg.get("desired_size").is_none_or(Value::is_null)
        && let Some(c) = count
    {
        sg["desired_size"] = json!(c);
    }
    if sg.get("login_password").is_some() {
        sg["login_password"] = json!("********");
    }
    req.entry("host_network").or_insert(json!(false));
    req.entry("intranet").or_insert(json!(false));
    let body = Value::Object(req);
    let target = target_of(&body).unwrap_or(0);
    let mut pool = AckPool {
        cluster_id: route.cluster_id.clone(),
        body,
        progress: Progress::new(0, target, ctx.now, ctx.timings.provision, ctx.timings.step),
        creating: true,
        updating_until_ms: 0,
        deleting_since_ms: None,
        visible_from_ms: 0,
    };
    pool.progress = constrain(store, ctx, &pool, pool.progress);
    let done = pool.progress.settled_at();
    let task = new_task(store, ctx, &pool, "nodepool_create", done);
    store.ack_pools.insert(id.clone(), pool);
    Reply::new(
        200,
        json!({"nodepool_id": id, "request_id": request_id, "task_id": task}),
    )
}

/// The lists ModifyClusterNodePool replaces as a whole, `[]` included: `[]` clears them. Absent or
/// `null` leaves them as they are.
///
/// ACK's API reference does not spell this out. It is what the Terraform provider relies on
/// (aliyun/terraform-provider-alicloud `resource_alicloud_cs_kubernetes_node_pool.go`): when labels
/// or taints change, `setNodePoolLabels` / `setNodePoolTaints` send the complete new list — `[]`
/// when none is left — and otherwise the field goes out as `null` (denverdino/aliyungo
/// `cs.KubernetesConfig`, list fields without `omitempty`); the provider's fixes "labels and taints
/// cannot be annotated as empty" (#5045, #5059) and "set labels, taints to empty list" (#8630) are
/// about getting that `[]` on the wire. `scaling_group.tags` goes out the same way, as the complete
/// list when the tags change (and "tags cannot be deleted", #5176); taken to behave alike.
/// Beware: alibabacloud-cs20151215 7.2.3 sends `[]` for every unset list of a nested model, so a
/// Python-SDK modify that carries a `scaling_group` clears the tags unless it repeats them, and
/// one that carries a `kubernetes_config` clears the labels and taints.
const REPLACED_LISTS: [(&str, &str); 3] = [
    ("scaling_group", "tags"),
    ("kubernetes_config", "labels"),
    ("kubernetes_config", "taints"),
];

/// Deep-merges `patch` into `base`: objects recursively, `null` and empty arrays skipped (the SDK
/// sends `[]` for every unset list of a nested model), everything else replaced. The lists of
/// [`REPLACED_LISTS`] are taken out of the patch first (by `modify`).
fn merge(base: &mut Value, patch: &Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                match v {
                    Value::Null => {}
                    Value::Array(a) if a.is_empty() => {}
                    Value::Object(_) if b.get(k).is_some_and(Value::is_object) => {
                        if let Some(slot) = b.get_mut(k) {
                            merge(slot, v);
                        }
                    }
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, p) => *b = p.clone(),
    }
}

fn busy(pool: &AckPool) -> Option<Reply> {
    pool.deleting_since_ms.map(|_| {
        error(
            400,
            "ErrorNodePoolDeleting",
            format!("node pool {} is being deleted", pool.id()),
        )
    })
}

fn modify(
    store: &mut Store,
    ctx: &Ctx<'_>,
    mut pool: AckPool,
    body: &[u8],
    request_id: &str,
) -> Reply {
    if let Some(r) = busy(&pool) {
        return r;
    }
    let mut req = match parse_object(body) {
        Ok(m) => m,
        Err(r) => return r,
    };
    normalize_tags(&mut req);
    if let Err(r) = check_tags(&req) {
        return r;
    }
    let before_target = pool.progress.to;
    let before_types = pool.instance_types();
    let mut other_change = false;
    for (k, v) in &req {
        match k.as_str() {
            "nodepool_info" => {
                for f in ["name", "resource_group_id"] {
                    if let Some(x) = v.get(f).filter(|x| !x.is_null()) {
                        pool.body["nodepool_info"][f] = x.clone();
                        other_change = true;
                    }
                }
            }
            "auto_scaling" | "scaling_group" | "kubernetes_config" | "management"
            | "tee_config" | "eflo_node_group" => {
                if v.is_null() {
                    continue;
                }
                let slot = &mut pool.body[k.as_str()];
                if slot.is_null() {
                    *slot = json!({});
                }
                let mut patch = v.clone();
                for (section, list) in REPLACED_LISTS {
                    if section != k.as_str() {
                        continue;
                    }
                    match patch.as_object_mut().and_then(|p| p.remove(list)) {
                        Some(Value::Array(items)) => slot[list] = Value::Array(items),
                        Some(Value::Null) | None => {}
                        Some(_) => return invalid(format!("{section}.{list} must be a list")),
                    }
                }
                merge(slot, &patch);
                other_change = true;
            }
            _ => {}
        }
    }
    if pool.body["nodepool_info"]["name"]
        .as_str()
        .is_none_or(str::is_empty)
    {
        return invalid("nodepool_info.name must not be empty");
    }
    pool.body["nodepool_info"]["updated"] = json!(ack_time(ctx.now));
    let target = target_of(&pool.body).unwrap_or(before_target);
    let done;
    if target != before_target {
        let p = pool.progress.retarget(target, ctx.now, ctx.timings.step);
        pool.creating = false;
        pool.progress = constrain(store, ctx, &pool, p);
        done = pool.progress.settled_at();
    } else {
        if other_change {
            pool.updating_until_ms = ctx.now + ctx.timings.update;
        }
        // New instance types are tried for the nodes still missing (a sold-out pool is repaired
        // by switching to a type in stock), so the move toward the same target starts again.
        if pool.instance_types() != before_types {
            let p = pool.progress.retarget(target, ctx.now, ctx.timings.step);
            pool.creating = false;
            pool.progress = constrain(store, ctx, &pool, p);
        }
        done = pool
            .updating_until_ms
            .max(pool.progress.settled_at())
            .max(ctx.now);
    }
    pool.body["scaling_group"]["desired_size"] = json!(pool.progress.to);
    let id = pool.id().to_owned();
    let task = new_task(store, ctx, &pool, "nodepool_update", done);
    store.ack_pools.insert(id.clone(), pool);
    Reply::new(
        200,
        json!({"nodepool_id": id, "request_id": request_id, "task_id": task}),
    )
}

fn scale(
    store: &mut Store,
    ctx: &Ctx<'_>,
    mut pool: AckPool,
    body: &[u8],
    request_id: &str,
) -> Reply {
    if let Some(r) = busy(&pool) {
        return r;
    }
    let req = match parse_object(body) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let Some(count) = req
        .get("count")
        .and_then(Value::as_u64)
        .and_then(|c| u32::try_from(c).ok())
        .filter(|c| *c > 0)
    else {
        return invalid("count must be a positive integer (the number of nodes to add)");
    };
    let target = pool.progress.to.saturating_add(count);
    let p = pool.progress.retarget(target, ctx.now, ctx.timings.step);
    pool.creating = false;
    pool.progress = constrain(store, ctx, &pool, p);
    pool.body["scaling_group"]["desired_size"] = json!(target);
    pool.body["nodepool_info"]["updated"] = json!(ack_time(ctx.now));
    let done = pool.progress.settled_at();
    let task = new_task(store, ctx, &pool, "nodepool_scaleout", done);
    store.ack_pools.insert(pool.id().to_owned(), pool);
    Reply::new(200, json!({"task_id": task, "request_id": request_id}))
}

/// The code of a DeleteClusterNodepool refused because the pool still has nodes and `force` is
/// not true. ACK documents the refusal but not its code: the code is the simulator's choice.
pub const NOT_EMPTY: &str = "ErrorNodePoolNotEmpty";

/// DeleteClusterNodepool. `force`: "true: force delete the node pool; if the node pool contains
/// existing nodes, the nodes are forcibly deleted. false: do not force delete; if the node pool
/// contains existing nodes, the deletion is blocked and an error is returned." (API reference
/// DeleteClusterNodepool, <https://help.aliyun.com/zh/ack/ack-edge/developer-reference/api-cs-2015-12-15-deleteclusternodepool-edge>,
/// and `DeleteClusterNodepoolRequest.force` in alibabacloud-cs20151215 7.2.3.) Absent = false;
/// the value is compared case-insensitively (the SDKs send `True` / `False`). A pool already being
/// deleted answers as the first delete did.
fn delete(
    store: &mut Store,
    ctx: &Ctx<'_>,
    mut pool: AckPool,
    query: &str,
    request_id: &str,
) -> Reply {
    let force = query_value(query, "force").is_some_and(|f| f.eq_ignore_ascii_case("true"));
    let nodes = pool.progress.count(ctx.now);
    if pool.deleting_since_ms.is_none() && !force && nodes > 0 {
        return error(
            400,
            NOT_EMPTY,
            format!(
                "node pool {} still has {nodes} nodes; remove them first or delete with force=true",
                pool.id()
            ),
        );
    }
    let since = *pool.deleting_since_ms.get_or_insert(ctx.now);
    pool.progress = pool
        .progress
        .retarget(pool.progress.count(ctx.now), ctx.now, 0);
    let task = new_task(
        store,
        ctx,
        &pool,
        "nodepool_delete",
        since + ctx.timings.delete,
    );
    store.ack_pools.insert(pool.id().to_owned(), pool);
    Reply::new(200, json!({"request_id": request_id, "task_id": task}))
}

/// The pool's `status.state` at `now`.
pub fn state(pool: &AckPool, now: i64) -> &'static str {
    let p = &pool.progress;
    if pool.deleting_since_ms.is_some() {
        "deleting"
    } else if p.blocked == Some(Blocked::Failed) {
        if p.in_delay(now) { "initial" } else { "failed" }
    } else if pool.creating && p.in_delay(now) {
        "initial"
    } else if !p.is_settled(now) {
        if p.reach() >= p.from {
            "scaling"
        } else {
            "removing"
        }
    } else if now < pool.updating_until_ms {
        "updating"
    } else {
        "active"
    }
}

/// The pool as DescribeClusterNodePoolDetail (`detail`) or a list item answers it at `now`.
pub fn render(pool: &AckPool, now: i64, detail: bool) -> Value {
    let p = &pool.progress;
    let count = p.count(now);
    let settled = p.is_settled(now);
    let reach = p.reach();
    let failed = if settled {
        p.to.saturating_sub(reach)
    } else {
        0
    };
    let mut status = json!({
        "state": state(pool, now),
        "total_nodes": count,
        "healthy_nodes": count,
        "serving_nodes": count,
        "initial_nodes": if settled { 0 } else { reach.saturating_sub(count) },
        "removing_nodes": if pool.deleting_since_ms.is_some() { count } else if settled { 0 } else { count.saturating_sub(reach) },
        "failed_nodes": failed,
        "offline_nodes": 0,
    });
    if detail {
        let conditions: Vec<Value> = task_error(pool)
            .filter(|_| settled)
            .map(|(code, message)| {
                json!({"type": "ScalingFailed", "status": "True", "reason": code,
                       "message": message, "last_transition_time": ack_time(p.settled_at())})
            })
            .into_iter()
            .collect();
        status["conditions"] = json!(conditions);
    }
    let mut v = pool.body.clone();
    v["status"] = status;
    v["scaling_group"]["desired_size"] = json!(p.to);
    v
}

/// A task as DescribeTaskInfo answers it at `now`.
pub fn render_task(t: &AckTask, now: i64) -> Value {
    let done = now >= t.done_ms;
    let state = match (done, &t.error) {
        (false, _) => "running",
        (true, None) => "success",
        (true, Some(_)) => "fail",
    };
    let mut v = json!({
        "task_id": t.id,
        "cluster_id": t.cluster_id,
        "task_type": t.task_type,
        "state": state,
        "current_stage": if done { "" } else { "Running" },
        "created": ack_time(t.created_ms),
        "updated": ack_time(t.done_ms.min(now)),
        "events": [],
        "stages": [],
        "target": {"id": t.nodepool_id, "type": "nodepool"},
        "task_result": [{"data": t.nodepool_id, "status": match state { "running" => "initial", "success" => "success", _ => "failed" }}],
        "parameters": {},
        "outputs": {},
    });
    if let (true, Some((code, message))) = (done, &t.error) {
        v["error"] = json!({"code": code, "message": message});
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let seg = |p: &str| p.split('/').skip(1).map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(
            route("POST", &seg("/clusters/c/nodepools/np1")).unwrap().op,
            Op::ScaleClusterNodePool
        );
        assert_eq!(route("GET", &seg("/tasks/T-1")).unwrap().id, "T-1");
        assert!(route("GET", &seg("/clusters/c")).is_none());
    }

    #[test]
    fn merge_skips_empty_lists_and_nulls() {
        let mut base = json!({"tags": [{"key": "a"}], "desired_size": 1, "x": {"y": 1, "z": 2}});
        merge(
            &mut base,
            &json!({"tags": [], "desired_size": 3, "x": {"y": null, "z": 5}, "n": null}),
        );
        assert_eq!(
            base,
            json!({"tags": [{"key": "a"}], "desired_size": 3, "x": {"y": 1, "z": 5}})
        );
    }

    #[test]
    fn tag_rules() {
        let body = |tags: Value| {
            json!({"scaling_group": {"tags": tags}})
                .as_object()
                .unwrap()
                .clone()
        };
        let ok = json!([{"key": "cloud.nodepool.dev/owner-uid", "value": "0b7c"},
                        {"key": "cloud.nodepool.dev/owner", "value": "default/web"},
                        {"key": &"k".repeat(128), "value": ""}]);
        assert!(check_tags(&body(ok)).is_ok());
        let mut capital = body(json!([{"Key": "managed-by", "Value": "terraform"}]));
        normalize_tags(&mut capital);
        assert!(check_tags(&capital).is_ok());
        assert_eq!(
            capital["scaling_group"]["tags"],
            json!([{"key": "managed-by", "value": "terraform"}])
        );
        assert!(check_tags(&body(json!([]))).is_ok());
        assert!(check_tags(&json!({}).as_object().unwrap().clone()).is_ok());
        for bad in [
            json!([{"key": "aliyun-owner", "value": "x"}]),
            json!([{"key": "acs:owner", "value": "x"}]),
            json!([{"key": "owner", "value": "aliyunx"}]),
            json!([{"key": "owner", "value": "acs:x"}]),
            json!([{"key": "owner", "value": "see https://x"}]),
            json!([{"key": "http://owner", "value": "x"}]),
            json!([{"key": &"k".repeat(129), "value": "x"}]),
            json!([{"key": "", "value": "x"}]),
            json!([{"value": "x"}]),
            json!([{"key": "a", "value": "1"}, {"key": "a", "value": "2"}]),
            json!({"key": "a"}),
        ] {
            let r = check_tags(&body(bad.clone())).unwrap_err();
            assert_eq!(
                (r.status, r.body["code"].as_str()),
                (400, Some("InvalidParameter")),
                "{bad}"
            );
        }
    }

    #[test]
    fn query_values_are_form_decoded() {
        assert_eq!(
            query_value("a=1&NodepoolName=my+pool%2B", "NodepoolName").as_deref(),
            Some("my pool+")
        );
        assert_eq!(query_value("a=1", "NodepoolName"), None);
    }
}
