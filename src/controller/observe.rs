//! The cloud reads a decision needs ([`Look`] → [`Seen`]): the recorded pool through its
//! cluster's batched list, the cluster's pools marked for the NodePool or carrying its name, or
//! the pool an adopt annotation names. No conclusion from one answer: a pool counts as gone only
//! when a GET says NotFound *and* a fresh list of the cluster does not show it.

use super::context::{Context, Target};
use super::error::Error;
use super::plan::{Look, Seen};
use crate::cloud::{Cloud, CloudPool, NodePoolProvider};
use crate::crd::NodePool;

/// Carries out `look`.
pub(super) async fn see(
    np: &NodePool,
    ctx: &Context,
    provider: &dyn NodePoolProvider,
    target: &Target,
    look: &Look,
    uid: &str,
) -> Result<Seen, Error> {
    let cloud = |e| Error::from_cloud(e, &target.cluster);
    match look {
        Look::Nothing => Ok(Seen::Nothing),
        Look::Pool(id) => recorded(np, ctx, provider, target, id).await,
        Look::Candidates => {
            let key = ctx.cluster_key(np, target);
            let found = ctx
                .reads
                .select(&key, provider, ctx.not_before(np), ctx.max_age(np), |p| {
                    p.name == target.name || p.owner.as_ref().is_some_and(|o| o.uid == uid)
                })
                .await
                .map_err(cloud)?;
            let (mine, same_name) = found
                .into_iter()
                .partition(|p| p.owner.as_ref().is_some_and(|o| o.uid == uid));
            Ok(Seen::Candidates { mine, same_name })
        }
        Look::Adopt(id) => {
            let pool = provider.get(&target.cluster, id).await.map_err(cloud)?;
            let (recorded_by, marked_for) = claims(np, ctx, &pool, uid);
            Ok(Seen::AdoptTarget {
                pool,
                recorded_by,
                marked_for,
            })
        }
    }
}

/// The recorded pool `id`: from the batched list, else a GET, and "gone" only after a fresh
/// list confirms the GET's NotFound.
async fn recorded(
    np: &NodePool,
    ctx: &Context,
    provider: &dyn NodePoolProvider,
    target: &Target,
    id: &str,
) -> Result<Seen, Error> {
    let cloud = |e| Error::from_cloud(e, &target.cluster);
    let key = ctx.cluster_key(np, target);
    let listed = ctx
        .reads
        .select(&key, provider, ctx.not_before(np), ctx.max_age(np), |p| {
            p.id == id
        })
        .await
        .map_err(cloud)?
        .pop();
    let pool = match listed {
        // ACK lists carry no conditions: a settled pool with failed nodes is read in detail
        // to tell a sold-out pool from a healthy one.
        Some(p)
            if target.cloud == Cloud::Alibaba
                && p.cloud_phase == "active"
                && p.nodes.failed.unwrap_or(0) > 0 =>
        {
            provider.get(&target.cluster, id).await.map_err(cloud)?
        }
        Some(p) => p,
        None => match provider.get(&target.cluster, id).await {
            Ok(p) => p,
            Err(e) if e.is_not_found() && !e.is_cluster_not_found() => {
                // One NotFound is not enough: the list must agree, read after the GET.
                let now = Some(tokio::time::Instant::now());
                let again = ctx
                    .reads
                    .select(&key, provider, now, std::time::Duration::MAX, |p| {
                        p.id == id
                    })
                    .await
                    .map_err(cloud)?
                    .pop();
                return Ok(match again {
                    Some(p) => Seen::Pool(p),
                    None => Seen::Gone,
                });
            }
            Err(e) => return Err(cloud(e)),
        },
    };
    Ok(Seen::Pool(pool))
}

/// Who else claims `pool`: another NodePool whose status records its ID, and the live
/// NodePool (other than this one) whose UID its owner mark carries.
fn claims(
    np: &NodePool,
    ctx: &Context,
    pool: &CloudPool,
    uid: &str,
) -> (Option<String>, Option<String>) {
    let mut recorded_by = None;
    let mut marked_for = None;
    for other in ctx.nodepools.state() {
        if other.metadata.uid.as_deref() == Some(uid) {
            continue;
        }
        let name = format!(
            "{}/{}",
            other.metadata.namespace.as_deref().unwrap_or_default(),
            other.metadata.name.as_deref().unwrap_or_default()
        );
        if pool
            .owner
            .as_ref()
            .is_some_and(|o| Some(o.uid.as_str()) == other.metadata.uid.as_deref())
        {
            marked_for = Some(name.clone());
        }
        let Ok(other) = other.expand() else { continue };
        let same_cluster = other
            .spec
            .cloud_spec()
            .is_some_and(|s| s.cluster_id() == np.spec.cloud_spec().map_or("", |m| m.cluster_id()));
        if same_cluster && other.status.as_ref().and_then(|s| s.id.as_deref()) == Some(&pool.id) {
            recorded_by = Some(name);
        }
    }
    // A mark naming a NodePool this controller cannot see (it watches listed namespaces) may be
    // a live NodePool of another team: refused as well. Only a controller that watches every
    // namespace can tell that the marked NodePool is gone (a hand-over after its release).
    if marked_for.is_none()
        && !ctx.config.namespaces.is_empty()
        && let Some(o) = pool.owner.as_ref().filter(|o| o.uid != uid)
    {
        marked_for = Some(format!(
            "{} (UID {}, outside the namespaces this controller watches)",
            o.name.as_deref().unwrap_or("unknown"),
            o.uid
        ));
    }
    (recorded_by, marked_for)
}
