//! One phase vocabulary for both clouds: [`Phase`], what `status.phase` says.
//!
//! Each cloud derives it from everything it reports, in its own folder
//! ([`crate::cloud::huawei::phase`], [`crate::cloud::alibaba::phase`]);
//! `crate::controller::phase::derive` picks the cloud. `Creating` is never derived: the controller
//! sets it while it has no create answer with the pool's ID yet.

use std::fmt;

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

/// A pool as the clouds report it, for the per-cloud phase tables: raw phase or state, nodes
/// being created and deleted, and conditions (type, status).
#[cfg(test)]
pub(crate) fn test_pool(
    phase: &str,
    creating: i64,
    deleting: i64,
    conditions: &[(&str, &str)],
) -> crate::cloud::CloudPool {
    use crate::cloud::{CloudPool, NodeCounts, PoolCondition};
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

#[cfg(test)]
mod tests {
    use super::*;

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
