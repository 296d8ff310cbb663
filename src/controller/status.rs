//! Writing what the controller learned: the status (by server-side apply with one field
//! manager), the finalizer, and the conditions computed from an outcome.

use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::{Client, ResourceExt};
use serde_json::json;

use super::cache::slim;
use super::conditions::{self, Failure, Outcome};
use super::context::Context;
use super::error::Error;
use super::phase;
use crate::cloud::phase::Phase;
use crate::cloud::{Cloud, CloudPool, ManagedField};
use crate::crd::{FIELD_MANAGER, FINALIZER, NodePool, NodePoolStatus};

/// Writes the whole status by server-side apply with the controller's field manager; returns
/// the object as written.
pub(super) async fn write_status(
    client: &Client,
    np: &NodePool,
    status: &NodePoolStatus,
) -> Result<NodePool, Error> {
    let api: Api<NodePool> = Api::namespaced(client.clone(), &np.namespace().unwrap_or_default());
    let patch = json!({
        "apiVersion": "cloud.nodepool.dev/v1alpha1",
        "kind": "NodePool",
        "status": status,
    });
    Ok(api
        .patch_status(
            &np.name_any(),
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&patch),
        )
        .await?)
}

/// Adds or removes the controller's finalizer by server-side apply (finalizers are a set, so
/// other owners' finalizers are untouched).
pub(super) async fn set_finalizer(
    client: &Client,
    np: &NodePool,
    present: bool,
) -> Result<(), Error> {
    let api: Api<NodePool> = Api::namespaced(client.clone(), &np.namespace().unwrap_or_default());
    let finalizers: Vec<&str> = if present { vec![FINALIZER] } else { vec![] };
    let patch = json!({
        "apiVersion": "cloud.nodepool.dev/v1alpha1",
        "kind": "NodePool",
        "metadata": {"name": np.name_any(), "finalizers": finalizers},
    });
    match api
        .patch(
            &np.name_any(),
            &PatchParams::apply(FIELD_MANAGER),
            &Patch::Apply(&patch),
        )
        .await
    {
        Ok(_) => Ok(()),
        // Already gone: nothing left to release.
        Err(kube::Error::Api(s)) if !present && s.code == 404 => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The NodePool as the API server has it now (`None` when it is gone).
///
/// The controller's cache can lag behind the controller's own last status write: a reconcile
/// right after a create may see the object without `status.id` and `status.createRequestedAt`,
/// look the pool up by name, take it for a foreign pool (`NameTaken`) and overwrite the status,
/// losing the ID. Before anything is looked up, created or released for a NodePool without an
/// ID, it is therefore read afresh.
pub(super) async fn read_latest(client: &Client, np: &NodePool) -> Result<Option<NodePool>, Error> {
    let api: Api<NodePool> = Api::namespaced(client.clone(), &np.namespace().unwrap_or_default());
    Ok(api.get_opt(&np.name_any()).await?.map(|mut n| {
        slim(&mut n);
        n
    }))
}

/// Copies what the cloud reports into the status.
pub(super) fn observe(status: &mut NodePoolStatus, cloud: Cloud, pool: &CloudPool) -> Phase {
    let phase = phase::derive(cloud, pool);
    status.id = Some(pool.id.clone());
    status.phase = Some(phase.as_str().to_string());
    status.cloud_phase = Some(pool.cloud_phase.clone());
    status.current_node_count = pool.nodes.current;
    status.desired_node_count = pool.nodes.desired;
    phase
}

pub(super) fn finish_status(
    np: &NodePool,
    status: &mut NodePoolStatus,
    phase: Option<Phase>,
    failure: Option<Failure>,
) {
    finish_status_with_drift(np, status, phase, failure, &[], false);
}

/// [`finish_status`] with the drifted fields (and whether they are being set back).
pub(super) fn finish_status_with_drift(
    np: &NodePool,
    status: &mut NodePoolStatus,
    phase: Option<Phase>,
    failure: Option<Failure>,
    drift: &[ManagedField],
    correcting: bool,
) {
    let generation = np.metadata.generation.unwrap_or(0);
    let previous = np
        .status
        .as_ref()
        .map(|s| s.conditions.clone())
        .unwrap_or_default();
    let outcome = Outcome {
        generation,
        phase,
        in_sync: status.applied_generation == Some(generation),
        failure,
    };
    let mut fresh = conditions::compute(&outcome);
    let fields: Vec<&str> = drift.iter().map(|f| f.label()).collect();
    fresh.push(conditions::drifted(&fields, correcting, generation));
    status.conditions = conditions::merge(&previous, fresh, Timestamp::now());
    status.observed_generation = Some(generation);
}

/// Records a failure in status and as an Event, then returns it for the error policy.
pub(super) async fn fail(
    np: &NodePool,
    ctx: &Context,
    mut status: NodePoolStatus,
    phase: Option<Phase>,
    err: Error,
    action: &str,
) -> Result<Action, Error> {
    if matches!(err, Error::LeaseLost) {
        // Fenced: nothing may be written by a replica that is no longer the leader.
        return Err(err);
    }
    finish_status(np, &mut status, phase, Some(err.failure()));
    ctx.event(
        np,
        EventType::Warning,
        err.reason(),
        action,
        err.to_string(),
    )
    .await;
    ctx.write_status(np, &status).await?;
    Err(err)
}
