//! The phase of a CCE pool, derived from everything CCE reports.
//!
//! | what CCE reports | phase |
//! |---|---|
//! | `status.phase` `Deleting` | `Deleting` |
//! | `status.phase` `Error` | `Error` |
//! | `status.phase` `SoldOut` | `SoldOut` |
//! | condition `Scalable=False`, `QuotaInsufficient=True` or `ResourceInsufficient=True` | `SoldOut` |
//! | `status.phase` `Synchronizing` or `Synchronized` (the SDK: both mean the pool has not reached its target yet) | `Synchronizing` |
//! | empty `status.phase`, nodes still being created or deleted | `Synchronizing` |
//! | empty `status.phase` (the seed: "an empty phase means normal"), nothing in flight | `Synchronized` |
//!
//! CCE's own `Synchronized` is *not* our `Synchronized`: the current SDK documents it as "waiting
//! to reach the target", and deprecates `Synchronizing`/`Synchronized`/`SoldOut` in favour of the
//! node counts and the `Scalable` / `QuotaInsufficient` / `ResourceInsufficient` conditions, which
//! this mapping therefore reads as well.

use crate::cloud::CloudPool;
use crate::cloud::phase::Phase;

fn condition_is(pool: &CloudPool, kind: &str, status: &str) -> bool {
    pool.conditions
        .iter()
        .any(|c| c.condition_type == kind && c.status.eq_ignore_ascii_case(status))
}

/// The phase of a CCE pool (the table in the module docs).
pub fn derive(pool: &CloudPool) -> Phase {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::phase::test_pool as pool;

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
            assert_eq!(derive(&p), *want, "{raw:?} {conditions:?}");
        }
    }
}
