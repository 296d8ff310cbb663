//! One phase vocabulary for both clouds, derived from everything the cloud reports.
//!
//! | cloud | what the cloud reports | phase |
//! |---|---|---|
//! | any | no create answer yet | `Creating` (set by the controller, not derived here) |
//! | CCE | `status.phase` `Deleting` | `Deleting` |
//! | CCE | `status.phase` `Error` | `Error` |
//! | CCE | `status.phase` `SoldOut` | `SoldOut` |
//! | CCE | condition `Scalable=False`, `QuotaInsufficient=True` or `ResourceInsufficient=True` | `SoldOut` |
//! | CCE | `status.phase` `Synchronizing` or `Synchronized` (the SDK: both mean the pool has not reached its target yet) | `Synchronizing` |
//! | CCE | empty `status.phase`, nodes still being created or deleted | `Synchronizing` |
//! | CCE | empty `status.phase` (the seed: "an empty phase means normal"), nothing in flight | `Synchronized` |
//! | ACK | a condition with status `True` whose reason names missing stock or quota (`OperationDenied.NoStock`, `…SoldOut…`, `QuotaExceed…`), state not `deleting`/`failed` | `SoldOut` |
//! | ACK | `status.state` `active` | `Synchronized` |
//! | ACK | `initial`, `scaling`, `removing`, `updating`, `upgrading`, `repairing` | `Synchronizing` |
//! | ACK | `deleting` | `Deleting` |
//! | ACK | `failed` | `Error` |
//! | ACK | a state this table does not know | `Synchronizing` (never `Synchronized` on a guess) |
//!
//! CCE's own `Synchronized` is *not* our `Synchronized`: the current SDK documents it as "waiting
//! to reach the target", and deprecates `Synchronizing`/`Synchronized`/`SoldOut` in favour of the
//! node counts and the `Scalable` / `QuotaInsufficient` / `ResourceInsufficient` conditions, which
//! this mapping therefore reads as well.

use std::fmt;

use crate::cloud::{Cloud, CloudPool};

/// The phase of a NodePool, the same words for both clouds (`status.phase`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// The controller has asked for the pool and has no answer with its ID yet.
    Creating,
    /// The pool exists and is moving toward its target (nodes joining or leaving, an update).
    Synchronizing,
    /// The pool is in its normal steady state.
    Synchronized,
    /// The cloud cannot add nodes: sold out or out of quota.
    SoldOut,
    /// The pool is being deleted.
    Deleting,
    /// The cloud reports the pool as failed.
    Error,
}

impl Phase {
    /// Every phase, for metrics that report a count per phase.
    pub const ALL: [Phase; 6] = [
        Phase::Creating,
        Phase::Synchronizing,
        Phase::Synchronized,
        Phase::SoldOut,
        Phase::Deleting,
        Phase::Error,
    ];

    /// The word written to `status.phase`.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Creating => "Creating",
            Phase::Synchronizing => "Synchronizing",
            Phase::Synchronized => "Synchronized",
            Phase::SoldOut => "SoldOut",
            Phase::Deleting => "Deleting",
            Phase::Error => "Error",
        }
    }

    /// Whether the pool is changing on its own, so the controller should look again soon.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            Phase::Creating | Phase::Synchronizing | Phase::Deleting
        )
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Derives the phase of an existing cloud pool.
pub fn derive(cloud: Cloud, pool: &CloudPool) -> Phase {
    match cloud {
        Cloud::Huawei => derive_cce(pool),
        Cloud::Alibaba => derive_ack(pool),
    }
}

fn condition_is(pool: &CloudPool, kind: &str, status: &str) -> bool {
    pool.conditions
        .iter()
        .any(|c| c.condition_type == kind && c.status.eq_ignore_ascii_case(status))
}

fn derive_cce(pool: &CloudPool) -> Phase {
    match pool.cloud_phase.as_str() {
        "Deleting" => return Phase::Deleting,
        "Error" => return Phase::Error,
        "SoldOut" => return Phase::SoldOut,
        _ => {}
    }
    if condition_is(pool, "Scalable", "False")
        || condition_is(pool, "QuotaInsufficient", "True")
        || condition_is(pool, "ResourceInsufficient", "True")
    {
        return Phase::SoldOut;
    }
    let in_flight = pool.nodes.creating.unwrap_or(0) > 0 || pool.nodes.deleting.unwrap_or(0) > 0;
    if pool.cloud_phase.is_empty() && !in_flight {
        Phase::Synchronized
    } else {
        Phase::Synchronizing
    }
}

/// Whether an ACK condition reason says the cloud has no capacity for the pool's nodes.
fn ack_capacity_reason(reason: &str) -> bool {
    let r = reason.to_ascii_lowercase();
    r.contains("nostock") || r.contains("soldout") || r.contains("quota")
}

fn derive_ack(pool: &CloudPool) -> Phase {
    match pool.cloud_phase.as_str() {
        "deleting" => return Phase::Deleting,
        "failed" => return Phase::Error,
        _ => {}
    }
    // ACK stays `active` when a scale-out fails for want of stock or quota: the pool is settled
    // short of its target, which only its conditions (DescribeClusterNodePoolDetail) tell.
    if pool.conditions.iter().any(|c| {
        c.status.eq_ignore_ascii_case("True")
            && c.reason.as_deref().is_some_and(ack_capacity_reason)
    }) {
        return Phase::SoldOut;
    }
    match pool.cloud_phase.as_str() {
        "active" => Phase::Synchronized,
        _ => Phase::Synchronizing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::{NodeCounts, PoolCondition};

    fn pool(phase: &str, creating: i64, deleting: i64, conditions: &[(&str, &str)]) -> CloudPool {
        CloudPool {
            id: "id".into(),
            name: "web".into(),
            cloud_phase: phase.into(),
            nodes: NodeCounts {
                current: Some(2),
                desired: Some(2),
                creating: Some(creating),
                deleting: Some(deleting),
                ..NodeCounts::default()
            },
            conditions: conditions
                .iter()
                .map(|(t, s)| PoolCondition {
                    condition_type: (*t).into(),
                    status: (*s).into(),
                    ..PoolCondition::default()
                })
                .collect(),
            spec: serde_json::Value::Null,
            status: serde_json::Value::Null,
            ..CloudPool::default()
        }
    }

    /// Raw phase, creating nodes, deleting nodes, conditions, expected phase.
    type CceRow = (
        &'static str,
        i64,
        i64,
        &'static [(&'static str, &'static str)],
        Phase,
    );

    /// Every row of the table in the module docs.
    #[test]
    fn cce_rows() {
        let rows: &[CceRow] = &[
            ("Deleting", 0, 0, &[], Phase::Deleting),
            ("Error", 0, 0, &[], Phase::Error),
            ("SoldOut", 0, 0, &[], Phase::SoldOut),
            ("", 0, 0, &[("Scalable", "False")], Phase::SoldOut),
            ("", 0, 0, &[("QuotaInsufficient", "True")], Phase::SoldOut),
            (
                "",
                0,
                0,
                &[("ResourceInsufficient", "True")],
                Phase::SoldOut,
            ),
            (
                "Synchronizing",
                1,
                0,
                &[("Scalable", "True")],
                Phase::Synchronizing,
            ),
            ("Synchronized", 0, 0, &[], Phase::Synchronizing),
            ("", 1, 0, &[], Phase::Synchronizing),
            ("", 0, 1, &[], Phase::Synchronizing),
            (
                "",
                0,
                0,
                &[("Scalable", "True"), ("QuotaInsufficient", "False")],
                Phase::Synchronized,
            ),
            ("", 0, 0, &[], Phase::Synchronized),
            // Deleting wins over a sold-out condition: the pool is going away.
            ("Deleting", 0, 0, &[("Scalable", "False")], Phase::Deleting),
        ];
        for (raw, creating, deleting, conditions, want) in rows {
            let p = pool(raw, *creating, *deleting, conditions);
            assert_eq!(derive(Cloud::Huawei, &p), *want, "{raw:?} {conditions:?}");
        }
    }

    #[test]
    fn ack_rows() {
        let rows = [
            ("active", Phase::Synchronized),
            ("initial", Phase::Synchronizing),
            ("scaling", Phase::Synchronizing),
            ("removing", Phase::Synchronizing),
            ("updating", Phase::Synchronizing),
            ("upgrading", Phase::Synchronizing),
            ("repairing", Phase::Synchronizing),
            ("deleting", Phase::Deleting),
            ("failed", Phase::Error),
            ("something-new", Phase::Synchronizing),
            ("", Phase::Synchronizing),
        ];
        for (state, want) in rows {
            assert_eq!(
                derive(Cloud::Alibaba, &pool(state, 0, 0, &[])),
                want,
                "{state}"
            );
        }
    }

    #[test]
    fn ack_capacity_conditions_mean_sold_out() {
        let with = |state: &str, reason: &str, status: &str| {
            let mut p = pool(state, 0, 0, &[("ScalingFailed", status)]);
            p.conditions[0].reason = Some(reason.into());
            derive(Cloud::Alibaba, &p)
        };
        let rows = [
            ("active", "OperationDenied.NoStock", "True", Phase::SoldOut),
            ("active", "QuotaExceed.ElasticQuota", "True", Phase::SoldOut),
            ("scaling", "OperationDenied.NoStock", "True", Phase::SoldOut),
            (
                "active",
                "OperationDenied.NoStock",
                "False",
                Phase::Synchronized,
            ),
            (
                "active",
                "InvalidResourceType.NotSupported",
                "True",
                Phase::Synchronized,
            ),
            (
                "deleting",
                "OperationDenied.NoStock",
                "True",
                Phase::Deleting,
            ),
            ("failed", "OperationDenied.NoStock", "True", Phase::Error),
        ];
        for (state, reason, status, want) in rows {
            assert_eq!(
                with(state, reason, status),
                want,
                "{state} {reason} {status}"
            );
        }
    }

    #[test]
    fn transient_phases_are_polled_fast() {
        let transient: Vec<Phase> = Phase::ALL
            .into_iter()
            .filter(|p| p.is_transient())
            .collect();
        assert_eq!(
            transient,
            vec![Phase::Creating, Phase::Synchronizing, Phase::Deleting]
        );
    }
}
