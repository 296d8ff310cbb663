//! The phase of a NodePool's existing cloud pool: each cloud derives it in its own folder
//! ([`crate::cloud::huawei::phase`], [`crate::cloud::alibaba::phase`]); this picks the cloud.

use crate::cloud::phase::Phase;
use crate::cloud::{Cloud, CloudPool, alibaba, huawei};

/// Derives the phase of an existing cloud pool.
pub fn derive(cloud: Cloud, pool: &CloudPool) -> Phase {
    match cloud {
        Cloud::Huawei => huawei::phase::derive(pool),
        Cloud::Alibaba => alibaba::phase::derive(pool),
    }
}
