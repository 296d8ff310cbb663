//! The reconcile decision, as a pure function: what the NodePool says, what its status records
//! and what the cloud shows → one planned action. `reconcile` only carries the plan out.
//!
//! Two steps: [`look`] says which cloud read the decision needs (none, the recorded pool, the
//! cluster's pools, or the pool an adopt annotation names); [`plan`] takes what that read saw.
//!
//! Ownership rules (docs/design.md, "Ownership"):
//! * a pool is the NodePool's when its status records the pool's ID, or when the pool's owner
//!   mark (a tag at the cloud) carries the NodePool's UID;
//! * a pool with another NodePool's mark, or a pool of the same name without this NodePool's
//!   mark, is never adopted, updated or deleted: the NodePool stalls and names it;
//! * "gone" is concluded only from a full list of the cluster, never from one NotFound.

use std::time::Duration;

use k8s_openapi::jiff::Timestamp;

use super::phase;
use crate::cloud::phase::Phase;
use crate::cloud::{Cloud, CloudPool, Managed, ManagedField};
use crate::crd::{DeletionPolicy, DriftPolicy, NodePoolStatus, WhenMissing};

/// Everything the decision depends on besides the cloud.
#[derive(Clone, Debug)]
pub struct Facts<'a> {
    /// The cloud.
    pub cloud: Cloud,
    /// The NodePool's UID (what its owner mark carries).
    pub uid: &'a str,
    /// The pool's name at the cloud.
    pub name: &'a str,
    /// `metadata.generation`.
    pub generation: i64,
    /// Whether the NodePool is being deleted.
    pub deleting: bool,
    /// Whether the paused annotation is set.
    pub paused: bool,
    /// Whether the read-only annotation is set.
    pub read_only: bool,
    /// The pool ID the adopt annotation names.
    pub adopt_id: Option<&'a str>,
    /// `spec.deletionPolicy`.
    pub deletion_policy: DeletionPolicy,
    /// `spec.driftPolicy`.
    pub drift_policy: DriftPolicy,
    /// `spec.whenMissing`.
    pub when_missing: WhenMissing,
    /// The status as stored.
    pub status: &'a NodePoolStatus,
    /// The managed fields as the spec wants them.
    pub desired: &'a Managed,
    /// Now.
    pub now: Timestamp,
    /// How long after an unanswered create a pool may still appear.
    pub create_grace: Duration,
    /// How long a delete may take before the NodePool stalls.
    pub delete_timeout: Duration,
    /// ACK `forceDelete`: delete a pool that still has nodes (otherwise it is scaled to zero
    /// first, since ACK refuses to delete a pool with nodes).
    pub force_delete: bool,
}

/// The cloud read a decision needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Look {
    /// No cloud call at all (paused, orphaned, read-only release).
    Nothing,
    /// The pool the status records; "gone" only after a full list confirms it.
    Pool(String),
    /// The cluster's pools: the ones marked for this NodePool, and the ones of its name.
    Candidates,
    /// The pool the adopt annotation names.
    Adopt(String),
}

/// What the cloud read saw.
#[derive(Clone, Debug)]
pub enum Seen {
    /// Nothing was read.
    Nothing,
    /// The recorded pool.
    Pool(CloudPool),
    /// The recorded pool is missing from a full list of the cluster (and from a GET).
    Gone,
    /// The cluster's pools marked for this NodePool, and the unmarked or foreign ones with its
    /// name.
    Candidates {
        /// Pools whose owner mark carries this NodePool's UID.
        mine: Vec<CloudPool>,
        /// Other pools with the NodePool's pool name.
        same_name: Vec<CloudPool>,
    },
    /// The pool the adopt annotation names, and who else claims it.
    AdoptTarget {
        /// The pool.
        pool: CloudPool,
        /// `namespace/name` of another NodePool whose status records this pool's ID.
        recorded_by: Option<String>,
        /// `namespace/name` of another live NodePool whose UID the pool's mark carries.
        marked_for: Option<String>,
    },
}

/// How a pool came to be adopted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdoptHow {
    /// Found by this NodePool's owner mark (a create whose answer was lost, a crash).
    Recovered,
    /// Named by the adopt annotation.
    Annotation,
}

/// Why a NodePool is released (its finalizer removed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Release {
    /// `deletionPolicy: Orphan`: the pool stays.
    Orphaned,
    /// Read-only: the pool was never the NodePool's to delete.
    ReadOnly,
    /// The pool is gone at the cloud (confirmed by a list).
    Deleted,
    /// No pool was ever made for the NodePool (confirmed by a list).
    NeverCreated,
}

/// Why a NodePool cannot go on without the user; each maps to a condition reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stall {
    /// A pool of the NodePool's name exists that is not marked as this NodePool's.
    NameTaken {
        /// The pool's name.
        name: String,
        /// The pool's ID.
        id: String,
        /// Its owner mark, if it carries one (`namespace/name` or the UID).
        owner: Option<String>,
    },
    /// The pool carries another NodePool's owner mark.
    OwnedByOther {
        /// The pool's ID.
        id: String,
        /// Who the mark names.
        owner: String,
    },
    /// Another NodePool's status records the pool the adopt annotation names.
    AdoptTaken {
        /// The pool's ID.
        id: String,
        /// `namespace/name` of the other NodePool.
        by: String,
    },
    /// Several pools carry this NodePool's mark.
    Ambiguous {
        /// Their IDs.
        ids: Vec<String>,
    },
    /// The pool was deleted outside the controller and `whenMissing` is `Report` (or the
    /// NodePool is read-only).
    CloudPoolDeleted {
        /// The pool's ID.
        id: String,
    },
    /// Read-only without a pool to mirror.
    ReadOnlyWithoutId,
    /// Deletion waits for the paused annotation to go.
    PausedDeletion,
    /// ACK deletes only empty pools, and this pool's autoscaler owns its size: the controller
    /// cannot scale it in.
    AutoscaledNotEmpty {
        /// The pool's ID.
        id: String,
    },
}

impl Stall {
    /// The condition and Event reason.
    pub fn reason(&self) -> &'static str {
        match self {
            Stall::NameTaken { .. } => "NameTaken",
            Stall::OwnedByOther { .. } => "OwnedByOther",
            Stall::AdoptTaken { .. } => "AdoptTaken",
            Stall::Ambiguous { .. } => "AmbiguousOwner",
            Stall::CloudPoolDeleted { .. } => "CloudPoolDeleted",
            Stall::ReadOnlyWithoutId => "ReadOnlyWithoutId",
            Stall::PausedDeletion => "PausedDeletion",
            Stall::AutoscaledNotEmpty { .. } => "AutoscaledPoolNotEmpty",
        }
    }

    /// What happened and what to do.
    pub fn message(&self) -> String {
        use crate::crd::{ANNOTATION_ADOPT_ID, ANNOTATION_PAUSED};
        match self {
            Stall::NameTaken { name, id, owner } => format!(
                "a node pool named {name} already exists in the cluster (ID {id}, {}) and is not this NodePool's: nothing was changed at the cloud; choose another pool name, or hand the pool over (see the user guide: release it from its owner, then set the annotation {ANNOTATION_ADOPT_ID}: {id})",
                match owner {
                    Some(o) => format!("owned by NodePool {o}"),
                    None => "made outside this controller".to_string(),
                }
            ),
            Stall::OwnedByOther { id, owner } => format!(
                "the cloud pool {id} carries the owner mark of NodePool {owner}: this NodePool does not change or delete it; to hand it over, release it from that NodePool first (deletionPolicy: Orphan, then delete it)"
            ),
            Stall::AdoptTaken { id, by } => format!(
                "the cloud pool {id} named by {ANNOTATION_ADOPT_ID} is already managed by NodePool {by}; release it there first (deletionPolicy: Orphan, then delete it)"
            ),
            Stall::Ambiguous { ids } => format!(
                "{} cloud pools carry this NodePool's owner mark ({}): delete the extra ones at the cloud or set {ANNOTATION_ADOPT_ID} to the one to keep",
                ids.len(),
                ids.join(", ")
            ),
            Stall::CloudPoolDeleted { id } => format!(
                "the cloud pool {id} was deleted outside the controller (confirmed by a list of the cluster); delete this NodePool, or set spec.whenMissing: Recreate to create it again"
            ),
            Stall::ReadOnlyWithoutId => format!(
                "a read-only NodePool mirrors an existing pool: set the annotation {ANNOTATION_ADOPT_ID} to the pool's ID"
            ),
            Stall::PausedDeletion => format!(
                "the NodePool is being deleted but is paused: the cloud pool is not touched until the annotation {ANNOTATION_PAUSED} is removed, or spec.deletionPolicy is set to Orphan"
            ),
            Stall::AutoscaledNotEmpty { id } => format!(
                "ACK deletes only empty node pools, and the autoscaler owns the size of pool {id}, so the controller cannot scale it in: set spec.alibaba.forceDelete: true to delete it with its nodes, or spec.deletionPolicy: Orphan to leave it"
            ),
        }
    }
}

/// One planned action.
#[derive(Clone, Debug)]
pub enum Plan {
    /// Paused: no cloud call.
    Paused,
    /// Remove the finalizer.
    Release(Release),
    /// Create the pool (record the intent first). `again`: the recorded pool was deleted
    /// outside the controller.
    Create {
        /// Whether this re-creates a pool deleted outside the controller.
        again: bool,
    },
    /// An unanswered create may still produce a pool: look again later.
    WaitForCreate,
    /// Record this pool as the NodePool's.
    Adopt {
        /// The pool.
        pool: CloudPool,
        /// How it was found.
        how: AdoptHow,
    },
    /// Send the spec to the pool: a new generation, or drift to correct (the fields).
    Update {
        /// The pool.
        pool: CloudPool,
        /// The drifted fields being corrected (empty for a spec change).
        drift: Vec<ManagedField>,
    },
    /// Mirror the pool; nothing to send. `drift`: differences only reported.
    Observe {
        /// The pool.
        pool: CloudPool,
        /// Drifted fields left as they are (`driftPolicy: Report`).
        drift: Vec<ManagedField>,
    },
    /// Scale the pool to zero nodes before deleting it (ACK refuses to delete a pool that
    /// still has nodes unless forced).
    Drain {
        /// The pool.
        pool: CloudPool,
    },
    /// Ask the cloud to delete the pool.
    Delete {
        /// The pool.
        pool: CloudPool,
    },
    /// The cloud is deleting the pool; `overdue` past the delete timeout.
    Deleting {
        /// The pool.
        pool: CloudPool,
        /// Whether the delete has taken longer than the delete timeout.
        overdue: bool,
    },
    /// Needs the user.
    Stall(Stall),
}

/// The cloud read the decision needs.
pub fn look(f: &Facts<'_>) -> Look {
    if f.paused && !(f.deleting && (f.deletion_policy == DeletionPolicy::Orphan || f.read_only)) {
        return Look::Nothing;
    }
    if f.deleting && (f.deletion_policy == DeletionPolicy::Orphan || f.read_only) {
        return Look::Nothing;
    }
    if let Some(id) = &f.status.id {
        return Look::Pool(id.clone());
    }
    if f.deleting {
        return Look::Candidates;
    }
    match f.adopt_id {
        Some(id) => Look::Adopt(id.to_string()),
        None if f.read_only => Look::Nothing,
        None => Look::Candidates,
    }
}

fn age(since: Option<&str>, now: Timestamp) -> Option<Duration> {
    let t: Timestamp = since?.parse().ok()?;
    now.duration_since(t).try_into().ok()
}

fn owner_name(pool: &CloudPool) -> Option<String> {
    pool.owner
        .as_ref()
        .map(|o| o.name.clone().unwrap_or_else(|| o.uid.clone()))
}

/// The planned action for what `look` asked and the cloud showed.
pub fn plan(f: &Facts<'_>, seen: Seen) -> Plan {
    if f.deleting {
        return plan_delete(f, seen);
    }
    if f.paused {
        return Plan::Paused;
    }
    match seen {
        Seen::Nothing if f.read_only => Plan::Stall(Stall::ReadOnlyWithoutId),
        Seen::Nothing => Plan::Paused,
        Seen::Pool(pool) => {
            if let Some(owner) = pool.owner.as_ref().filter(|o| o.uid != f.uid)
                && !f.read_only
            {
                return Plan::Stall(Stall::OwnedByOther {
                    id: pool.id.clone(),
                    owner: owner.name.clone().unwrap_or_else(|| owner.uid.clone()),
                });
            }
            if f.read_only {
                return Plan::Observe {
                    pool,
                    drift: Vec::new(),
                };
            }
            let phase = phase::derive(f.cloud, &pool);
            if phase == Phase::Deleting {
                return Plan::Observe {
                    pool,
                    drift: Vec::new(),
                };
            }
            if f.status.applied_generation != Some(f.generation) {
                return Plan::Update {
                    pool,
                    drift: Vec::new(),
                };
            }
            if phase.is_transient() {
                return Plan::Observe {
                    pool,
                    drift: Vec::new(),
                };
            }
            let mut drift = f.desired.differences(&pool.managed);
            if pool.owner.is_none() {
                drift.push(ManagedField::OwnerMark);
            }
            match (drift.is_empty(), f.drift_policy) {
                (false, DriftPolicy::Correct) => Plan::Update { pool, drift },
                _ => Plan::Observe { pool, drift },
            }
        }
        Seen::Gone => match (f.read_only, f.when_missing) {
            (false, WhenMissing::Recreate) => Plan::Create { again: true },
            _ => Plan::Stall(Stall::CloudPoolDeleted {
                id: f.status.id.clone().unwrap_or_default(),
            }),
        },
        Seen::AdoptTarget {
            pool,
            recorded_by,
            marked_for,
        } => {
            if let Some(by) = recorded_by {
                Plan::Stall(Stall::AdoptTaken { id: pool.id, by })
            } else if let Some(owner) = marked_for.filter(|_| !f.read_only) {
                Plan::Stall(Stall::OwnedByOther { id: pool.id, owner })
            } else {
                Plan::Adopt {
                    pool,
                    how: AdoptHow::Annotation,
                }
            }
        }
        Seen::Candidates {
            mut mine,
            same_name,
        } => {
            if mine.len() > 1 {
                return Plan::Stall(Stall::Ambiguous {
                    ids: mine.into_iter().map(|p| p.id).collect(),
                });
            }
            if let Some(pool) = mine.pop() {
                return Plan::Adopt {
                    pool,
                    how: AdoptHow::Recovered,
                };
            }
            if let Some(other) = same_name.into_iter().next() {
                return Plan::Stall(Stall::NameTaken {
                    name: f.name.to_string(),
                    owner: owner_name(&other),
                    id: other.id,
                });
            }
            match age(f.status.create_requested_at.as_deref(), f.now) {
                Some(a) if a < f.create_grace => Plan::WaitForCreate,
                _ => Plan::Create { again: false },
            }
        }
    }
}

/// Whether an ACK pool must lose its nodes before the delete call.
fn needs_drain(f: &Facts<'_>, pool: &CloudPool) -> bool {
    f.cloud == Cloud::Alibaba
        && !f.force_delete
        && (pool.nodes.current.unwrap_or(0) > 0 || pool.nodes.desired.unwrap_or(0) > 0)
}

/// A pool that needs draining but whose size its autoscaler owns: a scale to zero would not
/// be followed (and, sent again on every poll, would only load the API).
fn cannot_drain(f: &Facts<'_>, pool: &CloudPool) -> Option<Plan> {
    (needs_drain(f, pool) && crate::cloud::alibaba::marks::autoscaled(&pool.spec)).then(|| {
        Plan::Stall(Stall::AutoscaledNotEmpty {
            id: pool.id.clone(),
        })
    })
}

fn plan_delete(f: &Facts<'_>, seen: Seen) -> Plan {
    if f.read_only {
        return Plan::Release(Release::ReadOnly);
    }
    if f.deletion_policy == DeletionPolicy::Orphan {
        return Plan::Release(Release::Orphaned);
    }
    if f.paused {
        return Plan::Stall(Stall::PausedDeletion);
    }
    match seen {
        Seen::Pool(pool) => {
            if let Some(owner) = pool.owner.as_ref().filter(|o| o.uid != f.uid) {
                return Plan::Stall(Stall::OwnedByOther {
                    id: pool.id.clone(),
                    owner: owner.name.clone().unwrap_or_else(|| owner.uid.clone()),
                });
            }
            let phase = phase::derive(f.cloud, &pool);
            let overdue = age(f.status.delete_requested_at.as_deref(), f.now)
                .is_some_and(|a| a >= f.delete_timeout);
            if phase == Phase::Deleting {
                Plan::Deleting { pool, overdue }
            } else if let Some(stall) = cannot_drain(f, &pool) {
                stall
            } else if needs_drain(f, &pool) {
                if pool.nodes.desired == Some(0) {
                    // Scaling in: wait for the nodes to go.
                    Plan::Deleting { pool, overdue }
                } else {
                    Plan::Drain { pool }
                }
            } else {
                Plan::Delete { pool }
            }
        }
        Seen::Gone => Plan::Release(Release::Deleted),
        Seen::Candidates { mut mine, .. } => match mine.pop() {
            Some(pool) if cannot_drain(f, &pool).is_some() => {
                cannot_drain(f, &pool).expect("checked")
            }
            Some(pool) if needs_drain(f, &pool) && pool.nodes.desired != Some(0) => {
                Plan::Drain { pool }
            }
            Some(pool) if needs_drain(f, &pool) => Plan::Deleting {
                pool,
                overdue: false,
            },
            Some(pool) => Plan::Delete { pool },
            None => match age(f.status.create_requested_at.as_deref(), f.now) {
                Some(a) if a < f.create_grace => Plan::WaitForCreate,
                _ => Plan::Release(Release::NeverCreated),
            },
        },
        Seen::Nothing | Seen::AdoptTarget { .. } => Plan::Release(Release::NeverCreated),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::OwnerMark;

    const UID: &str = "uid-mine";

    fn pool(id: &str, owner: Option<&str>, phase: &str) -> CloudPool {
        CloudPool {
            id: id.into(),
            name: "web".into(),
            cloud_phase: phase.into(),
            owner: owner.map(|uid| OwnerMark {
                uid: uid.into(),
                name: Some(format!("ns/{uid}")),
            }),
            managed: Managed {
                node_count: Some(2),
                ..Managed::default()
            },
            ..CloudPool::default()
        }
    }

    struct Case {
        deleting: bool,
        paused: bool,
        read_only: bool,
        adopt: Option<&'static str>,
        orphan: bool,
        report_drift: bool,
        report_missing: bool,
        status: NodePoolStatus,
        desired_count: i64,
        alibaba: bool,
        force: bool,
    }

    impl Default for Case {
        fn default() -> Self {
            Case {
                deleting: false,
                paused: false,
                read_only: false,
                adopt: None,
                orphan: false,
                report_drift: false,
                report_missing: false,
                status: NodePoolStatus::default(),
                desired_count: 2,
                alibaba: false,
                force: false,
            }
        }
    }

    fn recorded(id: &str) -> NodePoolStatus {
        NodePoolStatus {
            id: Some(id.into()),
            applied_generation: Some(1),
            ..NodePoolStatus::default()
        }
    }

    const NOW: &str = "2026-12-01T12:00:00Z";

    fn run(c: &Case, seen: Seen) -> (Look, Plan) {
        let desired = Managed {
            node_count: Some(c.desired_count),
            ..Managed::default()
        };
        let f = Facts {
            cloud: if c.alibaba {
                Cloud::Alibaba
            } else {
                Cloud::Huawei
            },
            uid: UID,
            name: "web",
            generation: 1,
            deleting: c.deleting,
            paused: c.paused,
            read_only: c.read_only,
            adopt_id: c.adopt,
            deletion_policy: if c.orphan {
                DeletionPolicy::Orphan
            } else {
                DeletionPolicy::Delete
            },
            drift_policy: if c.report_drift {
                DriftPolicy::Report
            } else {
                DriftPolicy::Correct
            },
            when_missing: if c.report_missing {
                WhenMissing::Report
            } else {
                WhenMissing::Recreate
            },
            status: &c.status,
            desired: &desired,
            now: NOW.parse().expect("time"),
            create_grace: Duration::from_secs(120),
            delete_timeout: Duration::from_secs(1800),
            force_delete: c.force,
        };
        (look(&f), plan(&f, seen))
    }

    fn candidates(mine: Vec<CloudPool>, same_name: Vec<CloudPool>) -> Seen {
        Seen::Candidates { mine, same_name }
    }

    #[test]
    fn a_new_nodepool_creates_when_nothing_is_found() {
        let (look, plan) = run(&Case::default(), candidates(vec![], vec![]));
        assert_eq!(look, Look::Candidates);
        assert!(matches!(plan, Plan::Create { again: false }), "{plan:?}");
    }

    #[test]
    fn a_foreign_pool_of_the_same_name_is_never_taken() {
        for status in [
            NodePoolStatus::default(),
            // A first create that failed and left its intent behind: still not ours.
            NodePoolStatus {
                create_requested_at: Some("2026-12-01T10:00:00Z".into()),
                ..NodePoolStatus::default()
            },
        ] {
            let c = Case {
                status,
                ..Case::default()
            };
            for foreign in [pool("p-1", None, ""), pool("p-1", Some("uid-other"), "")] {
                let (_, plan) = run(&c, candidates(vec![], vec![foreign]));
                assert!(
                    matches!(&plan, Plan::Stall(Stall::NameTaken { id, .. }) if id == "p-1"),
                    "{plan:?}"
                );
            }
        }
    }

    #[test]
    fn a_pool_marked_for_this_nodepool_is_recovered() {
        let (_, plan) = run(
            &Case::default(),
            candidates(vec![pool("p-9", Some(UID), "")], vec![]),
        );
        assert!(
            matches!(&plan, Plan::Adopt { pool, how: AdoptHow::Recovered } if pool.id == "p-9"),
            "{plan:?}"
        );
    }

    #[test]
    fn two_pools_marked_for_this_nodepool_stall() {
        let (_, plan) = run(
            &Case::default(),
            candidates(
                vec![pool("p-1", Some(UID), ""), pool("p-2", Some(UID), "")],
                vec![],
            ),
        );
        assert!(
            matches!(&plan, Plan::Stall(Stall::Ambiguous { ids }) if ids.len() == 2),
            "{plan:?}"
        );
    }

    #[test]
    fn an_unanswered_create_waits_for_its_grace_period() {
        let recent = Case {
            status: NodePoolStatus {
                create_requested_at: Some("2026-12-01T11:59:00Z".into()),
                ..NodePoolStatus::default()
            },
            ..Case::default()
        };
        let (_, plan) = run(&recent, candidates(vec![], vec![]));
        assert!(matches!(plan, Plan::WaitForCreate), "{plan:?}");
        let old = Case {
            status: NodePoolStatus {
                create_requested_at: Some("2026-12-01T11:50:00Z".into()),
                ..NodePoolStatus::default()
            },
            ..Case::default()
        };
        let (_, plan) = run(&old, candidates(vec![], vec![]));
        assert!(matches!(plan, Plan::Create { again: false }), "{plan:?}");
    }

    #[test]
    fn adopt_annotation_takes_a_free_pool() {
        let c = Case {
            adopt: Some("p-5"),
            ..Case::default()
        };
        let (look, plan) = run(
            &c,
            Seen::AdoptTarget {
                pool: pool("p-5", None, ""),
                recorded_by: None,
                marked_for: None,
            },
        );
        assert_eq!(look, Look::Adopt("p-5".into()));
        assert!(
            matches!(
                plan,
                Plan::Adopt {
                    how: AdoptHow::Annotation,
                    ..
                }
            ),
            "{plan:?}"
        );
    }

    #[test]
    fn adopt_annotation_refuses_a_pool_another_nodepool_records() {
        let c = Case {
            adopt: Some("p-5"),
            ..Case::default()
        };
        let (_, plan) = run(
            &c,
            Seen::AdoptTarget {
                pool: pool("p-5", None, ""),
                recorded_by: Some("other/np".into()),
                marked_for: None,
            },
        );
        assert!(
            matches!(&plan, Plan::Stall(Stall::AdoptTaken { by, .. }) if by == "other/np"),
            "{plan:?}"
        );
    }

    #[test]
    fn adopt_annotation_refuses_a_pool_marked_for_a_live_nodepool() {
        let c = Case {
            adopt: Some("p-5"),
            ..Case::default()
        };
        let (_, plan) = run(
            &c,
            Seen::AdoptTarget {
                pool: pool("p-5", Some("uid-other"), ""),
                recorded_by: None,
                marked_for: Some("other/np".into()),
            },
        );
        assert!(
            matches!(&plan, Plan::Stall(Stall::OwnedByOther { owner, .. }) if owner == "other/np"),
            "{plan:?}"
        );
    }

    #[test]
    fn a_recorded_pool_now_marked_for_another_nodepool_is_left_alone() {
        let c = Case {
            status: recorded("p-1"),
            ..Case::default()
        };
        let (look, plan) = run(&c, Seen::Pool(pool("p-1", Some("uid-other"), "")));
        assert_eq!(look, Look::Pool("p-1".into()));
        assert!(
            matches!(plan, Plan::Stall(Stall::OwnedByOther { .. })),
            "{plan:?}"
        );
        let deleting = Case {
            deleting: true,
            status: recorded("p-1"),
            ..Case::default()
        };
        let (_, plan) = run(&deleting, Seen::Pool(pool("p-1", Some("uid-other"), "")));
        assert!(
            matches!(plan, Plan::Stall(Stall::OwnedByOther { .. })),
            "{plan:?}"
        );
    }

    #[test]
    fn a_new_generation_is_sent_in_every_phase_but_deleting() {
        let c = Case {
            status: NodePoolStatus {
                applied_generation: Some(0),
                ..recorded("p-1")
            },
            ..Case::default()
        };
        for phase in ["", "Synchronizing", "Synchronized", "SoldOut", "Error"] {
            let (_, plan) = run(&c, Seen::Pool(pool("p-1", Some(UID), phase)));
            assert!(
                matches!(&plan, Plan::Update { drift, .. } if drift.is_empty()),
                "{phase}: {plan:?}"
            );
        }
        let (_, plan) = run(&c, Seen::Pool(pool("p-1", Some(UID), "Deleting")));
        assert!(matches!(plan, Plan::Observe { .. }), "{plan:?}");
    }

    #[test]
    fn a_steady_pool_in_line_with_the_spec_is_observed() {
        let c = Case {
            status: recorded("p-1"),
            ..Case::default()
        };
        let (_, plan) = run(&c, Seen::Pool(pool("p-1", Some(UID), "")));
        assert!(
            matches!(&plan, Plan::Observe { drift, .. } if drift.is_empty()),
            "{plan:?}"
        );
    }

    #[test]
    fn drift_is_corrected_by_default_and_reported_on_request() {
        let c = Case {
            status: recorded("p-1"),
            desired_count: 3,
            ..Case::default()
        };
        let (_, plan) = run(&c, Seen::Pool(pool("p-1", Some(UID), "")));
        assert!(
            matches!(&plan, Plan::Update { drift, .. } if drift == &[ManagedField::NodeCount]),
            "{plan:?}"
        );
        let report = Case {
            report_drift: true,
            ..c
        };
        let (_, plan) = run(&report, Seen::Pool(pool("p-1", Some(UID), "")));
        assert!(
            matches!(&plan, Plan::Observe { drift, .. } if drift == &[ManagedField::NodeCount]),
            "{plan:?}"
        );
    }

    #[test]
    fn a_recorded_pool_without_a_mark_gets_one() {
        let c = Case {
            status: recorded("p-1"),
            ..Case::default()
        };
        let (_, plan) = run(&c, Seen::Pool(pool("p-1", None, "")));
        assert!(
            matches!(&plan, Plan::Update { drift, .. } if drift == &[ManagedField::OwnerMark]),
            "{plan:?}"
        );
    }

    #[test]
    fn no_drift_while_the_pool_is_moving() {
        let c = Case {
            status: recorded("p-1"),
            desired_count: 5,
            ..Case::default()
        };
        let (_, plan) = run(&c, Seen::Pool(pool("p-1", Some(UID), "Synchronizing")));
        assert!(
            matches!(&plan, Plan::Observe { drift, .. } if drift.is_empty()),
            "{plan:?}"
        );
    }

    #[test]
    fn a_pool_deleted_outside_is_recreated_or_reported() {
        let c = Case {
            status: recorded("p-1"),
            ..Case::default()
        };
        let (_, plan) = run(&c, Seen::Gone);
        assert!(matches!(plan, Plan::Create { again: true }), "{plan:?}");
        let report = Case {
            report_missing: true,
            ..c
        };
        let (_, plan) = run(&report, Seen::Gone);
        assert!(
            matches!(&plan, Plan::Stall(Stall::CloudPoolDeleted { id }) if id == "p-1"),
            "{plan:?}"
        );
    }

    #[test]
    fn read_only_mirrors_and_never_changes_or_deletes() {
        let c = Case {
            read_only: true,
            adopt: Some("p-7"),
            ..Case::default()
        };
        let (look, plan) = run(
            &c,
            Seen::AdoptTarget {
                pool: pool("p-7", Some("uid-other"), ""),
                recorded_by: None,
                marked_for: Some("other/np".into()),
            },
        );
        assert_eq!(look, Look::Adopt("p-7".into()));
        assert!(matches!(plan, Plan::Adopt { .. }), "{plan:?}");
        let mirrored = Case {
            read_only: true,
            status: NodePoolStatus {
                applied_generation: None,
                ..recorded("p-7")
            },
            desired_count: 9,
            ..Case::default()
        };
        let (_, plan) = run(&mirrored, Seen::Pool(pool("p-7", Some("uid-other"), "")));
        assert!(
            matches!(&plan, Plan::Observe { drift, .. } if drift.is_empty()),
            "{plan:?}"
        );
        let (_, plan) = run(&mirrored, Seen::Gone);
        assert!(
            matches!(plan, Plan::Stall(Stall::CloudPoolDeleted { .. })),
            "{plan:?}"
        );
        let deleting = Case {
            deleting: true,
            ..mirrored
        };
        let (look, plan) = run(&deleting, Seen::Nothing);
        assert_eq!(look, Look::Nothing);
        assert!(matches!(plan, Plan::Release(Release::ReadOnly)), "{plan:?}");
        let without = Case {
            read_only: true,
            ..Case::default()
        };
        let (look, plan) = run(&without, Seen::Nothing);
        assert_eq!(look, Look::Nothing);
        assert!(
            matches!(plan, Plan::Stall(Stall::ReadOnlyWithoutId)),
            "{plan:?}"
        );
    }

    #[test]
    fn paused_makes_no_cloud_call_even_when_deleting() {
        let c = Case {
            paused: true,
            status: recorded("p-1"),
            ..Case::default()
        };
        let (look, plan) = run(&c, Seen::Nothing);
        assert_eq!(look, Look::Nothing);
        assert!(matches!(plan, Plan::Paused), "{plan:?}");
        let deleting = Case {
            deleting: true,
            ..c
        };
        let (look, plan) = run(&deleting, Seen::Nothing);
        assert_eq!(look, Look::Nothing);
        assert!(
            matches!(plan, Plan::Stall(Stall::PausedDeletion)),
            "{plan:?}"
        );
        let orphan = Case {
            orphan: true,
            ..deleting
        };
        let (look, plan) = run(&orphan, Seen::Nothing);
        assert_eq!(look, Look::Nothing);
        assert!(matches!(plan, Plan::Release(Release::Orphaned)), "{plan:?}");
    }

    #[test]
    fn delete_sends_once_then_waits_and_stalls_when_overdue() {
        let c = Case {
            deleting: true,
            status: recorded("p-1"),
            ..Case::default()
        };
        let (_, plan) = run(&c, Seen::Pool(pool("p-1", Some(UID), "")));
        assert!(matches!(plan, Plan::Delete { .. }), "{plan:?}");
        let waiting = Case {
            status: NodePoolStatus {
                delete_requested_at: Some("2026-12-01T11:55:00Z".into()),
                ..recorded("p-1")
            },
            ..c
        };
        let (_, plan) = run(&waiting, Seen::Pool(pool("p-1", Some(UID), "Deleting")));
        assert!(
            matches!(plan, Plan::Deleting { overdue: false, .. }),
            "{plan:?}"
        );
        let late = Case {
            status: NodePoolStatus {
                delete_requested_at: Some("2026-12-01T11:00:00Z".into()),
                ..recorded("p-1")
            },
            ..waiting
        };
        let (_, plan) = run(&late, Seen::Pool(pool("p-1", Some(UID), "Deleting")));
        assert!(
            matches!(plan, Plan::Deleting { overdue: true, .. }),
            "{plan:?}"
        );
        let (_, plan) = run(&late, Seen::Gone);
        assert!(matches!(plan, Plan::Release(Release::Deleted)), "{plan:?}");
    }

    #[test]
    fn an_autoscaled_ack_pool_with_nodes_stalls_its_delete_unless_forced() {
        let mut c = Case {
            deleting: true,
            alibaba: true,
            status: recorded("np-1"),
            ..Case::default()
        };
        let mut autoscaled = pool("np-1", Some(UID), "active");
        autoscaled.nodes.current = Some(2);
        autoscaled.spec = serde_json::json!({"auto_scaling": {"enable": true, "min_instances": 1}});
        let (_, plan) = run(&c, Seen::Pool(autoscaled.clone()));
        match plan {
            Plan::Stall(s) => {
                assert_eq!(s.reason(), "AutoscaledPoolNotEmpty");
                assert!(s.message().contains("forceDelete: true"), "{}", s.message());
            }
            other => panic!("{other:?}"),
        }
        let (_, plan) = run(
            &c,
            Seen::Candidates {
                mine: vec![autoscaled.clone()],
                same_name: vec![],
            },
        );
        assert!(
            matches!(plan, Plan::Stall(Stall::AutoscaledNotEmpty { .. })),
            "{plan:?}"
        );
        // Empty, or forced: deleted.
        let mut empty = autoscaled.clone();
        empty.nodes.current = Some(0);
        let (_, plan) = run(&c, Seen::Pool(empty));
        assert!(matches!(plan, Plan::Delete { .. }), "{plan:?}");
        c.force = true;
        let (_, plan) = run(&c, Seen::Pool(autoscaled));
        assert!(matches!(plan, Plan::Delete { .. }), "{plan:?}");
    }

    #[test]
    fn an_ack_pool_with_nodes_is_scaled_to_zero_before_its_delete_unless_forced() {
        let c = Case {
            deleting: true,
            alibaba: true,
            status: recorded("np-1"),
            ..Case::default()
        };
        let mut with_nodes = pool("np-1", Some(UID), "active");
        with_nodes.nodes.current = Some(2);
        with_nodes.nodes.desired = Some(2);
        let (_, plan) = run(&c, Seen::Pool(with_nodes.clone()));
        assert!(matches!(plan, Plan::Drain { .. }), "{plan:?}");
        let mut draining = with_nodes.clone();
        draining.nodes.desired = Some(0);
        let (_, plan) = run(&c, Seen::Pool(draining.clone()));
        assert!(matches!(plan, Plan::Deleting { .. }), "{plan:?}");
        draining.nodes.current = Some(0);
        let (_, plan) = run(&c, Seen::Pool(draining));
        assert!(matches!(plan, Plan::Delete { .. }), "{plan:?}");
        let forced = Case { force: true, ..c };
        let (_, plan) = run(&forced, Seen::Pool(with_nodes));
        assert!(matches!(plan, Plan::Delete { .. }), "{plan:?}");
    }

    #[test]
    fn delete_without_an_id_deletes_only_a_marked_pool() {
        let c = Case {
            deleting: true,
            ..Case::default()
        };
        let (look, plan) = run(
            &c,
            candidates(vec![pool("p-3", Some(UID), "")], vec![pool("x", None, "")]),
        );
        assert_eq!(look, Look::Candidates);
        assert!(
            matches!(&plan, Plan::Delete { pool } if pool.id == "p-3"),
            "{plan:?}"
        );
        let (_, plan) = run(&c, candidates(vec![], vec![pool("x", None, "")]));
        assert!(
            matches!(plan, Plan::Release(Release::NeverCreated)),
            "{plan:?}"
        );
        let unanswered = Case {
            status: NodePoolStatus {
                create_requested_at: Some("2026-12-01T11:59:30Z".into()),
                ..NodePoolStatus::default()
            },
            ..c
        };
        let (_, plan) = run(&unanswered, candidates(vec![], vec![]));
        assert!(matches!(plan, Plan::WaitForCreate), "{plan:?}");
    }
}
