//! A provider decorator that counts and times every cloud call for `/metrics`.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use serde_json::Value;

use crate::cloud::{
    Accepted, Cloud, CloudError, CloudPool, CreatedPool, NodePoolProvider, PoolUpdate,
};
use crate::metrics::Metrics;

/// Wraps a provider; every call is recorded by cloud, operation and outcome.
pub struct Metered {
    inner: Arc<dyn NodePoolProvider>,
    metrics: Arc<Metrics>,
}

impl Metered {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn NodePoolProvider>, metrics: Arc<Metrics>) -> Self {
        Metered { inner, metrics }
    }

    fn record<T>(&self, operation: &'static str, started: Instant, result: &Result<T, CloudError>) {
        let outcome = match result {
            Ok(_) => "ok",
            Err(e) => e.reason(),
        };
        self.metrics.cloud_call(
            self.inner.cloud().label(),
            operation,
            outcome,
            started.elapsed(),
        );
    }
}

#[async_trait]
impl NodePoolProvider for Metered {
    fn cloud(&self) -> Cloud {
        self.inner.cloud()
    }

    async fn create(&self, cluster_id: &str, body: &Value) -> Result<CreatedPool, CloudError> {
        let t = Instant::now();
        let r = self.inner.create(cluster_id, body).await;
        self.record("create", t, &r);
        r
    }

    async fn get(&self, cluster_id: &str, pool_id: &str) -> Result<CloudPool, CloudError> {
        let t = Instant::now();
        let r = self.inner.get(cluster_id, pool_id).await;
        self.record("get", t, &r);
        r
    }

    async fn list(&self, cluster_id: &str) -> Result<Vec<CloudPool>, CloudError> {
        let t = Instant::now();
        let r = self.inner.list(cluster_id).await;
        self.record("list", t, &r);
        r
    }

    async fn find_by_name(
        &self,
        cluster_id: &str,
        name: &str,
    ) -> Result<Option<CloudPool>, CloudError> {
        let t = Instant::now();
        let r = self.inner.find_by_name(cluster_id, name).await;
        self.record("list", t, &r);
        r
    }

    async fn find_by_tag(
        &self,
        cluster_id: &str,
        key: &str,
        value: &str,
    ) -> Result<Option<CloudPool>, CloudError> {
        let t = Instant::now();
        let r = self.inner.find_by_tag(cluster_id, key, value).await;
        self.record("list", t, &r);
        r
    }

    async fn update(
        &self,
        cluster_id: &str,
        pool_id: &str,
        update: &PoolUpdate,
    ) -> Result<Accepted, CloudError> {
        let t = Instant::now();
        let r = self.inner.update(cluster_id, pool_id, update).await;
        self.record("update", t, &r);
        r
    }

    async fn delete(&self, cluster_id: &str, pool_id: &str) -> Result<Accepted, CloudError> {
        let t = Instant::now();
        let r = self.inner.delete(cluster_id, pool_id).await;
        self.record("delete", t, &r);
        r
    }

    async fn delete_forced(&self, cluster_id: &str, pool_id: &str) -> Result<Accepted, CloudError> {
        let t = Instant::now();
        let r = self.inner.delete_forced(cluster_id, pool_id).await;
        self.record("delete", t, &r);
        r
    }

    async fn scale(
        &self,
        cluster_id: &str,
        pool_id: &str,
        desired: u32,
    ) -> Result<Accepted, CloudError> {
        let t = Instant::now();
        let r = self.inner.scale(cluster_id, pool_id, desired).await;
        self.record("scale", t, &r);
        r
    }
}
