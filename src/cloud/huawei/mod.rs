//! The Huawei Cloud CCE v3 node pool client, as `huaweicloudsdkcce` 3.1.219 sends its calls.
//!
//! * Paths under `/api/v3/projects/{project_id}/clusters/{cluster_id}/nodepools`, path
//!   parameters percent-encoded (`quote(v, safe='')`), the wire query = the canonical query.
//! * Every request carries `Content-Type: application/json` (GET and DELETE included),
//!   `Host`, `User-Agent`; with AK/SK also `X-Project-Id`, `X-Security-Token` (temporary
//!   credentials), `X-Sdk-Date` and an `SDK-HMAC-SHA256` `Authorization`; with a token only
//!   `X-Auth-Token`.
//! * Bodies are compact UTF-8 JSON (the SDK sends `", "` separators and `\uXXXX` escapes; the
//!   signature covers the bytes actually sent, so both verify).
//! * Success = any status below 400; an empty success body is accepted only where the SDK
//!   accepts it and the controller needs nothing from it (delete, scale).
//!
//! `find_by_name` is the documented way to find a pool at CCE. `find_by_tag` looks at
//! `spec.nodeTemplate.userTags` (the ECS tags CCE returns in show/list), since CCE pools have no
//! tags of their own.

pub mod body;
pub mod error;
pub mod identity;
pub mod marks;
pub mod model;
pub mod phase;
pub mod sign;

use async_trait::async_trait;
use reqwest::Method;
use serde_json::{Value, json};

use super::auth::HuaweiAuth;
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

const CLOUD: Cloud = Cloud::Huawei;

/// Where and as whom the client calls CCE.
#[derive(Clone, Debug)]
pub struct HuaweiConfig {
    /// The region, e.g. `cn-north-4` (default endpoint `https://cce.{region}.myhuaweicloud.com`,
    /// and part of the rate limiter key).
    pub region: String,
    /// The IAM project ID (fills `{project_id}` in every path; sent as `X-Project-Id`).
    pub project_id: String,
    /// An endpoint override (`http://127.0.0.1:8080` for a simulator; no scheme = https).
    pub endpoint: Option<String>,
    /// Timeouts and retries.
    pub http: HttpConfig,
}

impl HuaweiConfig {
    /// The default configuration for a region and project.
    pub fn new(region: impl Into<String>, project_id: impl Into<String>) -> Self {
        HuaweiConfig {
            region: region.into(),
            project_id: project_id.into(),
            endpoint: None,
            http: HttpConfig::default(),
        }
    }
}

/// The CCE v3 node pool client.
pub struct HuaweiClient {
    transport: Transport,
    endpoint: Endpoint,
    project_id: String,
    auth: HuaweiAuth,
    clock: Clock,
}

impl std::fmt::Debug for HuaweiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HuaweiClient")
            .field("endpoint", &self.endpoint.base)
            .field("project_id", &self.project_id)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl HuaweiClient {
    /// A client. Its rate limiter bucket is `limiters`' bucket for (Huawei, access key ID — or
    /// `token:<project>` with an IAM token —, region).
    pub fn new(
        config: HuaweiConfig,
        auth: HuaweiAuth,
        limiters: &RateLimiters,
    ) -> Result<Self, CloudError> {
        check_region(CLOUD, &config.region)?;
        if config.project_id.is_empty() {
            return Err(CloudError::InvalidInput {
                cloud: CLOUD,
                operation: Operation::Configure,
                detail: "the project ID is empty".to_owned(),
            });
        }
        let endpoint = match &config.endpoint {
            Some(raw) => parse_endpoint(CLOUD, raw)?,
            None => parse_endpoint(
                CLOUD,
                &format!("https://cce.{}.myhuaweicloud.com", config.region),
            )?,
        };
        let account = match &auth {
            HuaweiAuth::AccessKey(key) => key.id.clone(),
            HuaweiAuth::Token(_) => format!("token:{}", config.project_id),
            HuaweiAuth::Refreshing(r) => r.account().to_owned(),
        };
        let bucket = limiters.bucket(LimiterKey {
            cloud: CLOUD,
            account,
            region: config.region.clone(),
        });
        let transport = Transport::new(CLOUD, &config.http, bucket, error::parse)?;
        Ok(HuaweiClient {
            transport,
            endpoint,
            project_id: config.project_id,
            auth,
            clock: default_clock(),
        })
    }

    /// Replaces the signing clock (tests).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the backoff jitter source (tests).
    pub fn with_random(mut self, random: RandomSource) -> Self {
        self.transport.set_random(random);
        self
    }

    fn pools_path(&self, cluster_id: &str) -> String {
        format!(
            "/api/v3/projects/{}/clusters/{}/nodepools",
            uri_encode(self.project_id.as_bytes()),
            uri_encode(cluster_id.as_bytes())
        )
    }

    fn pool_path(&self, cluster_id: &str, pool_id: &str) -> String {
        format!(
            "{}/{}",
            self.pools_path(cluster_id),
            uri_encode(pool_id.as_bytes())
        )
    }

    /// Builds and signs one attempt.
    fn prepare(
        &self,
        auth: &HuaweiAuth,
        operation: Operation,
        method: &Method,
        path: &str,
        query: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Prepared, CloudError> {
        let query_string = sign::canonical_query_string(query);
        let url = if query_string.is_empty() {
            format!("{}{path}", self.endpoint.base)
        } else {
            format!("{}{path}?{query_string}", self.endpoint.base)
        };
        let mut headers: Vec<(&str, String)> = vec![
            ("Content-Type", "application/json".to_owned()),
            ("Host", self.endpoint.host.clone()),
            ("User-Agent", USER_AGENT.to_owned()),
        ];
        match auth {
            HuaweiAuth::Refreshing(_) => {
                return Err(CloudError::InvalidInput {
                    cloud: CLOUD,
                    operation,
                    detail: "refreshing credentials must be resolved before signing".to_owned(),
                });
            }
            HuaweiAuth::Token(token) => {
                use secrecy::ExposeSecret;
                headers.push(("X-Auth-Token", token.expose_secret().to_owned()));
            }
            HuaweiAuth::AccessKey(key) => {
                use secrecy::ExposeSecret;
                headers.push(("X-Project-Id", self.project_id.clone()));
                if let Some(token) = &key.security_token {
                    headers.push(("X-Security-Token", token.expose_secret().to_owned()));
                }
                let to_sign: Vec<(&str, &str)> =
                    headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
                let request = RequestToSign {
                    method: method.as_str(),
                    path,
                    query,
                    headers: &to_sign,
                    body,
                };
                let added = sign::signing_headers(&request, &key.id, &key.secret, (self.clock)())
                    .map_err(|source| CloudError::Sign {
                    cloud: CLOUD,
                    operation,
                    source,
                })?;
                headers.extend(added);
            }
        }
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

    async fn call(
        &self,
        operation: Operation,
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
        let auth = match &self.auth {
            HuaweiAuth::Refreshing(r) => HuaweiAuth::AccessKey(r.key(operation).await?),
            fixed => fixed.clone(),
        };
        self.transport
            .send(operation, idempotent, || {
                self.prepare(&auth, operation, &method, path, query, &body)
            })
            .await
    }

    /// `create_node_pool`: `POST .../nodepools` with CCE's `NodePool` body. Never retried.
    pub async fn create_node_pool(
        &self,
        cluster_id: &str,
        body: &Value,
    ) -> Result<model::NodePool, CloudError> {
        require_object(Operation::Create, body)?;
        let response = self
            .call(
                Operation::Create,
                Method::POST,
                &self.pools_path(cluster_id),
                &[],
                Some(body),
            )
            .await?;
        decode_json(CLOUD, Operation::Create, &response)
    }

    /// `show_node_pool`: `GET .../nodepools/{id}`.
    pub async fn show_node_pool(
        &self,
        cluster_id: &str,
        pool_id: &str,
    ) -> Result<model::NodePool, CloudError> {
        let response = self
            .call(
                Operation::Get,
                Method::GET,
                &self.pool_path(cluster_id, pool_id),
                &[],
                None,
            )
            .await?;
        decode_json(CLOUD, Operation::Get, &response)
    }

    /// `list_node_pools`: `GET .../nodepools` without query parameters, as the SDK sends it
    /// when `showDefaultNodePool` is unset (CCE then leaves the default pool out).
    pub async fn list_node_pools(
        &self,
        cluster_id: &str,
    ) -> Result<Vec<model::NodePool>, CloudError> {
        let response = self
            .call(
                Operation::List,
                Method::GET,
                &self.pools_path(cluster_id),
                &[],
                None,
            )
            .await?;
        let list: model::NodePoolList = decode_json(CLOUD, Operation::List, &response)?;
        list.items
            .map(Option::unwrap_or_default)
            .ok_or_else(|| CloudError::Decode {
                cloud: CLOUD,
                operation: Operation::List,
                status: response.status,
                // An answer without the list is not "no pools": reading it so would make the
                // controller create a pool that exists.
                detail: "the list answer has no `items`".to_owned(),
            })
    }

    /// `update_node_pool`: `PUT .../nodepools/{id}` with a `NodePoolUpdate` body, node count
    /// protected as [`PoolUpdate`] describes.
    pub async fn update_node_pool(
        &self,
        cluster_id: &str,
        pool_id: &str,
        update: &PoolUpdate,
    ) -> Result<model::NodePool, CloudError> {
        let body = update_body(update)?;
        let response = self
            .call(
                Operation::Update,
                Method::PUT,
                &self.pool_path(cluster_id, pool_id),
                &[],
                Some(&body),
            )
            .await?;
        decode_json(CLOUD, Operation::Update, &response)
    }

    /// `delete_node_pool`: `DELETE .../nodepools/{id}`. An empty success body is accepted (as
    /// the SDK does) and gives `None`.
    pub async fn delete_node_pool(
        &self,
        cluster_id: &str,
        pool_id: &str,
    ) -> Result<Option<model::NodePool>, CloudError> {
        let response = self
            .call(
                Operation::Delete,
                Method::DELETE,
                &self.pool_path(cluster_id, pool_id),
                &[],
                None,
            )
            .await?;
        if response.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        decode_json(CLOUD, Operation::Delete, &response).map(Some)
    }

    /// `scale_node_pool`: `POST .../nodepools/{id}/operation/scale` with
    /// `{kind, apiVersion, spec: {desiredNodeCount, scaleGroups: ["default"]}}`. Never retried.
    /// Answers `{orderID}` (or nothing for pay-per-use pools), given back as JSON.
    pub async fn scale_node_pool(
        &self,
        cluster_id: &str,
        pool_id: &str,
        desired: u32,
    ) -> Result<Value, CloudError> {
        let body = json!({
            "kind": "NodePool",
            "apiVersion": "v3",
            "spec": {"desiredNodeCount": desired, "scaleGroups": ["default"]},
        });
        let response = self
            .call(
                Operation::Scale,
                Method::POST,
                &format!("{}/operation/scale", self.pool_path(cluster_id, pool_id)),
                &[],
                Some(&body),
            )
            .await?;
        if response.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        decode_json(CLOUD, Operation::Scale, &response)
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

/// The `NodePoolUpdate` body actually sent: `spec.ignoreInitialNodeCount` forced to `true`
/// unless a node count is given, which sets `initialNodeCount` and `ignoreInitialNodeCount:
/// false`.
pub fn update_body(update: &PoolUpdate) -> Result<Value, CloudError> {
    require_object(Operation::Update, &update.body)?;
    let mut body = update.body.clone();
    let Some(root) = body.as_object_mut() else {
        return Err(CloudError::InvalidInput {
            cloud: CLOUD,
            operation: Operation::Update,
            detail: "the request body must be a JSON object".to_owned(),
        });
    };
    let spec = root.entry("spec").or_insert_with(|| json!({}));
    let Some(spec) = spec.as_object_mut() else {
        return Err(CloudError::InvalidInput {
            cloud: CLOUD,
            operation: Operation::Update,
            detail: "spec in the update body must be a JSON object".to_owned(),
        });
    };
    match update.node_count {
        None => {
            spec.insert("ignoreInitialNodeCount".into(), Value::Bool(true));
        }
        Some(count) => {
            spec.insert("initialNodeCount".into(), json!(count));
            spec.insert("ignoreInitialNodeCount".into(), Value::Bool(false));
        }
    }
    Ok(body)
}

fn to_pool(operation: Operation, pool: &model::NodePool) -> Result<CloudPool, CloudError> {
    pool.to_cloud_pool().ok_or_else(|| CloudError::Decode {
        cloud: CLOUD,
        operation,
        status: 200,
        detail: "the node pool has no metadata.uid".to_owned(),
    })
}

#[async_trait]
impl NodePoolProvider for HuaweiClient {
    fn cloud(&self) -> Cloud {
        CLOUD
    }

    async fn create(&self, cluster_id: &str, body: &Value) -> Result<CreatedPool, CloudError> {
        let pool = self.create_node_pool(cluster_id, body).await?;
        let view = to_pool(Operation::Create, &pool)?;
        Ok(CreatedPool {
            id: view.id.clone(),
            task_id: pool.status.as_ref().and_then(|s| s.job_id.clone()),
            pool: Some(view),
            request_id: None,
        })
    }

    async fn get(&self, cluster_id: &str, pool_id: &str) -> Result<CloudPool, CloudError> {
        let pool = self.show_node_pool(cluster_id, pool_id).await?;
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
        self.list_node_pools(cluster_id)
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
        let matches = self
            .list(cluster_id)
            .await?
            .into_iter()
            .filter(|p| p.name == name)
            .collect();
        single_match(CLOUD, Operation::List, format!("name {name:?}"), matches)
    }

    async fn find_by_tag(
        &self,
        cluster_id: &str,
        key: &str,
        value: &str,
    ) -> Result<Option<CloudPool>, CloudError> {
        let pools = self.list_node_pools(cluster_id).await?;
        let matches = pools
            .iter()
            .filter(|p| p.has_user_tag(key, value))
            .map(|p| to_pool(Operation::List, p))
            .collect::<Result<Vec<_>, _>>()?;
        single_match(
            CLOUD,
            Operation::List,
            format!("user tag {key}={value}"),
            matches,
        )
    }

    async fn update(
        &self,
        cluster_id: &str,
        pool_id: &str,
        update: &PoolUpdate,
    ) -> Result<Accepted, CloudError> {
        let pool = self.update_node_pool(cluster_id, pool_id, update).await?;
        Ok(Accepted {
            task_id: pool.status.as_ref().and_then(|s| s.job_id.clone()),
            pool: pool.to_cloud_pool(),
            request_id: None,
        })
    }

    async fn delete(&self, cluster_id: &str, pool_id: &str) -> Result<Accepted, CloudError> {
        let pool = self.delete_node_pool(cluster_id, pool_id).await?;
        Ok(Accepted {
            task_id: pool
                .as_ref()
                .and_then(|p| p.status.as_ref())
                .and_then(|s| s.job_id.clone()),
            pool: pool.as_ref().and_then(model::NodePool::to_cloud_pool),
            request_id: None,
        })
    }

    async fn scale(
        &self,
        cluster_id: &str,
        pool_id: &str,
        desired: u32,
    ) -> Result<Accepted, CloudError> {
        let answer = self.scale_node_pool(cluster_id, pool_id, desired).await?;
        Ok(Accepted {
            task_id: answer
                .get("orderID")
                .and_then(Value::as_str)
                .map(str::to_owned),
            pool: None,
            request_id: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_never_scales_by_accident() {
        let body = json!({"metadata": {"name": "p"}, "spec": {"initialNodeCount": 0,
            "ignoreInitialNodeCount": false, "nodeTemplate": {"k8sTags": {"a": "b"}}}});
        let sent = update_body(&PoolUpdate {
            body: body.clone(),
            node_count: None,
        })
        .unwrap();
        assert_eq!(sent["spec"]["ignoreInitialNodeCount"], json!(true));
        assert_eq!(sent["spec"]["nodeTemplate"], body["spec"]["nodeTemplate"]);
        let sent = update_body(&PoolUpdate {
            body: json!({"metadata": {"name": "p"}}),
            node_count: None,
        })
        .unwrap();
        assert_eq!(
            sent,
            json!({"metadata": {"name": "p"}, "spec": {"ignoreInitialNodeCount": true}})
        );
        let sent = update_body(&PoolUpdate {
            body,
            node_count: Some(4),
        })
        .unwrap();
        assert_eq!(sent["spec"]["initialNodeCount"], json!(4));
        assert_eq!(sent["spec"]["ignoreInitialNodeCount"], json!(false));
        for bad in [json!([]), json!({"spec": 1})] {
            let err = update_body(&PoolUpdate {
                body: bad,
                node_count: None,
            })
            .unwrap_err();
            assert_eq!(err.kind(), crate::cloud::ErrorKind::Invalid);
        }
    }
}
