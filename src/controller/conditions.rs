//! The standard conditions a NodePool carries, following the kstatus conventions that Flux, kpt
//! and Argo CD read:
//!
//! * `Ready`: `True` only when the cloud pool is in its normal steady state and matches the
//!   current generation of the spec.
//! * `Synced`: whether the last reconcile reached the cloud without an error.
//! * `Reconciling`: `True` while the controller or the cloud is still making progress.
//! * `Stalled`: `True` when progress needs the user (an invalid spec, refused credentials, a
//!   failed or sold-out pool): the message says what to do.
//!
//! `lastTransitionTime` changes only when a condition's status changes.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;

use crate::cloud::phase::Phase;

/// Condition type `Ready`.
pub const READY: &str = "Ready";
/// Condition type `Synced`.
pub const SYNCED: &str = "Synced";
/// Condition type `Reconciling`.
pub const RECONCILING: &str = "Reconciling";
/// Condition type `Stalled`.
pub const STALLED: &str = "Stalled";

/// Condition type `Drifted`: `True` while fields the controller manages differ at the cloud
/// from the spec (changed behind the controller's back); the message names them.
pub const DRIFTED: &str = "Drifted";

/// The condition types this controller owns; other writers may add their own to the list.
pub const OWN: [&str; 5] = [READY, SYNCED, RECONCILING, STALLED, DRIFTED];

/// The `Drifted` condition: the fields that differ, and whether they are being set back.
pub fn drifted(fields: &[&str], correcting: bool, generation: i64) -> Condition {
    if fields.is_empty() {
        return condition(
            DRIFTED,
            false,
            "InSync",
            "the managed fields at the cloud match the spec".into(),
            generation,
        );
    }
    let what = if correcting {
        "setting them back to the spec"
    } else {
        "left as they are (spec.driftPolicy: Report)"
    };
    condition(
        DRIFTED,
        true,
        if correcting {
            "DriftCorrected"
        } else {
            "DriftReported"
        },
        format!("changed at the cloud: {}; {what}", fields.join(", ")),
        generation,
    )
}

/// A failure of the last reconcile, as the conditions report it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Bounded PascalCase reason (`CloudThrottled`, `CredentialsMissing`, ...).
    pub reason: &'static str,
    /// What happened and what the user should do; never contains a secret.
    pub message: String,
    /// Whether retrying can succeed without a change by the user.
    pub retryable: bool,
}

/// What the conditions are computed from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// `metadata.generation` of the NodePool.
    pub generation: i64,
    /// The phase, if known.
    pub phase: Option<Phase>,
    /// Whether the cloud pool matches the current spec (no update pending).
    pub in_sync: bool,
    /// The failure of this reconcile, if any.
    pub failure: Option<Failure>,
}

fn condition(
    type_: &str,
    status: bool,
    reason: &str,
    message: String,
    generation: i64,
) -> Condition {
    Condition {
        type_: type_.to_string(),
        status: if status { "True" } else { "False" }.to_string(),
        reason: reason.to_string(),
        message,
        observed_generation: Some(generation),
        // Filled in by `merge`.
        last_transition_time: Time(Timestamp::UNIX_EPOCH),
    }
}

fn phase_message(phase: Phase) -> &'static str {
    match phase {
        Phase::Creating => "the node pool is being created at the cloud",
        Phase::Synchronizing => "the cloud is bringing the node pool to its target",
        Phase::Synchronized => "the node pool is in its normal steady state",
        Phase::SoldOut => {
            "the cloud cannot add nodes (sold out or out of quota): repair it from the spec: lower the node count, change spec.alibaba.scalingGroup.instanceTypes or vswitchIds (ACK), add an extension scale group with another flavor or zone (CCE), or raise the quota"
        }
        Phase::Deleting => "the node pool is being deleted at the cloud",
        Phase::Error => {
            "the cloud reports the node pool as failed: see the cloud console for the pool's events, then fix the spec or delete the NodePool"
        }
    }
}

/// The four conditions for an outcome, before merging with the previous ones.
pub fn compute(outcome: &Outcome) -> Vec<Condition> {
    let g = outcome.generation;
    let ready =
        outcome.failure.is_none() && outcome.in_sync && outcome.phase == Some(Phase::Synchronized);
    let terminal_failure = outcome.failure.as_ref().filter(|f| !f.retryable);
    let stalled_phase = matches!(outcome.phase, Some(Phase::Error | Phase::SoldOut));
    let stalled = terminal_failure.is_some() || stalled_phase;

    let (ready_reason, ready_message) = if ready {
        ("Available", phase_message(Phase::Synchronized).to_string())
    } else if let Some(f) = &outcome.failure {
        (f.reason, f.message.clone())
    } else if let Some(p) = outcome.phase {
        if p == Phase::Synchronized && !outcome.in_sync {
            (
                "UpdatePending",
                "the spec changed; the cloud pool is being updated".to_string(),
            )
        } else {
            (p.as_str(), phase_message(p).to_string())
        }
    } else {
        (
            "Pending",
            "the controller has not observed the cloud pool yet".to_string(),
        )
    };

    let synced = match &outcome.failure {
        None => condition(
            SYNCED,
            true,
            "ReconcileSuccess",
            "the last reconcile reached the cloud without error".into(),
            g,
        ),
        Some(f) => condition(SYNCED, false, f.reason, f.message.clone(), g),
    };
    let stalled_cond = if let Some(f) = terminal_failure {
        condition(STALLED, true, f.reason, f.message.clone(), g)
    } else if stalled_phase {
        let p = outcome.phase.expect("stalled_phase implies a phase");
        condition(STALLED, true, p.as_str(), phase_message(p).to_string(), g)
    } else {
        condition(
            STALLED,
            false,
            "Progressing",
            "nothing blocks progress".into(),
            g,
        )
    };
    let reconciling = if ready || stalled {
        condition(
            RECONCILING,
            false,
            if ready { "Available" } else { "Stalled" },
            ready_message.clone(),
            g,
        )
    } else {
        condition(RECONCILING, true, ready_reason, ready_message.clone(), g)
    };
    vec![
        condition(READY, ready, ready_reason, ready_message, g),
        synced,
        reconciling,
        stalled_cond,
    ]
}

/// `message` without the clouds' `(request ID …)` parts, which differ on every call.
fn without_request_ids(message: &str) -> String {
    const MARK: &str = " (request ID ";
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find(MARK) {
        out.push_str(&rest[..start]);
        rest = &rest[start + MARK.len()..];
        rest = rest.find(')').map_or("", |end| &rest[end + 1..]);
    }
    out.push_str(rest);
    out
}

/// Merges freshly computed conditions into the previous ones: a condition keeps its
/// `lastTransitionTime` while its status is unchanged, and gets `now` when it changes or is new.
///
/// A repeated failure that differs only in the cloud's request ID keeps the previous message:
/// otherwise every failed attempt would change the status, and the status write would trigger
/// the next reconcile at once, bypassing the backoff (a hot loop against a throttling cloud or
/// refused credentials).
pub fn merge(previous: &[Condition], fresh: Vec<Condition>, now: Timestamp) -> Vec<Condition> {
    fresh
        .into_iter()
        .map(|mut c| {
            let prev = previous.iter().find(|p| p.type_ == c.type_);
            c.last_transition_time = match prev {
                Some(p) if p.status == c.status => p.last_transition_time.clone(),
                _ => Time(now),
            };
            if let Some(p) = prev
                && p.status == c.status
                && p.reason == c.reason
                && p.observed_generation == c.observed_generation
                && p.message != c.message
                && without_request_ids(&p.message) == without_request_ids(&c.message)
            {
                c.message = p.message.clone();
            }
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(conds: &'a [Condition], t: &str) -> &'a Condition {
        conds
            .iter()
            .find(|c| c.type_ == t)
            .expect("condition present")
    }

    fn outcome(phase: Option<Phase>, in_sync: bool, failure: Option<Failure>) -> Outcome {
        Outcome {
            generation: 3,
            phase,
            in_sync,
            failure,
        }
    }

    fn fail(reason: &'static str, retryable: bool) -> Option<Failure> {
        Some(Failure {
            reason,
            message: format!("{reason} happened"),
            retryable,
        })
    }

    /// (phase, in sync, failure) -> Ready, Synced, Reconciling, Stalled, Ready's reason.
    type Row = (
        Option<Phase>,
        bool,
        Option<Failure>,
        [&'static str; 4],
        &'static str,
    );

    #[test]
    fn table() {
        let rows: Vec<Row> = vec![
            (
                Some(Phase::Synchronized),
                true,
                None,
                ["True", "True", "False", "False"],
                "Available",
            ),
            (
                Some(Phase::Synchronized),
                false,
                None,
                ["False", "True", "True", "False"],
                "UpdatePending",
            ),
            (
                Some(Phase::Creating),
                true,
                None,
                ["False", "True", "True", "False"],
                "Creating",
            ),
            (
                Some(Phase::Synchronizing),
                true,
                None,
                ["False", "True", "True", "False"],
                "Synchronizing",
            ),
            (
                Some(Phase::Deleting),
                true,
                None,
                ["False", "True", "True", "False"],
                "Deleting",
            ),
            (
                Some(Phase::SoldOut),
                true,
                None,
                ["False", "True", "False", "True"],
                "SoldOut",
            ),
            (
                Some(Phase::Error),
                true,
                None,
                ["False", "True", "False", "True"],
                "Error",
            ),
            (
                Some(Phase::Synchronized),
                true,
                fail("CloudThrottled", true),
                ["False", "False", "True", "False"],
                "CloudThrottled",
            ),
            (
                Some(Phase::Synchronized),
                true,
                fail("CloudAuthFailed", false),
                ["False", "False", "False", "True"],
                "CloudAuthFailed",
            ),
            (
                None,
                false,
                fail("CredentialsMissing", false),
                ["False", "False", "False", "True"],
                "CredentialsMissing",
            ),
            (
                None,
                false,
                None,
                ["False", "True", "True", "False"],
                "Pending",
            ),
        ];
        for (phase, in_sync, failure, want, reason) in rows {
            let conds = compute(&outcome(phase, in_sync, failure.clone()));
            let got: Vec<&str> = [READY, SYNCED, RECONCILING, STALLED]
                .iter()
                .map(|t| get(&conds, t).status.as_str())
                .collect();
            assert_eq!(got, want, "{phase:?} {in_sync} {failure:?}");
            assert_eq!(get(&conds, READY).reason, reason, "{phase:?} {failure:?}");
            assert!(conds.iter().all(|c| c.observed_generation == Some(3)));
            assert!(conds.iter().all(|c| !c.message.is_empty()));
        }
    }

    #[test]
    fn a_new_request_id_alone_does_not_change_the_message() {
        let t0: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let msg = |id: &str, what: &str| Failure {
            reason: "CloudThrottled",
            message: format!(
                "listing node pools: CCE answered HTTP 429 APIG.0308: {what} (request ID {id})"
            ),
            retryable: true,
        };
        let first = merge(
            &[],
            compute(&outcome(None, false, Some(msg("aaa", "slow down")))),
            t0,
        );
        let again = merge(
            &first,
            compute(&outcome(None, false, Some(msg("bbb", "slow down")))),
            t0,
        );
        assert_eq!(first, again, "only the request ID differs: nothing changes");
        let other = merge(
            &again,
            compute(&outcome(None, false, Some(msg("ccc", "limit 5")))),
            t0,
        );
        assert!(
            get(&other, SYNCED)
                .message
                .contains("limit 5 (request ID ccc)")
        );
        assert_eq!(
            without_request_ids("a (request ID x) b (request ID y)"),
            "a b"
        );
    }

    #[test]
    fn transition_time_changes_only_with_status() {
        let t0: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let t1: Timestamp = "2026-01-01T00:05:00Z".parse().unwrap();
        let first = merge(
            &[],
            compute(&outcome(Some(Phase::Synchronizing), true, None)),
            t0,
        );
        assert!(first.iter().all(|c| c.last_transition_time.0 == t0));
        // Same statuses, different reason text: times stay.
        let again = merge(
            &first,
            compute(&outcome(Some(Phase::Creating), true, None)),
            t1,
        );
        assert!(again.iter().all(|c| c.last_transition_time.0 == t0));
        // Ready and Reconciling flip: only they move.
        let ready = merge(
            &again,
            compute(&outcome(Some(Phase::Synchronized), true, None)),
            t1,
        );
        assert_eq!(get(&ready, READY).last_transition_time.0, t1);
        assert_eq!(get(&ready, RECONCILING).last_transition_time.0, t1);
        assert_eq!(get(&ready, SYNCED).last_transition_time.0, t0);
        assert_eq!(get(&ready, STALLED).last_transition_time.0, t0);
    }
}
