//! The simulator's configuration: command-line flags and the YAML scenario file.
//!
//! Flags and the file are merged: accounts, tokens and clusters from both are used; a timing flag
//! overrides the file's value.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Command-line flags of `nodepool-cloudsim` (each also an environment variable).
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "nodepool-cloudsim",
    about = "The Huawei CCE and Alibaba ACK node-pool APIs on localhost"
)]
pub struct Args {
    /// Address to serve both clouds on (CCE under /api/v3/, ACK under /clusters/ and /tasks/,
    /// the admin API under /_sim/). Port 0 picks a free port; the bound address is printed.
    #[arg(long, env = "CLOUDSIM_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// A Huawei account as AK:SK (repeatable).
    #[arg(
        long = "huawei-account",
        env = "CLOUDSIM_HUAWEI_ACCOUNTS",
        value_delimiter = ','
    )]
    pub huawei_accounts: Vec<String>,
    /// A Huawei IAM token accepted in X-Auth-Token, as TOKEN or TOKEN@PROJECT_ID (repeatable).
    #[arg(
        long = "huawei-token",
        env = "CLOUDSIM_HUAWEI_TOKENS",
        value_delimiter = ','
    )]
    pub huawei_tokens: Vec<String>,
    /// An Alibaba account as AK:SK (repeatable).
    #[arg(
        long = "alibaba-account",
        env = "CLOUDSIM_ALIBABA_ACCOUNTS",
        value_delimiter = ','
    )]
    pub alibaba_accounts: Vec<String>,
    /// A CCE cluster as PROJECT_ID/CLUSTER_ID (repeatable).
    #[arg(
        long = "huawei-cluster",
        env = "CLOUDSIM_HUAWEI_CLUSTERS",
        value_delimiter = ','
    )]
    pub huawei_clusters: Vec<String>,
    /// An ACK cluster id (repeatable).
    #[arg(
        long = "alibaba-cluster",
        env = "CLOUDSIM_ALIBABA_CLUSTERS",
        value_delimiter = ','
    )]
    pub alibaba_clusters: Vec<String>,
    /// State file: loaded at start if present, saved after changes and on shutdown.
    #[arg(long, env = "CLOUDSIM_STATE")]
    pub state: Option<PathBuf>,
    /// YAML scenario file (accounts, clusters, timings, faults).
    #[arg(long, env = "CLOUDSIM_CONFIG")]
    pub config: Option<PathBuf>,
    /// Seconds from create until a pool's first node arrives (CCE Synchronizing, ACK initial).
    #[arg(long, env = "CLOUDSIM_PROVISION_SECONDS")]
    pub provision_seconds: Option<f64>,
    /// Seconds per node added or removed.
    #[arg(long, env = "CLOUDSIM_NODE_SECONDS")]
    pub node_seconds: Option<f64>,
    /// Seconds a delete takes before the pool is gone (404).
    #[arg(long, env = "CLOUDSIM_DELETE_SECONDS")]
    pub delete_seconds: Option<f64>,
    /// Seconds an ACK configuration update stays `updating`.
    #[arg(long, env = "CLOUDSIM_UPDATE_SECONDS")]
    pub update_seconds: Option<f64>,
    /// Allowed clock skew of signed requests, in seconds.
    #[arg(long, env = "CLOUDSIM_MAX_SKEW_SECONDS", default_value_t = 900)]
    pub max_skew_seconds: u64,
    /// The OIDC issuer whose ID tokens the identity services accept (its discovery document and
    /// JWKS are fetched); overrides the file's `identity.oidc.issuer`.
    #[arg(long, env = "CLOUDSIM_OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,
    /// PEM CA file for the OIDC issuer's TLS certificate.
    #[arg(long, env = "CLOUDSIM_OIDC_CA_FILE")]
    pub oidc_ca_file: Option<PathBuf>,
    /// Lifetime of issued temporary keys and IAM tokens, in seconds (default 3600).
    #[arg(long, env = "CLOUDSIM_CREDENTIAL_SECONDS")]
    pub credential_seconds: Option<u64>,
}

/// An access key pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// Access key id.
    pub access_key: String,
    /// Secret access key.
    pub secret_key: String,
}

impl Account {
    /// Parses `AK:SK` (the secret may itself contain `:`).
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.split_once(':') {
            Some((ak, sk)) if !ak.is_empty() && !sk.is_empty() => Ok(Self {
                access_key: ak.to_owned(),
                secret_key: sk.to_owned(),
            }),
            _ => Err(format!("account {text:?} is not AK:SK")),
        }
    }
}

/// A Huawei IAM token accepted in `X-Auth-Token`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Token {
    /// The token text.
    pub token: String,
    /// The project the token is scoped to (any project when absent).
    #[serde(default)]
    pub project_id: Option<String>,
}

/// How long lifecycle steps take, in seconds (fractions allowed).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Timings {
    /// From create until the first node arrives.
    pub provision_seconds: f64,
    /// Per node added or removed.
    pub node_seconds: f64,
    /// From delete until the pool is gone.
    pub delete_seconds: f64,
    /// How long an ACK configuration update stays `updating`.
    pub update_seconds: f64,
}

impl Default for Timings {
    fn default() -> Self {
        Self {
            provision_seconds: 5.0,
            node_seconds: 1.0,
            delete_seconds: 5.0,
            update_seconds: 2.0,
        }
    }
}

/// Converts fractional seconds to whole milliseconds (negative and NaN become 0).
pub fn millis(seconds: f64) -> i64 {
    if seconds.is_finite() && seconds > 0.0 {
        (seconds * 1000.0).round() as i64
    } else {
        0
    }
}

/// Faults applied to requests of one account (or to all, as the global default).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FaultSpec {
    /// Requests per minute per account before the cloud's throttling answer (token bucket).
    pub rate_limit_per_minute: Option<u32>,
    /// Extra latency added to every answer, in milliseconds.
    pub latency_ms: u64,
    /// Fraction (0–1) of requests answered with a 5xx error.
    pub error_rate: f64,
    /// Fraction (0–1) of requests that hang for `timeout_ms` and then have their connection
    /// dropped without an answer.
    pub timeout_rate: f64,
    /// How long a timed-out request hangs, in milliseconds (default 60000).
    pub timeout_ms: Option<u64>,
}

/// Every configurable fault. Replaced as a whole by `PUT /_sim/faults`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Faults {
    /// Applied to every account without its own entry.
    pub global: FaultSpec,
    /// Per access key (Huawei AK, Alibaba AK, or Huawei token text); replaces `global`.
    pub accounts: BTreeMap<String, FaultSpec>,
    /// CCE flavors that are sold out: pools cannot grow (phase SoldOut).
    pub huawei_sold_out_flavors: BTreeSet<String>,
    /// CCE flavors whose pools fail (phase Error).
    pub huawei_failing_flavors: BTreeSet<String>,
    /// ACK instance types that are sold out: pools cannot grow, the task fails.
    pub alibaba_sold_out_instance_types: BTreeSet<String>,
    /// ACK instance types whose pools fail (state failed).
    pub alibaba_failing_instance_types: BTreeSet<String>,
    /// Most nodes (pool targets summed) one cluster may hold; growth beyond stops
    /// (CCE QuotaInsufficient, ACK task fails with QuotaExceed.ElasticQuota).
    pub max_nodes_per_cluster: Option<u32>,
    /// Most node pools one cluster may hold; a create beyond is refused.
    pub max_pools_per_cluster: Option<u32>,
    /// How many of the next accepted creates (CCE CreateNodePool or ACK CreateClusterNodePool,
    /// whichever come first, any account) lose their answer: the pool is created as usual, but
    /// the connection is dropped without an answer (counted as outcome `lost_answer`). Counts
    /// down by one per lost answer, so `GET /_sim/faults` shows how many are left; a refused
    /// create (4xx) does not use one up.
    pub lose_create_answers: u32,
    /// How long a pool whose create answer was lost stays invisible, in milliseconds: list
    /// leaves it out and get, update, scale and delete answer "not found" until then. It still
    /// exists meanwhile: it holds its name (CCE answers 409 to a second create with that name),
    /// counts toward `max_pools_per_cluster`, its nodes are provisioned from the create on, and
    /// the admin API's `GET /_sim/pools` shows it.
    pub late_visibility_ms: u64,
}

impl Faults {
    /// The fault spec for an account.
    pub fn for_account(&self, account: &str) -> &FaultSpec {
        self.accounts.get(account).unwrap_or(&self.global)
    }
}

/// Huawei part of the scenario file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HuaweiScenario {
    /// AK/SK accounts.
    pub accounts: Vec<Account>,
    /// Accepted IAM tokens.
    pub tokens: Vec<Token>,
    /// Clusters as `PROJECT_ID/CLUSTER_ID`.
    pub clusters: Vec<String>,
}

/// Alibaba part of the scenario file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlibabaScenario {
    /// AK/SK accounts.
    pub accounts: Vec<Account>,
    /// Cluster ids.
    pub clusters: Vec<String>,
}

/// The YAML scenario file (`--config`). Every key is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    /// Huawei accounts, tokens and clusters.
    pub huawei: HuaweiScenario,
    /// Alibaba accounts and clusters.
    pub alibaba: AlibabaScenario,
    /// Lifecycle timings.
    pub timings: Timings,
    /// Faults at start.
    pub faults: Faults,
    /// Allowed clock skew of signed requests, in seconds (default 900).
    pub max_skew_seconds: Option<u64>,
    /// The identity services: OIDC issuer, roles, IdPs, agencies, the instance.
    pub identity: super::identity::IdentityScenario,
}

/// Splits `PROJECT_ID/CLUSTER_ID`.
pub fn parse_huawei_cluster(text: &str) -> Result<(String, String), String> {
    match text.split_once('/') {
        Some((p, c)) if !p.is_empty() && !c.is_empty() && !c.contains('/') => {
            Ok((p.to_owned(), c.to_owned()))
        }
        _ => Err(format!("cluster {text:?} is not PROJECT_ID/CLUSTER_ID")),
    }
}

impl Scenario {
    /// Reads a scenario file.
    pub fn load(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        serde_yaml::from_str(&text).map_err(|e| format!("parsing {}: {e}", path.display()))
    }

    /// Merges the flags into this scenario (flags add accounts and clusters, timing flags
    /// override) and checks every entry.
    pub fn merge_args(mut self, args: &Args) -> Result<Self, String> {
        for a in &args.huawei_accounts {
            self.huawei.accounts.push(Account::parse(a)?);
        }
        for a in &args.alibaba_accounts {
            self.alibaba.accounts.push(Account::parse(a)?);
        }
        for t in &args.huawei_tokens {
            let (token, project_id) = match t.split_once('@') {
                Some((tok, p)) => (tok.to_owned(), Some(p.to_owned())),
                None => (t.clone(), None),
            };
            self.huawei.tokens.push(Token { token, project_id });
        }
        self.huawei
            .clusters
            .extend(args.huawei_clusters.iter().cloned());
        self.alibaba
            .clusters
            .extend(args.alibaba_clusters.iter().cloned());
        for c in &self.huawei.clusters {
            parse_huawei_cluster(c)?;
        }
        if let Some(s) = args.provision_seconds {
            self.timings.provision_seconds = s;
        }
        if let Some(s) = args.node_seconds {
            self.timings.node_seconds = s;
        }
        if let Some(s) = args.delete_seconds {
            self.timings.delete_seconds = s;
        }
        if let Some(s) = args.update_seconds {
            self.timings.update_seconds = s;
        }
        if self.max_skew_seconds.is_none() {
            self.max_skew_seconds = Some(args.max_skew_seconds);
        }
        if let Some(issuer) = &args.oidc_issuer {
            let ca_file = self.identity.oidc.take().and_then(|o| o.ca_file);
            self.identity.oidc = Some(super::identity::OidcIssuer {
                issuer: issuer.clone(),
                ca_file,
            });
        }
        if let Some(ca) = &args.oidc_ca_file {
            match &mut self.identity.oidc {
                Some(o) => o.ca_file = Some(ca.clone()),
                None => return Err("--oidc-ca-file needs an OIDC issuer".into()),
            }
        }
        if args.credential_seconds.is_some() {
            self.identity.credential_seconds = args.credential_seconds;
        }
        self.identity.check()?;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn flags_and_file_merge() {
        let yaml = r#"
huawei:
  accounts: [{access_key: HAK, secret_key: HSK}]
  clusters: [p1/c1]
alibaba:
  clusters: [ca]
timings: {provision_seconds: 3, node_seconds: 0.5}
faults:
  global: {latency_ms: 5}
  accounts: {HAK: {rate_limit_per_minute: 10}}
  huawei_sold_out_flavors: [c7.large.2]
"#;
        let scenario: Scenario = serde_yaml::from_str(yaml).unwrap();
        let args = Args::parse_from([
            "x",
            "--huawei-account",
            "A:B:C",
            "--alibaba-account",
            "K:S",
            "--huawei-cluster",
            "p2/c2",
            "--node-seconds",
            "0.25",
        ]);
        let s = scenario.merge_args(&args).unwrap();
        assert_eq!(s.huawei.accounts.len(), 2);
        assert_eq!(s.huawei.accounts[1].secret_key, "B:C");
        assert_eq!(s.huawei.clusters, vec!["p1/c1", "p2/c2"]);
        assert_eq!(s.timings.provision_seconds, 3.0);
        assert_eq!(s.timings.node_seconds, 0.25);
        assert_eq!(s.faults.for_account("HAK").rate_limit_per_minute, Some(10));
        assert_eq!(s.faults.for_account("other").latency_ms, 5);
    }

    #[test]
    fn bad_entries_are_refused() {
        assert!(Account::parse("nocolon").is_err());
        assert!(Account::parse(":x").is_err());
        assert!(parse_huawei_cluster("p").is_err());
        assert!(parse_huawei_cluster("p/c/d").is_err());
        assert!(serde_yaml::from_str::<Scenario>("unknown: 1").is_err());
    }
}
