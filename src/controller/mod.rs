//! The reconcile loop that keeps cloud node pools in line with NodePool objects.

pub mod cache;
pub mod conditions;
pub mod credentials;
pub mod leader;
pub mod metered;
pub mod phase;
pub mod reads;
pub mod reconcile;
pub mod update;

pub use reconcile::{Config, run};
