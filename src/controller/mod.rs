//! The reconcile loop that keeps cloud node pools in line with NodePool objects.
//!
//! * [`plan`]: the decision, pure and table-tested ([`plan::look`] → cloud read → [`plan::plan`]);
//! * [`reconcile`]: carries a plan out; [`observe`]: the cloud reads a plan needs;
//! * [`context`]: shared state (configuration, cloud clients, own writes, fencing);
//! * [`error`]: errors and the error policy; [`status`]: status, finalizer and conditions;
//! * [`run`]: the watches, leader election and the reconcile stream.

pub mod accounts;
pub mod cache;
pub mod conditions;
pub mod context;
pub mod error;
pub mod leader;
pub mod metered;
pub mod observe;
pub mod phase;
pub mod plan;
pub mod reads;
pub mod reconcile;
pub mod run;
pub mod secrets;
pub mod status;

pub use context::{Config, Context};
pub use error::{Error, error_policy};
pub use run::run;
