//! The reconcile loop: finalizer → one cloud read ([`plan::look`]) → a pure decision
//! ([`plan::plan`]) → at most one mutating cloud call → status by server-side apply → requeue
//! after an interval chosen by phase.
//!
//! Crash-safe create: before the create call the controller writes `status.createRequestedAt`,
//! and every pool it creates carries its owner mark (the NodePool's UID in a cloud tag). A
//! NodePool without `status.id` looks at its cluster's pools first: a pool marked for it is
//! adopted (a create whose answer was lost, a crash); a pool of its name that is not marked for
//! it is never touched (`NameTaken`). After an unanswered create the controller waits
//! `create_grace` for the pool to appear before it creates again.

use std::sync::Arc;

use k8s_openapi::jiff::Timestamp;
use kube::ResourceExt;
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use tracing::{Instrument, debug, info, warn};

use super::cache::{CachedNodePool, key};
use super::context::{Context, Target, target};
use super::error::Error;
use super::leader::FOLLOWER_RECHECK;
use super::observe::see;
use super::plan::{self, AdoptHow, Facts, Look, Plan, Release, Seen};
use super::status::{
    fail, finish_status, finish_status_with_drift, observe, read_latest, set_finalizer,
};
use crate::cloud::phase::Phase;
use crate::cloud::{CloudPool, ManagedField, NodePoolProvider, Owner};
use crate::crd::{
    ANNOTATION_ADOPT_ID, ANNOTATION_PAUSED, ANNOTATION_READ_ONLY, FINALIZER, NodePool,
};

/// Reconciles one NodePool.
pub async fn reconcile(cached: Arc<CachedNodePool>, ctx: Arc<Context>) -> Result<Action, Error> {
    let np = cached.expand().map_err(Error::Decode)?;
    if !ctx.leader.is_leader() {
        return Ok(Action::requeue(FOLLOWER_RECHECK));
    }
    if let Some(left) = ctx.own_writes.not_due(&np) {
        debug!(namespace = %np.namespace().unwrap_or_default(), name = %np.name_any(), ?left, "unchanged since the controller's own status write; not due yet");
        return Ok(Action::requeue(left));
    }
    let span = tracing::info_span!(
        "reconcile",
        namespace = %np.namespace().unwrap_or_default(),
        name = %np.name_any(),
        cloud = np.spec.cloud_spec().map_or("", |s| match s {
            crate::crd::CloudSpec::Huawei(_) => "Huawei",
            crate::crd::CloudSpec::Alibaba(_) => "Alibaba",
        }),
        cluster = np.spec.cloud_spec().map_or("", |s| s.cluster_id()),
        cloud_id = np.status.as_ref().and_then(|s| s.id.as_deref()).unwrap_or(""),
    );
    let started = std::time::Instant::now();
    // Work in flight stops when the Lease is lost (fencing; see `leader`).
    let result = tokio::select! {
        r = reconcile_once(&np, &ctx).instrument(span.clone()) => r,
        () = ctx.leader.lost() => Err(Error::LeaseLost),
    };
    // Every error that ends a reconcile is logged here, once, with its reason (inside the
    // reconcile's span: namespace, name, cloud, cluster, cloud ID).
    if let Err(e) = &result {
        span.in_scope(|| warn!(reason = e.reason(), error = %e, "reconcile failed"));
    }
    ctx.metrics
        .reconciled(result.as_ref().err().map(Error::reason), started.elapsed());
    if result.is_ok() {
        ctx.failures
            .lock()
            .expect("failure map lock")
            .remove(&key(&np.metadata));
    }
    result
}

fn annotation<'a>(np: &'a NodePool, name: &str) -> Option<&'a str> {
    np.annotations()
        .get(name)
        .map(String::as_str)
        .filter(|s| !s.is_empty())
}

async fn reconcile_once(np: &NodePool, ctx: &Context) -> Result<Action, Error> {
    let deleting = np.metadata.deletion_timestamp.is_some();
    let has_finalizer = np.finalizers().iter().any(|f| f == FINALIZER);
    let paused = annotation(np, ANNOTATION_PAUSED) == Some("true");
    if deleting && !has_finalizer {
        return Ok(Action::await_change());
    }
    if !deleting && paused {
        debug!("paused");
        return Ok(Action::requeue(ctx.config.resync));
    }
    if !deleting && !has_finalizer {
        ctx.fence()?;
        set_finalizer(&ctx.client, np, true).await?;
    }
    // The cache can lag behind the controller's own last status write: a NodePool without an
    // ID is read afresh before anything is looked up, created or released for it.
    let latest;
    let np = if np.status.as_ref().and_then(|s| s.id.as_ref()).is_none() {
        match read_latest(&ctx.client, np).await? {
            Some(n) => {
                latest = n;
                &latest
            }
            None => return Ok(Action::await_change()),
        }
    } else {
        np
    };
    let deleting = np.metadata.deletion_timestamp.is_some();
    let action = if deleting { "Delete" } else { "Reconcile" };
    let mut status = np.status.clone().unwrap_or_default();
    let target = match target(np) {
        Ok(t) => t,
        Err(e) => return fail(np, ctx, status, None, e, action).await,
    };
    status.cloud = Some(target.cloud.label().to_string());
    status.cluster_id = Some(target.cluster.clone());
    let spec = np.spec.cloud_spec().ok_or(Error::NoCloud)?;
    let uid = np.uid().unwrap_or_default();
    let ns = np.namespace().unwrap_or_default();
    let name = np.name_any();
    let owner = Owner {
        uid: &uid,
        namespace: &ns,
        name: &name,
    };
    let desired = spec.section().desired(owner);
    let recorded_status = status.clone();
    let facts = Facts {
        cloud: target.cloud,
        uid: &uid,
        name: &target.name,
        generation: np.metadata.generation.unwrap_or(0),
        deleting,
        paused: annotation(np, ANNOTATION_PAUSED) == Some("true"),
        read_only: annotation(np, ANNOTATION_READ_ONLY) == Some("true"),
        adopt_id: annotation(np, ANNOTATION_ADOPT_ID),
        deletion_policy: np.spec.deletion_policy,
        drift_policy: np.spec.drift_policy,
        when_missing: np.spec.when_missing,
        status: &recorded_status,
        desired: &desired,
        now: Timestamp::now(),
        create_grace: ctx.config.create_grace,
        delete_timeout: ctx.config.delete_timeout,
        force_delete: matches!(spec, crate::crd::CloudSpec::Alibaba(a) if a.force_delete()),
    };
    let look = plan::look(&facts);
    let provider = if look == Look::Nothing {
        None
    } else {
        match ctx.provider(np).await {
            Ok(p) => Some(p),
            Err(e) if deleting => {
                let e = Error::DeleteBlocked(Box::new(e));
                return fail(np, ctx, status, Some(Phase::Deleting), e, action).await;
            }
            Err(e) => return fail(np, ctx, status, None, e, "ReadCredentials").await,
        }
    };
    let seen = match &provider {
        Some(p) => match see(np, ctx, p.as_ref(), &target, &look, &uid).await {
            Ok(seen) => seen,
            Err(e) => {
                let phase = deleting.then_some(Phase::Deleting);
                return fail(np, ctx, status, phase, e, action).await;
            }
        },
        None => Seen::Nothing,
    };
    let decision = plan::plan(&facts, seen);
    debug!(?decision, "planned");
    let run = Run {
        np,
        ctx,
        target: &target,
        owner,
        spec,
    };
    run.carry_out(decision, provider.as_deref(), status).await
}

/// One reconcile's fixed inputs, while it carries out its plan.
struct Run<'a> {
    np: &'a NodePool,
    ctx: &'a Context,
    target: &'a Target,
    owner: Owner<'a>,
    spec: crate::crd::CloudSpec<'a>,
}

impl Run<'_> {
    async fn event(&self, type_: EventType, reason: &str, action: &str, note: String) {
        self.ctx.event(self.np, type_, reason, action, note).await;
    }

    async fn carry_out(
        &self,
        decision: Plan,
        provider: Option<&dyn NodePoolProvider>,
        mut status: crate::crd::NodePoolStatus,
    ) -> Result<Action, Error> {
        let (np, ctx) = (self.np, self.ctx);
        let provider = match (decision_needs_cloud(&decision), provider) {
            (true, Some(p)) => Some(p),
            (true, None) => return Err(Error::NoCloud),
            (false, p) => p,
        };
        match decision {
            Plan::Paused => Ok(Action::requeue(ctx.config.resync)),
            Plan::Release(why) => {
                let id = status.id.clone().unwrap_or_default();
                match why {
                    Release::Orphaned => {
                        self.event(
                            EventType::Normal,
                            "Orphaned",
                            "Delete",
                            "deletionPolicy is Orphan: the cloud pool is left in place".into(),
                        )
                        .await;
                    }
                    Release::ReadOnly => {
                        self.event(
                            EventType::Normal,
                            "Orphaned",
                            "Delete",
                            "read-only: the cloud pool is left in place".into(),
                        )
                        .await;
                    }
                    Release::Deleted => {
                        self.event(
                            EventType::Normal,
                            "Deleted",
                            "Delete",
                            format!("the cloud pool {id} is gone"),
                        )
                        .await;
                    }
                    Release::NeverCreated => {}
                }
                ctx.release(np).await?;
                Ok(Action::await_change())
            }
            Plan::Create { again } => {
                let provider = provider.ok_or(Error::NoCloud)?;
                if again {
                    let id = status.id.take().unwrap_or_default();
                    self.event(
                        EventType::Warning,
                        "CloudPoolMissing",
                        "Observe",
                        format!("the cloud pool {id} was deleted outside the controller (confirmed by a list of the cluster); creating it again (spec.whenMissing: Recreate)"),
                    )
                    .await;
                    status.applied_generation = None;
                    status.create_requested_at = None;
                    status.phase = None;
                }
                self.create(provider, status).await
            }
            Plan::WaitForCreate => {
                status.phase = Some(Phase::Creating.as_str().to_string());
                finish_status(np, &mut status, Some(Phase::Creating), None);
                ctx.write_status(np, &status).await?;
                Ok(ctx.requeue_for(np, Some(Phase::Creating)))
            }
            Plan::Adopt { pool, how } => {
                let read_only = annotation(np, ANNOTATION_READ_ONLY) == Some("true");
                let note = match how {
                    AdoptHow::Recovered => format!(
                        "found the pool {} marked for this NodePool (a create whose answer was lost, or a restart); adopting it",
                        pool.id
                    ),
                    AdoptHow::Annotation if read_only => {
                        format!("mirroring the cloud pool {} (read-only)", pool.id)
                    }
                    AdoptHow::Annotation => format!("adopted the existing cloud pool {}", pool.id),
                };
                let reason = match how {
                    AdoptHow::Recovered => "Recovered",
                    AdoptHow::Annotation => "Adopted",
                };
                self.event(EventType::Normal, reason, "Adopt", note).await;
                let phase = observe(&mut status, self.target.cloud, &pool);
                status.create_requested_at = None;
                // The spec (with the owner mark) goes to the pool at the next reconcile, unless
                // the NodePool only mirrors it.
                status.applied_generation = read_only.then(|| np.metadata.generation.unwrap_or(0));
                finish_status(np, &mut status, Some(phase), None);
                ctx.write_status(np, &status).await?;
                Ok(ctx.requeue_for(np, Some(Phase::Synchronizing)))
            }
            Plan::Update { pool, drift } => {
                let provider = provider.ok_or(Error::NoCloud)?;
                self.update(provider, status, pool, drift).await
            }
            Plan::Observe { pool, drift } => {
                let prev_phase = status.phase.clone();
                let phase = observe(&mut status, self.target.cloud, &pool);
                self.note_drift(&drift, false).await;
                if prev_phase.as_deref() != status.phase.as_deref() {
                    self.phase_event(phase, &pool).await;
                }
                finish_status_with_drift(np, &mut status, Some(phase), None, &drift, false);
                ctx.write_status(np, &status).await?;
                Ok(ctx.requeue_for(np, Some(phase)))
            }
            Plan::Delete { pool } => {
                let provider = provider.ok_or(Error::NoCloud)?;
                observe(&mut status, self.target.cloud, &pool);
                ctx.mark_changed(np)?;
                // The client is shared by every NodePool of the Secret: the force is per call.
                let forced =
                    matches!(self.spec, crate::crd::CloudSpec::Alibaba(a) if a.force_delete());
                let answer = if forced {
                    provider.delete_forced(&self.target.cluster, &pool.id).await
                } else {
                    provider.delete(&self.target.cluster, &pool.id).await
                };
                match answer {
                    Ok(_) => {
                        self.event(
                            EventType::Normal,
                            "DeleteRequested",
                            "Delete",
                            format!("asked the cloud to delete pool {}", pool.id),
                        )
                        .await;
                    }
                    // Not concluded from this answer: the next read confirms it with a list.
                    Err(e) if e.is_not_found() && !e.is_cluster_not_found() => {}
                    Err(e) => {
                        let e = Error::from_cloud(e, &self.target.cluster);
                        return fail(np, ctx, status, Some(Phase::Deleting), e, "Delete").await;
                    }
                }
                status
                    .delete_requested_at
                    .get_or_insert_with(|| Timestamp::now().to_string());
                status.phase = Some(Phase::Deleting.as_str().to_string());
                finish_status(np, &mut status, Some(Phase::Deleting), None);
                ctx.write_status(np, &status).await?;
                Ok(ctx.requeue_for(np, Some(Phase::Deleting)))
            }
            Plan::Drain { pool } => {
                let provider = provider.ok_or(Error::NoCloud)?;
                observe(&mut status, self.target.cloud, &pool);
                ctx.mark_changed(np)?;
                if let Err(e) = provider.scale(&self.target.cluster, &pool.id, 0).await {
                    let e = Error::from_cloud(e, &self.target.cluster);
                    return fail(np, ctx, status, Some(Phase::Deleting), e, "Delete").await;
                }
                self.event(
                    EventType::Normal,
                    "ScalingToZero",
                    "Delete",
                    format!(
                        "ACK deletes only empty pools: scaling pool {} to zero nodes first (spec.alibaba.forceDelete: true deletes it with its nodes)",
                        pool.id
                    ),
                )
                .await;
                status
                    .delete_requested_at
                    .get_or_insert_with(|| Timestamp::now().to_string());
                status.phase = Some(Phase::Deleting.as_str().to_string());
                finish_status(np, &mut status, Some(Phase::Deleting), None);
                ctx.write_status(np, &status).await?;
                Ok(ctx.requeue_for(np, Some(Phase::Deleting)))
            }
            Plan::Deleting { pool, overdue } => {
                observe(&mut status, self.target.cloud, &pool);
                status
                    .delete_requested_at
                    .get_or_insert_with(|| Timestamp::now().to_string());
                status.phase = Some(Phase::Deleting.as_str().to_string());
                if overdue {
                    let e = Error::DeleteTimeout {
                        id: pool.id.clone(),
                        minutes: ctx.config.delete_timeout.as_secs() / 60,
                    };
                    return fail(np, ctx, status, Some(Phase::Deleting), e, "Delete").await;
                }
                finish_status(np, &mut status, Some(Phase::Deleting), None);
                ctx.write_status(np, &status).await?;
                Ok(ctx.requeue_for(np, Some(Phase::Deleting)))
            }
            Plan::Stall(stall) => {
                let phase = status
                    .phase
                    .as_deref()
                    .and_then(|p| Phase::ALL.into_iter().find(|x| x.as_str() == p));
                let action = if np.metadata.deletion_timestamp.is_some() {
                    "Delete"
                } else {
                    "Reconcile"
                };
                fail(np, ctx, status, phase, Error::Stalled(stall), action).await
            }
        }
    }

    /// Create, exactly once: record the intent, then call. A refusal withdraws the intent
    /// (nothing was made); a lost answer keeps it, and the grace period covers a late pool.
    async fn create(
        &self,
        provider: &dyn NodePoolProvider,
        mut status: crate::crd::NodePoolStatus,
    ) -> Result<Action, Error> {
        let (np, ctx, target) = (self.np, self.ctx, self.target);
        let generation = np.metadata.generation.unwrap_or(0);
        status
            .create_requested_at
            .get_or_insert_with(|| Timestamp::now().to_string());
        status.phase = Some(Phase::Creating.as_str().to_string());
        finish_status(np, &mut status, Some(Phase::Creating), None);
        ctx.write_status(np, &status).await?;
        let body = self.spec.section().create(self.owner);
        ctx.mark_changed(np)?;
        match provider.create(&target.cluster, &body).await {
            Ok(created) => {
                info!(id = %created.id, "created the cloud pool");
                status.id = Some(created.id.clone());
                status.applied_generation = Some(generation);
                status.create_requested_at = None;
                let phase = match &created.pool {
                    Some(p) => observe(&mut status, target.cloud, p),
                    None => Phase::Synchronizing,
                };
                // A fresh pool is never steady before a confirming read.
                let phase = if phase == Phase::Synchronized {
                    Phase::Synchronizing
                } else {
                    phase
                };
                status.phase = Some(phase.as_str().to_string());
                finish_status(np, &mut status, Some(phase), None);
                ctx.write_status(np, &status).await?;
                self.event(
                    EventType::Normal,
                    "Created",
                    "Create",
                    format!(
                        "created {} node pool {} ({}) in cluster {}",
                        target.cloud, target.name, created.id, target.cluster
                    ),
                )
                .await;
                Ok(ctx.requeue_for(np, Some(phase)))
            }
            Err(e) => {
                let phase = if e.nothing_made() {
                    // Refused: nothing was made, so the intent is withdrawn (a later lookup
                    // must not wait for a pool that cannot appear).
                    status.create_requested_at = None;
                    None
                } else {
                    Some(Phase::Creating)
                };
                let e = Error::from_cloud(e, &target.cluster);
                fail(np, ctx, status, phase, e, "Create").await
            }
        }
    }

    /// Sends the spec (and the owner mark) to the pool: a new generation, or drift to correct.
    async fn update(
        &self,
        provider: &dyn NodePoolProvider,
        mut status: crate::crd::NodePoolStatus,
        pool: CloudPool,
        drift: Vec<ManagedField>,
    ) -> Result<Action, Error> {
        let (np, ctx, target) = (self.np, self.ctx, self.target);
        let generation = np.metadata.generation.unwrap_or(0);
        let mut phase = observe(&mut status, target.cloud, &pool);
        self.note_drift(&drift, true).await;
        ctx.mark_changed(np)?;
        let upd = self.spec.section().update(self.owner);
        match provider.update(&target.cluster, &pool.id, &upd).await {
            Ok(_) => {
                let new_generation = status.applied_generation != Some(generation);
                status.applied_generation = Some(generation);
                phase = Phase::Synchronizing;
                status.phase = Some(phase.as_str().to_string());
                if new_generation {
                    self.event(
                        EventType::Normal,
                        "Updated",
                        "Update",
                        format!(
                            "sent generation {generation} of the spec to the cloud pool {}",
                            pool.id
                        ),
                    )
                    .await;
                }
            }
            Err(e) => {
                let e = Error::from_cloud(e, &target.cluster);
                return fail(np, ctx, status, Some(phase), e, "Update").await;
            }
        }
        finish_status_with_drift(np, &mut status, Some(phase), None, &drift, true);
        ctx.write_status(np, &status).await?;
        Ok(ctx.requeue_for(np, Some(phase)))
    }

    /// An Event and the metric for drift, once per change of the drifted set (not per poll).
    async fn note_drift(&self, drift: &[ManagedField], correcting: bool) {
        if drift.is_empty() {
            return;
        }
        let fields: Vec<&str> = drift.iter().map(|f| f.label()).collect();
        let shown = self
            .np
            .status
            .as_ref()
            .and_then(|s| s.conditions.iter().find(|c| c.type_ == "Drifted"))
            .filter(|c| c.status == "True")
            .is_some_and(|c| c.message.contains(&fields.join(", ")));
        if shown && !correcting {
            return;
        }
        for f in drift {
            self.ctx.metrics.drift(self.target.cloud, *f);
        }
        let what = if correcting {
            "setting them back to the spec"
        } else {
            "left as they are (spec.driftPolicy: Report)"
        };
        self.event(
            EventType::Warning,
            "DriftDetected",
            "Observe",
            format!("changed at the cloud: {}; {what}", fields.join(", ")),
        )
        .await;
    }

    async fn phase_event(&self, phase: Phase, pool: &CloudPool) {
        let note = format!(
            "phase {} (cloud: {:?}, nodes {}/{})",
            phase,
            pool.cloud_phase,
            pool.nodes.current.unwrap_or(0),
            pool.nodes.desired.unwrap_or(0)
        );
        let type_ = if matches!(phase, Phase::Error | Phase::SoldOut) {
            EventType::Warning
        } else {
            EventType::Normal
        };
        self.event(type_, phase.as_str(), "Observe", note).await;
    }
}

fn decision_needs_cloud(p: &Plan) -> bool {
    matches!(
        p,
        Plan::Create { .. } | Plan::Update { .. } | Plan::Delete { .. } | Plan::Drain { .. }
    )
}
