//! The Alibaba Cloud ACK node pool client (Container Service API 2015-12-15, ROA style), as
//! `alibabacloud-cs20151215` 7.2.3 on `alibabacloud-tea-openapi` 0.4.6 sends its calls.
//!
//! * Headers signed (`ACS3-HMAC-SHA256`): `host`, `x-acs-version: 2015-12-15`, `x-acs-action`,
//!   `user-agent`, `accept: application/json`, `content-type: application/json; charset=utf-8`
//!   (only with a body), `x-acs-credentials-provider` (`static_ak`, or `static_sts` with a
//!   security token, plus `x-acs-accesskey-id` and `x-acs-security-token`), `x-acs-date`,
//!   `x-acs-signature-nonce` (32 hex), `x-acs-content-sha256`.
//! * Path parameters percent-encoded; the wire query form-encoded (`force=False`), the canonical
//!   query RFC 3986 encoded.
//! * Bodies are compact UTF-8 JSON with keys in alphabetical order, like the SDK — but only the
//!   fields the caller set: the SDK's empty arrays for unset list fields (`tags: []`,
//!   `data_disks: []`, ...) are *not* added, so a modify never clears a list by accident.
//! * Every success answer must be JSON (the SDK fails on an empty or non-JSON body; so do we).
//!
//! `find_by_tag` matches `scaling_group.tags` (the ECS tags ACK puts on the pool's instances and
//! returns in DescribeClusterNodePools), not `kubernetes_config.labels`.
//! `delete` sends `force=False` unless [`AlibabaConfig::force_delete`] is set.

pub mod body;
pub mod error;
pub mod marks;
pub mod model;
pub mod phase;
pub mod roa;
pub mod sign;

use async_trait::async_trait;
use reqwest::Method;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::auth::AccessKey;
use super::http::{
    Clock, Endpoint, HttpConfig, Prepared, RandomSource, RawResponse, Transport, check_region,
    decode_json, default_clock, header_value, parse_endpoint,
};
use super::ratelimit::{LimiterKey, RateLimiters};
use super::sign::{RequestToSign, uri_encode};
use super::{
    Accepted, Cloud, CloudError, CloudPool, CreatedPool, NodePoolProvider, Operation, PoolUpdate,
    USER_AGENT, single_match,
};

const CLOUD: Cloud = Cloud::Alibaba;

/// The API version header value.
pub const API_VERSION: &str = "2015-12-15";

/// Where and as whom the client calls ACK.
#[derive(Clone, Debug)]
pub struct AlibabaConfig {
    /// The region, e.g. `cn-hangzhou` (default endpoint `https://cs.{region}.aliyuncs.com`, and
    /// part of the rate limiter key).
    pub region: String,
    /// An endpoint override (`http://127.0.0.1:8080` for a simulator; no scheme = https).
    pub endpoint: Option<String>,
    /// Sent as DeleteClusterNodepool's `force` (`True`/`False`).
    pub force_delete: bool,
    /// Timeouts and retries.
    pub http: HttpConfig,
}

impl AlibabaConfig {
    /// The default configuration for a region.
    pub fn new(region: impl Into<String>) -> Self {
        AlibabaConfig {
            region: region.into(),
            endpoint: None,
            force_delete: false,
            http: HttpConfig::default(),
        }
    }
}

/// A nonce source for `x-acs-signature-nonce` (32 lowercase hex characters).
pub type NonceSource = std::sync::Arc<dyn Fn() -> String + Send + Sync>;

/// The ACK node pool client.
pub struct AlibabaClient {
    transport: Transport,
    endpoint: Endpoint,
    key: AccessKey,
    force_delete: bool,
    clock: Clock,
    nonce: NonceSource,
}

impl std::fmt::Debug for AlibabaClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlibabaClient")
            .field("endpoint", &self.endpoint.base)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl AlibabaClient {
    /// A client. Its rate limiter bucket is `limiters`' bucket for (Alibaba, access key ID,
    /// region).
    pub fn new(
        config: AlibabaConfig,
        key: AccessKey,
        limiters: &RateLimiters,
    ) -> Result<Self, CloudError> {
        check_region(CLOUD, &config.region)?;
        let endpoint = match &config.endpoint {
            Some(raw) => parse_endpoint(CLOUD, raw)?,
            None => parse_endpoint(CLOUD, &format!("https://cs.{}.aliyuncs.com", config.region))?,
        };
        let bucket = limiters.bucket(LimiterKey {
            cloud: CLOUD,
            account: key.id.clone(),
            region: config.region.clone(),
        });
        let transport = Transport::new(CLOUD, &config.http, bucket, error::parse)?;
        Ok(AlibabaClient {
            transport,
            endpoint,
            key,
            force_delete: config.force_delete,
            clock: default_clock(),
            nonce: std::sync::Arc::new(|| format!("{:032x}", fastrand::u128(..))),
        })
    }

    /// Replaces the signing clock (tests).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the nonce source (tests).
    pub fn with_nonce(mut self, nonce: NonceSource) -> Self {
        self.nonce = nonce;
        self
    }

    /// Replaces the backoff jitter source (tests).
    pub fn with_random(mut self, random: RandomSource) -> Self {
        self.transport.set_random(random);
        self
    }

    fn pools_path(cluster_id: &str) -> String {
        format!("/clusters/{}/nodepools", uri_encode(cluster_id.as_bytes()))
    }

    fn pool_path(cluster_id: &str, pool_id: &str) -> String {
        format!(
            "{}/{}",
            Self::pools_path(cluster_id),
            uri_encode(pool_id.as_bytes())
        )
    }

    /// Builds and signs one attempt.
    fn prepare(
        &self,
        operation: Operation,
        action: &str,
        method: &Method,
        path: &str,
        query: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Prepared, CloudError> {
        let wire_query = sign::wire_query_string(query);
        let url = if wire_query.is_empty() {
            format!("{}{path}", self.endpoint.base)
        } else {
            format!("{}{path}?{wire_query}", self.endpoint.base)
        };
        let mut headers: Vec<(&str, String)> = vec![
            ("host", self.endpoint.host.clone()),
            ("x-acs-version", API_VERSION.to_owned()),
            ("x-acs-action", action.to_owned()),
            ("user-agent", USER_AGENT.to_owned()),
            ("accept", "application/json".to_owned()),
        ];
        if !body.is_empty() {
            headers.push(("content-type", "application/json; charset=utf-8".to_owned()));
        }
        match &self.key.security_token {
            None => headers.push(("x-acs-credentials-provider", "static_ak".to_owned())),
            Some(token) => {
                headers.push(("x-acs-credentials-provider", "static_sts".to_owned()));
                headers.push(("x-acs-accesskey-id", self.key.id.clone()));
                headers.push(("x-acs-security-token", token.expose_secret().to_owned()));
            }
        }
        let to_sign: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let request = RequestToSign {
            method: method.as_str(),
            path,
            query,
            headers: &to_sign,
            body,
        };
        let added = sign::signing_headers(
            &request,
            &self.key.id,
            &self.key.secret,
            (self.clock)(),
            &(self.nonce)(),
        )
        .map_err(|source| CloudError::Sign {
            cloud: CLOUD,
            operation,
            source,
        })?;
        headers.extend(added);
        let headers = headers
            .iter()
            .map(|(n, v)| header_value(CLOUD, operation, n, v))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Prepared {
            method: method.clone(),
            url,
            headers,
            body: body.to_vec(),
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn call(
        &self,
        operation: Operation,
        action: &str,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<RawResponse, CloudError> {
        let body = match body {
            Some(value) => serde_json::to_vec(value).map_err(|e| CloudError::InvalidInput {
                cloud: CLOUD,
                operation,
                detail: format!("the body cannot be serialized: {e}"),
            })?,
            None => Vec::new(),
        };
        let idempotent = method != Method::POST;
        self.transport
            .send(operation, idempotent, || {
                self.prepare(operation, action, &method, path, query, &body)
            })
            .await
    }

    /// CreateClusterNodePool: `POST /clusters/{ClusterId}/nodepools`. Never retried.
    pub async fn create_cluster_node_pool(
        &self,
        cluster_id: &str,
        body: &Value,
    ) -> Result<model::TaskAnswer, CloudError> {
        require_object(Operation::Create, body)?;
        let response = self
            .call(
                Operation::Create,
                "CreateClusterNodePool",
                Method::POST,
                &Self::pools_path(cluster_id),
                &[],
                Some(body),
            )
            .await?;
        decode_json(CLOUD, Operation::Create, &response)
    }

    /// DescribeClusterNodePoolDetail: `GET /clusters/{ClusterId}/nodepools/{NodepoolId}`.
    pub async fn describe_cluster_node_pool_detail(
        &self,
        cluster_id: &str,
        pool_id: &str,
    ) -> Result<model::NodePool, CloudError> {
        let response = self
            .call(
                Operation::Get,
                "DescribeClusterNodePoolDetail",
                Method::GET,
                &Self::pool_path(cluster_id, pool_id),
                &[],
                None,
            )
            .await?;
        decode_json(CLOUD, Operation::Get, &response)
    }

    /// DescribeClusterNodePools: `GET /clusters/{ClusterId}/nodepools`, with `NodepoolName`
    /// when a name is given (a server-side filter; callers still compare names exactly).
    pub async fn describe_cluster_node_pools(
        &self,
        cluster_id: &str,
        name: Option<&str>,
    ) -> Result<Vec<model::NodePool>, CloudError> {
        let query: Vec<(&str, &str)> = name.map(|n| ("NodepoolName", n)).into_iter().collect();
        let response = self
            .call(
                Operation::List,
                "DescribeClusterNodePools",
                Method::GET,
                &Self::pools_path(cluster_id),
                &query,
                None,
            )
            .await?;
        let list: model::NodePoolList = decode_json(CLOUD, Operation::List, &response)?;
        list.nodepools
            .map(Option::unwrap_or_default)
            .ok_or_else(|| CloudError::Decode {
                cloud: CLOUD,
                operation: Operation::List,
                status: response.status,
                // An answer without the list is not "no pools": reading it so would make the
                // controller create a pool that exists.
                detail: "the list answer has no `nodepools`".to_owned(),
            })
    }

    /// ModifyClusterNodePool: `PUT /clusters/{ClusterId}/nodepools/{NodepoolId}`, node count
    /// protected as [`PoolUpdate`] describes.
    pub async fn modify_cluster_node_pool(
        &self,
        cluster_id: &str,
        pool_id: &str,
        update: &PoolUpdate,
    ) -> Result<model::TaskAnswer, CloudError> {
        let body = modify_body(update)?;
        self.modify_raw(Operation::Update, cluster_id, pool_id, &body)
            .await
    }

    async fn modify_raw(
        &self,
        operation: Operation,
        cluster_id: &str,
        pool_id: &str,
        body: &Value,
    ) -> Result<model::TaskAnswer, CloudError> {
        let response = self
            .call(
                operation,
                "ModifyClusterNodePool",
                Method::PUT,
                &Self::pool_path(cluster_id, pool_id),
                &[],
                Some(body),
            )
            .await?;
        decode_json(CLOUD, operation, &response)
    }

    /// DeleteClusterNodepool: `DELETE /clusters/{ClusterId}/nodepools/{NodepoolId}?force=…`.
    pub async fn delete_cluster_nodepool(
        &self,
        cluster_id: &str,
        pool_id: &str,
        force: bool,
    ) -> Result<model::TaskAnswer, CloudError> {
        let force = if force { "True" } else { "False" };
        let response = self
            .call(
                Operation::Delete,
                "DeleteClusterNodepool",
                Method::DELETE,
                &Self::pool_path(cluster_id, pool_id),
                &[("force", force)],
                None,
            )
            .await?;
        decode_json(CLOUD, Operation::Delete, &response)
    }
}

fn require_object(operation: Operation, body: &Value) -> Result<(), CloudError> {
    if body.is_object() {
        Ok(())
    } else {
        Err(CloudError::InvalidInput {
            cloud: CLOUD,
            operation,
            detail: "the request body must be a JSON object".to_owned(),
        })
    }
}

/// The ModifyClusterNodePool body actually sent: without a node count, `scaling_group.desired_size`
/// and the deprecated top-level `count` are removed; with one, `scaling_group.desired_size` is
/// set to it.
pub fn modify_body(update: &PoolUpdate) -> Result<Value, CloudError> {
    require_object(Operation::Update, &update.body)?;
    let invalid = |detail: &str| CloudError::InvalidInput {
        cloud: CLOUD,
        operation: Operation::Update,
        detail: detail.to_owned(),
    };
    let mut body = update.body.clone();
    let root = body
        .as_object_mut()
        .ok_or_else(|| invalid("the request body must be a JSON object"))?;
    root.remove("count");
    match update.node_count {
        None => {
            if let Some(group) = root.get_mut("scaling_group") {
                group
                    .as_object_mut()
                    .ok_or_else(|| invalid("scaling_group must be a JSON object"))?
                    .remove("desired_size");
            }
        }
        Some(count) => {
            root.entry("scaling_group")
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .ok_or_else(|| invalid("scaling_group must be a JSON object"))?
                .insert("desired_size".into(), json!(count));
        }
    }
    Ok(body)
}

fn to_pool(operation: Operation, pool: &model::NodePool) -> Result<CloudPool, CloudError> {
    pool.to_cloud_pool().ok_or_else(|| CloudError::Decode {
        cloud: CLOUD,
        operation,
        status: 200,
        detail: "the node pool has no nodepool_info.nodepool_id".to_owned(),
    })
}

fn accepted(answer: model::TaskAnswer) -> Accepted {
    Accepted {
        pool: None,
        task_id: answer.task_id,
        request_id: answer.request_id,
    }
}

#[async_trait]
impl NodePoolProvider for AlibabaClient {
    fn cloud(&self) -> Cloud {
        CLOUD
    }

    async fn create(&self, cluster_id: &str, body: &Value) -> Result<CreatedPool, CloudError> {
        let answer = self.create_cluster_node_pool(cluster_id, body).await?;
        let id = answer
            .nodepool_id
            .filter(|id| !id.is_empty())
            .ok_or_else(|| CloudError::Decode {
                cloud: CLOUD,
                operation: Operation::Create,
                status: 200,
                detail: "the answer has no nodepool_id (the pool may exist: look it up by name)"
                    .to_owned(),
            })?;
        Ok(CreatedPool {
            id,
            pool: None,
            task_id: answer.task_id,
            request_id: answer.request_id,
        })
    }

    async fn get(&self, cluster_id: &str, pool_id: &str) -> Result<CloudPool, CloudError> {
        let pool = self
            .describe_cluster_node_pool_detail(cluster_id, pool_id)
            .await?;
        let view = to_pool(Operation::Get, &pool)?;
        if view.id != pool_id {
            // An answer about another pool must never be taken for this one: its ID would go
            // into the NodePool's status and later updates and deletes to the wrong pool.
            return Err(CloudError::Decode {
                cloud: CLOUD,
                operation: Operation::Get,
                status: 200,
                detail: format!("the answer describes pool {:?}, not {pool_id:?}", view.id),
            });
        }
        Ok(view)
    }

    async fn list(&self, cluster_id: &str) -> Result<Vec<CloudPool>, CloudError> {
        self.describe_cluster_node_pools(cluster_id, None)
            .await?
            .iter()
            .map(|p| to_pool(Operation::List, p))
            .collect()
    }

    async fn find_by_name(
        &self,
        cluster_id: &str,
        name: &str,
    ) -> Result<Option<CloudPool>, CloudError> {
        let pools = self
            .describe_cluster_node_pools(cluster_id, Some(name))
            .await?;
        let matches = pools
            .iter()
            .filter(|p| p.name() == Some(name))
            .map(|p| to_pool(Operation::List, p))
            .collect::<Result<Vec<_>, _>>()?;
        single_match(CLOUD, Operation::List, format!("name {name:?}"), matches)
    }

    async fn find_by_tag(
        &self,
        cluster_id: &str,
        key: &str,
        value: &str,
    ) -> Result<Option<CloudPool>, CloudError> {
        let pools = self.describe_cluster_node_pools(cluster_id, None).await?;
        let matches = pools
            .iter()
            .filter(|p| p.has_tag(key, value))
            .map(|p| to_pool(Operation::List, p))
            .collect::<Result<Vec<_>, _>>()?;
        single_match(
            CLOUD,
            Operation::List,
            format!("tag {key}={value}"),
            matches,
        )
    }

    async fn update(
        &self,
        cluster_id: &str,
        pool_id: &str,
        update: &PoolUpdate,
    ) -> Result<Accepted, CloudError> {
        self.modify_cluster_node_pool(cluster_id, pool_id, update)
            .await
            .map(accepted)
    }

    async fn delete(&self, cluster_id: &str, pool_id: &str) -> Result<Accepted, CloudError> {
        self.delete_cluster_nodepool(cluster_id, pool_id, self.force_delete)
            .await
            .map(accepted)
    }

    async fn delete_forced(&self, cluster_id: &str, pool_id: &str) -> Result<Accepted, CloudError> {
        self.delete_cluster_nodepool(cluster_id, pool_id, true)
            .await
            .map(accepted)
    }

    async fn scale(
        &self,
        cluster_id: &str,
        pool_id: &str,
        desired: u32,
    ) -> Result<Accepted, CloudError> {
        let body = json!({"scaling_group": {"desired_size": desired}});
        self.modify_raw(Operation::Scale, cluster_id, pool_id, &body)
            .await
            .map(accepted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modify_never_scales_by_accident() {
        let body = json!({"count": 3, "scaling_group": {"desired_size": 9, "instance_types": ["a"]},
            "kubernetes_config": {"labels": [{"key": "k", "value": "v"}]}});
        let sent = modify_body(&PoolUpdate {
            body: body.clone(),
            node_count: None,
        })
        .unwrap();
        assert_eq!(
            sent,
            json!({"scaling_group": {"instance_types": ["a"]},
                "kubernetes_config": {"labels": [{"key": "k", "value": "v"}]}})
        );
        let sent = modify_body(&PoolUpdate {
            body,
            node_count: Some(2),
        })
        .unwrap();
        assert_eq!(sent["scaling_group"]["desired_size"], json!(2));
        assert!(sent.get("count").is_none());
        let sent = modify_body(&PoolUpdate {
            body: json!({}),
            node_count: Some(0),
        })
        .unwrap();
        assert_eq!(sent, json!({"scaling_group": {"desired_size": 0}}));
        let err = modify_body(&PoolUpdate {
            body: json!({"scaling_group": []}),
            node_count: None,
        })
        .unwrap_err();
        assert_eq!(err.kind(), crate::cloud::ErrorKind::Invalid);
    }
}
