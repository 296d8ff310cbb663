//! Everything that talks to the clouds: request signing and error
//! classification (the provider seam and the CCE / ACK clients build on them).

pub mod error;
pub mod sign;
