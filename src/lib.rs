//! nodepool-controller: run Huawei Cloud CCE and Alibaba Cloud ACK node pools from Kubernetes.
//!
//! The library holds everything; the binary in `main.rs` only parses the command line.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cli;
pub mod cloud;
pub mod controller;
pub mod crd;
pub mod credentials;
pub mod metrics;
pub mod server;
pub mod sim;
