//! The phase of an ACK pool, derived from its `status.state` and conditions.
//!
//! | what ACK reports | phase |
//! |---|---|
//! | a condition with status `True` whose reason names missing stock or quota (`OperationDenied.NoStock`, `…SoldOut…`, `QuotaExceed…`), state not `deleting`/`failed` | `SoldOut` |
//! | `status.state` `active` | `Synchronized` |
//! | `initial`, `scaling`, `removing`, `updating`, `upgrading`, `repairing` | `Synchronizing` |
//! | `deleting` | `Deleting` |
//! | `failed` | `Error` |
//! | a state this table does not know | `Synchronizing` (never `Synchronized` on a guess) |

use crate::cloud::CloudPool;
use crate::cloud::phase::Phase;

/// Whether an ACK condition reason says the cloud has no capacity for the pool's nodes.
fn ack_capacity_reason(reason: &str) -> bool {
    let r = reason.to_ascii_lowercase();
    r.contains("nostock") || r.contains("soldout") || r.contains("quota")
}

/// The phase of an ACK pool (the table in the module docs).
pub fn derive(pool: &CloudPool) -> Phase {
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
    use crate::cloud::phase::test_pool as pool;

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
            assert_eq!(derive(&pool(state, 0, 0, &[])), want, "{state}");
        }
    }

    #[test]
    fn ack_capacity_conditions_mean_sold_out() {
        let with = |state: &str, reason: &str, status: &str| {
            let mut p = pool(state, 0, 0, &[("ScalingFailed", status)]);
            p.conditions[0].reason = Some(reason.into());
            derive(&p)
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
}
