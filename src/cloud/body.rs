//! The request bodies the controller sends, built from a NodePool's spec (pure). Each cloud
//! builds its own in its folder ([`crate::cloud::huawei::body`], [`crate::cloud::alibaba::body`]):
//!
//! * create: the cloud's own create body, with the owner mark that lets the controller find its
//!   pool again after a crash;
//! * update: only what the cloud can change in place, with the owner mark, and empty lists and
//!   maps for node labels, taints and tags the spec no longer has. Node counts go through
//!   [`PoolUpdate::node_count`], never the body, and are left alone when autoscaling owns them.

use serde_json::Value;

use crate::cloud::{Managed, Owner, PoolUpdate, alibaba, huawei};
use crate::crd::CloudSpec;

/// The create body of a NodePool's pool, with the owner mark.
pub fn create(spec: CloudSpec<'_>, owner: Owner<'_>) -> Value {
    match spec {
        CloudSpec::Huawei(h) => huawei::body::create(h, owner),
        CloudSpec::Alibaba(a) => alibaba::body::create(a, owner),
    }
}

/// The update of a NodePool's pool: everything the cloud can change in place, the owner mark,
/// and empty lists and maps for node labels, taints and tags the spec no longer has (so that
/// removing them from the spec removes them at the cloud).
pub fn update(spec: CloudSpec<'_>, owner: Owner<'_>) -> PoolUpdate {
    match spec {
        CloudSpec::Huawei(h) => huawei::body::update(h, owner),
        CloudSpec::Alibaba(a) => alibaba::body::update(a, owner),
    }
}

/// The managed fields as the spec wants them (the node count only where no autoscaler owns it).
pub fn desired(spec: CloudSpec<'_>, owner: Owner<'_>) -> Managed {
    match spec {
        CloudSpec::Huawei(h) => huawei::body::desired(h, owner),
        CloudSpec::Alibaba(a) => alibaba::body::desired(a, owner),
    }
}
