//! Helpers shared by the tests of this module's files.

use kube::CustomResourceExt;
use serde_json::Value;

use crate::crd::NodePool;

/// The OpenAPI schema of `spec.huawei` in the NodePool CRD.
pub(super) fn huawei_schema() -> Value {
    let crd = serde_json::to_value(NodePool::crd()).expect("the CRD serializes");
    crd.pointer("/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/huawei")
        .expect("the CRD has spec.huawei")
        .clone()
}
