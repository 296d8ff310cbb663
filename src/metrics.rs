//! Prometheus metrics of the controller. Labels are bounded: cloud, operation, outcome, reason,
//! phase — never object names.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of a reconcile outcome.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReconcileLabels {
    /// `ok` or `error`.
    pub outcome: &'static str,
    /// The error reason (PascalCase), empty on success.
    pub reason: &'static str,
}

/// Labels of a cloud call.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CloudLabels {
    /// `huawei` or `alibaba`.
    pub cloud: &'static str,
    /// `create`, `get`, `list`, `update`, `delete`, `scale`.
    pub operation: &'static str,
    /// `ok` or the error reason.
    pub outcome: &'static str,
}

/// Labels of the per-phase gauge.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PhaseLabels {
    /// The NodePool phase.
    pub phase: &'static str,
}

/// Labels of the drift counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DriftLabels {
    /// `huawei` or `alibaba`.
    pub cloud: &'static str,
    /// The managed field: `labels`, `taints`, `tags`, `nodeCount`, `ownerMark`.
    pub field: &'static str,
}

/// Labels of the credential fetch counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CredentialLabels {
    /// `huawei` or `alibaba`.
    pub cloud: &'static str,
    /// The source: `oidc`, `assume_role`, `metadata`.
    pub source: &'static str,
    /// `ok` or the error reason.
    pub outcome: &'static str,
}

/// Every metric the controller exports.
pub struct Metrics {
    /// `nodepool_reconcile_total`.
    pub reconciles: Family<ReconcileLabels, Counter>,
    /// `nodepool_reconcile_duration_seconds`.
    pub reconcile_duration: Histogram,
    /// `nodepool_cloud_requests_total`.
    pub cloud_requests: Family<CloudLabels, Counter>,
    /// `nodepool_cloud_request_duration_seconds`.
    pub cloud_duration: Histogram,
    /// `nodepool_nodepools` by phase.
    pub phases: Family<PhaseLabels, Gauge>,
    /// `nodepool_drift_total`.
    pub drift: Family<DriftLabels, Counter>,
    /// `nodepool_credential_fetches_total`.
    pub credential_fetches: Family<CredentialLabels, Counter>,
    /// `nodepool_leader`: 1 while this replica may act (it holds the Lease, or runs without
    /// leader election), else 0.
    pub leader: Gauge,
    registry: Registry,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric in a fresh registry.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("nodepool");
        let reconciles = Family::<ReconcileLabels, Counter>::default();
        registry.register(
            "reconcile",
            "Reconciles of NodePools by outcome and error reason",
            reconciles.clone(),
        );
        let reconcile_duration = Histogram::new(exponential_buckets(0.005, 2.0, 14));
        registry.register(
            "reconcile_duration_seconds",
            "Duration of one reconcile",
            reconcile_duration.clone(),
        );
        let cloud_requests = Family::<CloudLabels, Counter>::default();
        registry.register(
            "cloud_requests",
            "Cloud API calls by cloud, operation and outcome",
            cloud_requests.clone(),
        );
        let cloud_duration = Histogram::new(exponential_buckets(0.005, 2.0, 14));
        registry.register(
            "cloud_request_duration_seconds",
            "Duration of one cloud API call (with its retries)",
            cloud_duration.clone(),
        );
        let phases = Family::<PhaseLabels, Gauge>::default();
        registry.register(
            "nodepools",
            "NodePools known to this replica, by phase",
            phases.clone(),
        );
        let drift = Family::<DriftLabels, Counter>::default();
        registry.register(
            "drift",
            "Managed fields found changed at the cloud behind the controller, by cloud and field",
            drift.clone(),
        );
        let credential_fetches = Family::<CredentialLabels, Counter>::default();
        registry.register(
            "credential_fetches",
            "Temporary credentials fetched from the clouds' identity services, by cloud, source and outcome",
            credential_fetches.clone(),
        );
        let leader = Gauge::default();
        registry.register(
            "leader",
            "1 while this replica holds the leader Lease (or runs without leader election), else 0",
            leader.clone(),
        );
        Metrics {
            leader,
            credential_fetches,
            drift,
            reconciles,
            reconcile_duration,
            cloud_requests,
            cloud_duration,
            phases,
            registry,
        }
    }

    /// Counts one managed field found changed at the cloud.
    pub fn drift(&self, cloud: crate::cloud::Cloud, field: crate::cloud::ManagedField) {
        self.drift
            .get_or_create(&DriftLabels {
                cloud: cloud.label(),
                field: field.label(),
            })
            .inc();
    }

    /// Counts one fetch of temporary credentials.
    pub fn credential_fetch(
        &self,
        cloud: &'static str,
        source: &'static str,
        outcome: &'static str,
    ) {
        self.credential_fetches
            .get_or_create(&CredentialLabels {
                cloud,
                source,
                outcome,
            })
            .inc();
    }

    /// Records one reconcile.
    pub fn reconciled(&self, reason: Option<&'static str>, took: Duration) {
        self.reconciles
            .get_or_create(&ReconcileLabels {
                outcome: if reason.is_some() { "error" } else { "ok" },
                reason: reason.unwrap_or(""),
            })
            .inc();
        self.reconcile_duration.observe(took.as_secs_f64());
    }

    /// Records one cloud call.
    pub fn cloud_call(
        &self,
        cloud: &'static str,
        operation: &'static str,
        outcome: &'static str,
        took: Duration,
    ) {
        self.cloud_requests
            .get_or_create(&CloudLabels {
                cloud,
                operation,
                outcome,
            })
            .inc();
        self.cloud_duration.observe(took.as_secs_f64());
    }

    /// Moves one NodePool between phases (`None` = not counted).
    pub fn phase_changed(&self, from: Option<&'static str>, to: Option<&'static str>) {
        if from == to {
            return;
        }
        if let Some(p) = from {
            self.phases.get_or_create(&PhaseLabels { phase: p }).dec();
        }
        if let Some(p) = to {
            self.phases.get_or_create(&PhaseLabels { phase: p }).inc();
        }
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_has_bounded_labels() {
        let m = Metrics::new();
        m.reconciled(None, Duration::from_millis(3));
        m.reconciled(Some("CloudThrottled"), Duration::from_millis(3));
        m.cloud_call("huawei", "create", "ok", Duration::from_millis(20));
        m.phase_changed(None, Some("Creating"));
        m.phase_changed(Some("Creating"), Some("Synchronized"));
        let text = m.encode();
        assert!(
            text.contains(r#"nodepool_reconcile_total{outcome="ok",reason=""} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"nodepool_reconcile_total{outcome="error",reason="CloudThrottled"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(
                r#"nodepool_cloud_requests_total{cloud="huawei",operation="create",outcome="ok"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"nodepool_nodepools{phase="Synchronized"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"nodepool_nodepools{phase="Creating"} 0"#),
            "{text}"
        );
        assert!(
            text.contains("nodepool_reconcile_duration_seconds_count 2"),
            "{text}"
        );
    }
}
