//! Command-line interface of the `nodepool-controller` binary. Every flag of `run` also reads an
//! environment variable (shown in `--help`).
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::cloud::ratelimit::RateLimit;
use crate::controller::Config;
use crate::controller::accounts::IdentityConfig;
use crate::controller::leader::LeaderElection;

/// Runs Huawei Cloud CCE and Alibaba Cloud ACK node pools from Kubernetes NodePool objects.
#[derive(Debug, Parser)]
#[command(name = "nodepool-controller", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the CustomResourceDefinitions as YAML (what `crds/` holds): all of them, or one
    /// (`nodepool`, `cloudaccount`).
    Crd {
        /// Only this one: `nodepool` (crds/nodepool.yaml) or `cloudaccount` (crds/cloudaccount.yaml).
        #[arg(value_parser = ["nodepool", "cloudaccount"])]
        kind: Option<String>,
    },
    /// Run the controller against the cluster of the current kubeconfig (or in-cluster config).
    Run(Box<RunArgs>),
}

/// Flags of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Watch NodePools and credentials Secrets only in these namespaces, comma-separated
    /// (default: all namespaces). With a list, the controller needs a Role in each listed
    /// namespace and no ClusterRole (deploy/namespaced).
    #[arg(long, env = "NODEPOOL_NAMESPACES", value_delimiter = ',')]
    pub namespaces: Vec<String>,
    /// One namespace to watch (the same as `--namespaces` with one entry; both may be given).
    #[arg(long, env = "NODEPOOL_NAMESPACE")]
    pub namespace: Option<String>,
    /// Base URL of the Huawei CCE API, replacing https://cce.{region}.myhuaweicloud.com (a
    /// simulator, a private region or a proxy).
    #[arg(long, env = "NODEPOOL_HUAWEI_ENDPOINT")]
    pub huawei_endpoint: Option<String>,
    /// Base URL of the Alibaba ACK API, replacing https://cs.{region}.aliyuncs.com.
    #[arg(long, env = "NODEPOOL_ALIBABA_ENDPOINT")]
    pub alibaba_endpoint: Option<String>,
    /// Accept plain http:// cloud endpoints to hosts other than loopback (requests and tokens
    /// then cross the network unencrypted; only for a trusted network path).
    #[arg(long, env = "NODEPOOL_ALLOW_INSECURE_ENDPOINTS")]
    pub allow_insecure_endpoints: bool,
    /// Seconds between re-reads of a steady pool (jittered by ±10%).
    #[arg(long, env = "NODEPOOL_RESYNC_SECONDS", default_value_t = 300)]
    pub resync_seconds: u64,
    /// Seconds between re-reads of a pool that is changing (creating, scaling, deleting).
    #[arg(long, env = "NODEPOOL_POLL_SECONDS", default_value_t = 10.0)]
    pub poll_seconds: f64,
    /// Seconds to wait, after a create whose answer was lost, for the pool to appear (found by
    /// its owner mark) before concluding nothing was made and creating again.
    #[arg(long, env = "NODEPOOL_CREATE_GRACE_SECONDS", default_value_t = 120.0)]
    pub create_grace_seconds: f64,
    /// Seconds a delete may take at the cloud before the NodePool stalls with DeleteTimeout.
    #[arg(
        long,
        env = "NODEPOOL_DELETE_TIMEOUT_SECONDS",
        default_value_t = 1800.0
    )]
    pub delete_timeout_seconds: f64,
    /// First delay after a retryable failure, in seconds; doubles per consecutive failure.
    #[arg(long, env = "NODEPOOL_BACKOFF_SECONDS", default_value_t = 2.0)]
    pub backoff_seconds: f64,
    /// Longest delay after failures, in seconds.
    #[arg(long, env = "NODEPOOL_BACKOFF_MAX_SECONDS", default_value_t = 300)]
    pub backoff_max_seconds: u64,
    /// Cloud requests per second allowed per account and region (client-side budget).
    #[arg(long, env = "NODEPOOL_CLOUD_RATE", default_value_t = 5.0)]
    pub cloud_rate: f64,
    /// Burst of cloud requests allowed per account and region.
    #[arg(long, env = "NODEPOOL_CLOUD_BURST", default_value_t = 10)]
    pub cloud_burst: u32,
    /// NodePools reconciled at once.
    #[arg(long, env = "NODEPOOL_CONCURRENCY", default_value_t = 16)]
    pub concurrency: u16,
    /// Elect a leader among replicas on a coordination.k8s.io Lease; only the leader acts.
    #[arg(long, env = "NODEPOOL_LEADER_ELECT")]
    pub leader_elect: bool,
    /// Namespace of the leader-election Lease (in a cluster: the controller's own namespace).
    #[arg(long, env = "POD_NAMESPACE", default_value = "default")]
    pub leader_election_namespace: String,
    /// Name of the leader-election Lease.
    #[arg(
        long,
        env = "NODEPOOL_LEASE_NAME",
        default_value = "nodepool-controller"
    )]
    pub lease_name: String,
    /// Seconds a Lease is held without renewal before another replica may take it.
    #[arg(long, env = "NODEPOOL_LEASE_SECONDS", default_value_t = 15)]
    pub lease_seconds: u64,
    /// Address of /healthz, /readyz and /metrics.
    #[arg(long, env = "NODEPOOL_HTTP_ADDR", default_value = "0.0.0.0:8080")]
    pub http_addr: std::net::SocketAddr,
    /// Log format: `text` or `json`.
    #[arg(long, env = "NODEPOOL_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Alibaba STS endpoint for CloudAccounts (default https://sts.aliyuncs.com).
    #[arg(
        long,
        env = "NODEPOOL_ALIBABA_STS_ENDPOINT",
        help_heading = "Keyless identities (CloudAccounts)"
    )]
    pub alibaba_sts_endpoint: Option<String>,
    /// RRSA: the RAM role the controller's ServiceAccount token assumes (ACK injects it).
    #[arg(
        long,
        env = "ALIBABA_CLOUD_ROLE_ARN",
        help_heading = "Keyless identities (CloudAccounts)"
    )]
    pub alibaba_role_arn: Option<String>,
    /// RRSA: the RAM OIDC provider of the cluster (ACK injects it).
    #[arg(
        long,
        env = "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
        help_heading = "Keyless identities (CloudAccounts)"
    )]
    pub alibaba_oidc_provider_arn: Option<String>,
    /// RRSA: the projected ServiceAccount token file, audience sts.aliyuncs.com (ACK injects it).
    #[arg(
        long,
        env = "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
        help_heading = "Keyless identities (CloudAccounts)"
    )]
    pub alibaba_oidc_token_file: Option<std::path::PathBuf>,
    /// RoleSessionName for STS (default nodepool-controller).
    #[arg(
        long,
        env = "ALIBABA_CLOUD_ROLE_SESSION_NAME",
        help_heading = "Keyless identities (CloudAccounts)"
    )]
    pub alibaba_role_session_name: Option<String>,
    /// Alibaba ECS metadata service (default http://100.100.100.200).
    #[arg(
        long,
        env = "NODEPOOL_ALIBABA_METADATA_ENDPOINT",
        help_heading = "Keyless identities (CloudAccounts)"
    )]
    pub alibaba_metadata_endpoint: Option<String>,
    /// Huawei IAM endpoint (default https://iam.myhuaweicloud.com).
    #[arg(
        long,
        env = "HUAWEICLOUD_SDK_IAM_ENDPOINT",
        help_heading = "Keyless identities (CloudAccounts)"
    )]
    pub huawei_iam_endpoint: Option<String>,
    /// Huawei OIDC federation: the IAM identity provider's ID.
    #[arg(
        long,
        env = "HUAWEICLOUD_SDK_IDP_ID",
        help_heading = "Keyless identities (CloudAccounts)"
    )]
    pub huawei_idp_id: Option<String>,
    /// Huawei OIDC federation: the projected ServiceAccount token file.
    #[arg(
        long,
        env = "HUAWEICLOUD_SDK_ID_TOKEN_FILE",
        help_heading = "Keyless identities (CloudAccounts)"
    )]
    pub huawei_id_token_file: Option<std::path::PathBuf>,
    /// Huawei ECS metadata service (default http://169.254.169.254).
    #[arg(
        long,
        env = "NODEPOOL_HUAWEI_METADATA_ENDPOINT",
        help_heading = "Keyless identities (CloudAccounts)"
    )]
    pub huawei_metadata_endpoint: Option<String>,
    /// Lifetime asked for temporary credentials, in seconds (default: 3600 Alibaba, 21600 Huawei,
    /// as the official SDKs ask); a CloudAccount's assumeRole.durationSeconds overrides it.
    #[arg(
        long,
        env = "NODEPOOL_CREDENTIAL_DURATION_SECONDS",
        help_heading = "Keyless identities (CloudAccounts)"
    )]
    pub credential_duration_seconds: Option<u32>,
}

/// How the controller writes its logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl RunArgs {
    /// The controller configuration these flags describe.
    pub fn config(&self) -> Config {
        // The Pod name in a cluster; elsewhere a name unique to this process.
        let identity = std::env::var("POD_NAME").unwrap_or_else(|_| {
            format!(
                "nodepool-controller-{}-{}",
                std::process::id(),
                fastrand::u32(..)
            )
        });
        let mut namespaces: Vec<String> = self
            .namespaces
            .iter()
            .chain(self.namespace.iter())
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .collect();
        namespaces.sort();
        namespaces.dedup();
        Config {
            namespaces,
            allow_insecure_endpoints: self.allow_insecure_endpoints,
            huawei_endpoint: self.huawei_endpoint.clone(),
            alibaba_endpoint: self.alibaba_endpoint.clone(),
            resync: Duration::from_secs(self.resync_seconds.max(1)),
            transient_poll: Duration::from_secs_f64(self.poll_seconds.max(0.1)),
            backoff_base: Duration::from_secs_f64(self.backoff_seconds.max(0.1)),
            backoff_max: Duration::from_secs(self.backoff_max_seconds.max(1)),
            rate_limit: RateLimit {
                per_second: self.cloud_rate,
                burst: self.cloud_burst,
            },
            concurrency: self.concurrency,
            instance: Some(identity.clone()),
            leader_election: self.leader_elect.then(|| LeaderElection {
                namespace: self.leader_election_namespace.clone(),
                lease_name: self.lease_name.clone(),
                identity,
                lease_seconds: self.lease_seconds,
            }),
            http_addr: Some(self.http_addr),
            create_grace: Duration::from_secs_f64(self.create_grace_seconds.max(0.0)),
            delete_timeout: Duration::from_secs_f64(self.delete_timeout_seconds.max(1.0)),
            identity: IdentityConfig {
                alibaba_sts_endpoint: self.alibaba_sts_endpoint.clone(),
                alibaba_role_arn: self.alibaba_role_arn.clone(),
                alibaba_oidc_provider_arn: self.alibaba_oidc_provider_arn.clone(),
                alibaba_oidc_token_file: self.alibaba_oidc_token_file.clone(),
                alibaba_role_session_name: self.alibaba_role_session_name.clone(),
                alibaba_metadata_endpoint: self.alibaba_metadata_endpoint.clone(),
                huawei_iam_endpoint: self.huawei_iam_endpoint.clone(),
                huawei_idp_id: self.huawei_idp_id.clone(),
                huawei_id_token_file: self.huawei_id_token_file.clone(),
                huawei_metadata_endpoint: self.huawei_metadata_endpoint.clone(),
                duration_seconds: self.credential_duration_seconds,
            },
            ..Config::default()
        }
    }
}
