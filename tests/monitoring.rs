//! The alerts and the dashboard of `deploy/monitoring/` against the controller: every metric
//! named in an alert expression or a dashboard panel must be one that the controller really
//! exports. The end-to-end test runs the controller and the cloud simulator against the real
//! local control plane, lets NodePools of both clouds reconcile (and one drift at the cloud),
//! and reads `/metrics`. Also:
//! every alert links a runbook section of docs/operations.md that exists.
//!
//! The metric names are read from PromQL by a small lexer (below, with its own tests): a full
//! PromQL parser crate brings 35 more crates into the lock file for this one check.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use common::e2e::*;
use kube::api::Api;
use nodepool_controller::cloud::PoolUpdate;
use nodepool_controller::crd::NodePool;
use serde_json::{Value, json};

const ALERTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/monitoring/alerts.yaml");
const DASHBOARD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/deploy/monitoring/dashboard.json"
);
const OPERATIONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/operations.md");

/// Series that Prometheus makes itself for every scrape target (not the controller's).
const SCRAPE_SERIES: &[&str] = &["up"];

/// PromQL functions and aggregation operators: identifiers that are never metric names.
const FUNCTIONS: &[&str] = &[
    "abs",
    "absent",
    "absent_over_time",
    "acos",
    "acosh",
    "asin",
    "asinh",
    "atan",
    "atanh",
    "avg",
    "avg_over_time",
    "bottomk",
    "ceil",
    "changes",
    "clamp",
    "clamp_max",
    "clamp_min",
    "cos",
    "cosh",
    "count",
    "count_over_time",
    "count_values",
    "day_of_month",
    "day_of_week",
    "day_of_year",
    "days_in_month",
    "deg",
    "delta",
    "deriv",
    "end",
    "exp",
    "floor",
    "group",
    "histogram_avg",
    "histogram_count",
    "histogram_fraction",
    "histogram_quantile",
    "histogram_stddev",
    "histogram_stdvar",
    "histogram_sum",
    "holt_winters",
    "hour",
    "idelta",
    "increase",
    "irate",
    "label_join",
    "label_replace",
    "last_over_time",
    "limitk",
    "limit_ratio",
    "ln",
    "log10",
    "log2",
    "mad_over_time",
    "max",
    "max_over_time",
    "min",
    "min_over_time",
    "minute",
    "month",
    "predict_linear",
    "present_over_time",
    "quantile",
    "quantile_over_time",
    "rad",
    "rate",
    "resets",
    "round",
    "scalar",
    "sgn",
    "sin",
    "sinh",
    "sort",
    "sort_by_label",
    "sort_by_label_desc",
    "sort_desc",
    "sqrt",
    "start",
    "stddev",
    "stddev_over_time",
    "stdvar",
    "stdvar_over_time",
    "sum",
    "sum_over_time",
    "tan",
    "tanh",
    "time",
    "timestamp",
    "topk",
    "vector",
    "year",
];
/// Keywords followed by a list of label names in parentheses.
const LABEL_LISTS: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];
/// Other keywords and constants.
const KEYWORDS: &[&str] = &[
    "and", "or", "unless", "offset", "bool", "atan2", "inf", "nan",
];

/// The metric names a PromQL expression selects. Grafana's `$variables` are skipped; a
/// `{__name__=...}` selector is refused (its name would be missed).
fn metric_names(expr: &str) -> BTreeSet<String> {
    assert!(
        !expr.contains("__name__"),
        "select metrics by name, not by __name__: {expr}"
    );
    let chars: Vec<char> = expr.chars().collect();
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    let skip_ws = |mut i: usize| {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        i
    };
    // Index after the group opened at `i` (a quote, `{`, `[` or `(`), strings inside skipped.
    fn close(chars: &[char], i: usize) -> usize {
        let open = chars[i];
        if matches!(open, '"' | '\'' | '`') {
            let mut j = i + 1;
            while j < chars.len() && chars[j] != open {
                j += if chars[j] == '\\' && open != '`' {
                    2
                } else {
                    1
                };
            }
            return j + 1;
        }
        let end = match open {
            '{' => '}',
            '[' => ']',
            _ => ')',
        };
        let mut j = i + 1;
        while j < chars.len() && chars[j] != end {
            j = if matches!(chars[j], '"' | '\'' | '`') {
                close(chars, j)
            } else {
                j + 1
            };
        }
        j + 1
    }
    let mut names = BTreeSet::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '"' | '\'' | '`' | '{' | '[' => i = close(&chars, i),
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '$' => {
                i += 1;
                while i < chars.len() && ident(chars[i]) {
                    i += 1;
                }
            }
            c if c.is_ascii_digit()
                || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) =>
            {
                while i < chars.len() && (ident(chars[i]) || chars[i] == '.') {
                    i += 1;
                }
            }
            c if c.is_ascii_alphabetic() || c == '_' || c == ':' => {
                let start = i;
                while i < chars.len() && ident(chars[i]) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let next = skip_ws(i);
                let lower = word.to_ascii_lowercase();
                if LABEL_LISTS.contains(&lower.as_str()) {
                    if chars.get(next) == Some(&'(') {
                        i = close(&chars, next);
                    }
                } else if FUNCTIONS.contains(&lower.as_str()) || KEYWORDS.contains(&lower.as_str())
                {
                    // Not a metric; its arguments are read on.
                } else {
                    assert!(
                        chars.get(next) != Some(&'('),
                        "{word}( in {expr}: a function this lexer does not know; add it to FUNCTIONS"
                    );
                    names.insert(word);
                }
            }
            _ => i += 1,
        }
    }
    names
}

/// Every alert expression of alerts.yaml, by alert name.
fn alert_exprs() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(ALERTS).expect("deploy/monitoring/alerts.yaml");
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).expect("alerts.yaml is YAML");
    let mut out = BTreeMap::new();
    for group in doc["groups"].as_sequence().expect("groups") {
        for rule in group["rules"].as_sequence().expect("rules") {
            let name = rule["alert"]
                .as_str()
                .or_else(|| rule["record"].as_str())
                .expect("an alert or a record")
                .to_string();
            let expr = rule["expr"].as_str().expect("expr").to_string();
            out.insert(name, expr);
        }
    }
    assert!(out.len() >= 5, "too few alerts read: {out:?}");
    out
}

/// Every query of the dashboard, by panel title.
fn dashboard_exprs() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(DASHBOARD).expect("deploy/monitoring/dashboard.json");
    let doc: Value = serde_json::from_str(&text).expect("dashboard.json is JSON");
    let mut out = Vec::new();
    let mut panels: Vec<&Value> = doc["panels"].as_array().expect("panels").iter().collect();
    while let Some(p) = panels.pop() {
        // Rows hold their panels when collapsed.
        if let Some(inner) = p["panels"].as_array() {
            panels.extend(inner);
        }
        for t in p["targets"].as_array().into_iter().flatten() {
            let expr = t["expr"].as_str().expect("a PromQL target");
            out.push((
                p["title"].as_str().unwrap_or("?").to_string(),
                expr.to_string(),
            ));
        }
    }
    assert!(out.len() >= 8, "too few dashboard queries read: {out:?}");
    out
}

/// The series names a `/metrics` text exports: from each family's `# TYPE` line (so a family
/// with no sample yet still counts) and from the samples themselves.
fn exported_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut parts = rest.split_whitespace();
            let (Some(name), Some(kind)) = (parts.next(), parts.next()) else {
                continue;
            };
            let suffixes: &[&str] = match kind {
                "counter" => &["_total"],
                "histogram" => &["_bucket", "_sum", "_count"],
                "summary" => &["", "_sum", "_count"],
                _ => &[""],
            };
            for s in suffixes {
                names.insert(format!("{name}{s}"));
            }
        } else if !line.starts_with('#') && !line.is_empty() {
            let end = line.find(['{', ' ']).unwrap_or(line.len());
            names.insert(line[..end].to_string());
        }
    }
    names
}

#[test]
fn the_lexer_finds_metric_names_and_nothing_else() {
    let cases: &[(&str, &[&str])] = &[
        ("up", &["up"]),
        (
            r#"sum by (cloud, outcome) (rate(nodepool_cloud_requests_total{outcome!~"ok|x{y}"}[$__rate_interval]))"#,
            &["nodepool_cloud_requests_total"],
        ),
        (
            "histogram_quantile(0.99, sum by (le) (rate(a_bucket[5m]))) / on() group_left(phase) b",
            &["a_bucket", "b"],
        ),
        (
            "(sum(increase(x_total[15m])) or on() vector(0)) == 0 and on() sum(max_over_time(g[1h])) > 0",
            &["g", "x_total"],
        ),
        ("vector($cloud_rate)", &[]),
        (
            "rate(a[5m] offset 1h) > 1e3 unless ignoring(job) c:recorded",
            &["a", "c:recorded"],
        ),
        ("absent(up{job=~\".*nodepool-controller.*\"} == 1)", &["up"]),
        ("max without (instance) (g) * 0.5", &["g"]),
    ];
    for (expr, want) in cases {
        let got: Vec<String> = metric_names(expr).into_iter().collect();
        assert_eq!(got, *want, "{expr}");
    }
}

#[test]
#[should_panic(expected = "a function this lexer does not know")]
fn the_lexer_refuses_unknown_functions() {
    metric_names("no_such_function(a)");
}

#[test]
fn exported_names_come_from_types_and_samples() {
    let text = "# HELP nodepool_drift x\n# TYPE nodepool_drift counter\n\
                # TYPE nodepool_reconcile_duration_seconds histogram\n\
                nodepool_reconcile_duration_seconds_sum 1.0\n\
                # TYPE nodepool_nodepools gauge\nnodepool_nodepools{phase=\"Creating\"} 0\n# EOF\n";
    let got = exported_names(text);
    let want: BTreeSet<String> = [
        "nodepool_drift_total",
        "nodepool_reconcile_duration_seconds_bucket",
        "nodepool_reconcile_duration_seconds_sum",
        "nodepool_reconcile_duration_seconds_count",
        "nodepool_nodepools",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(got, want);
}

/// GitHub's anchor for a Markdown heading.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

#[test]
fn every_alert_links_its_runbook_in_the_operations_guide() {
    let doc = std::fs::read_to_string(OPERATIONS).expect("docs/operations.md");
    let anchors: BTreeSet<String> = doc
        .lines()
        .filter_map(|l| l.strip_prefix('#'))
        .map(|l| anchor(l.trim_start_matches('#')))
        .collect();
    let text = std::fs::read_to_string(ALERTS).expect("alerts.yaml");
    let alerts: serde_yaml::Value = serde_yaml::from_str(&text).expect("YAML");
    let mut seen = 0;
    for group in alerts["groups"].as_sequence().expect("groups") {
        for rule in group["rules"].as_sequence().expect("rules") {
            let Some(name) = rule["alert"].as_str() else {
                continue;
            };
            let url = rule["annotations"]["runbook_url"]
                .as_str()
                .unwrap_or_else(|| panic!("{name} has no runbook_url"));
            let want = format!("docs/operations.md#{}", name.to_lowercase());
            assert_eq!(
                url, want,
                "{name}: the runbook is the section named after the alert"
            );
            assert!(
                anchors.contains(&name.to_lowercase()),
                "{name}: docs/operations.md has no heading `{name}` (runbook)"
            );
            for key in ["summary", "description"] {
                assert!(
                    rule["annotations"][key]
                        .as_str()
                        .is_some_and(|s| !s.is_empty()),
                    "{name} has no {key}"
                );
            }
            assert!(
                rule["labels"]["severity"].as_str().is_some(),
                "{name}: severity"
            );
            seen += 1;
        }
    }
    assert!(seen >= 5, "{seen} alerts");
}

/// The controller, the simulator and NodePools of both clouds on the real control plane; then
/// every metric named in the alerts and the dashboard must be in the controller's `/metrics`.
#[tokio::test]
async fn alerts_and_dashboard_use_only_metrics_the_controller_exports() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "monitoring").await;
    let (_sim, sim) = start_sim();
    create_secrets(&client, &ns.name).await;
    let port = free_port();
    let mut ctl = Ctl::new(&ns.name, &sim);
    ctl.http_addr = format!("127.0.0.1:{port}");
    // Steady pools are read again every second, so the change below is found at once.
    ctl.resync = "1";
    let _controller = ctl.start();

    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);
    create(&api, huawei_pool("observed-hw", 1)).await;
    create(&api, alibaba_pool("observed-ack", 1)).await;
    wait_ready(&api, "observed-hw", 1).await;
    wait_ready(&api, "observed-ack", 1).await;

    // A change at the cloud behind the controller's back (as in a console): scaled and
    // labelled; the controller sets it back and counts the drift (a metric family without
    // samples is not in the exposition at all, so this makes nodepool_drift_total appear).
    let cce = huawei_client(&sim);
    let pool = one_pool(cce.as_ref(), HW_CLUSTER, "observed-hw").await;
    let body = json!({"metadata": {"name": pool.name}, "spec": {"nodeTemplate": {
        "k8sTags": {"team": "someone-else"}
    }}});
    cce.update(
        HW_CLUSTER,
        &pool.id,
        &PoolUpdate {
            body,
            node_count: Some(3),
        },
    )
    .await
    .expect("a change behind the controller's back");

    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/metrics");
    let start = Instant::now();
    // The phase gauge follows the status write; wait until the scrape shows both pools back
    // in line and the drift counted.
    let text = loop {
        let text = http
            .get(&url)
            .send()
            .await
            .expect("/metrics answers")
            .text()
            .await
            .expect("text");
        if text.contains("nodepool_nodepools{phase=\"Synchronized\"} 2")
            && text.contains("nodepool_drift_total{")
        {
            break text;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the scrape never showed 2 Synchronized NodePools and the drift:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let exported = exported_names(&text);
    // A replica without leader election acts, and says so (the no-leader alert reads this).
    assert!(
        text.lines().any(|l| l.trim() == "nodepool_leader 1"),
        "nodepool_leader is 1:\n{text}"
    );
    // The families the dashboard plots have samples by now (reconciles and cloud calls happened).
    for sampled in [
        "nodepool_drift_total",
        "nodepool_reconcile_total",
        "nodepool_reconcile_duration_seconds_bucket",
        "nodepool_cloud_requests_total",
        "nodepool_cloud_request_duration_seconds_count",
        "nodepool_nodepools",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(sampled)),
            "no sample of {sampled}:\n{text}"
        );
    }

    let mut missing = Vec::new();
    let mut used = BTreeSet::new();
    let queries = alert_exprs()
        .into_iter()
        .map(|(n, e)| (format!("alert {n}"), e))
        .chain(
            dashboard_exprs()
                .into_iter()
                .map(|(t, e)| (format!("panel {t}"), e)),
        );
    for (whence, expr) in queries {
        for name in metric_names(&expr) {
            if !exported.contains(&name) && !SCRAPE_SERIES.contains(&name.as_str()) {
                missing.push(format!("{whence}: {name}"));
            }
            used.insert(name);
        }
    }
    assert!(
        missing.is_empty(),
        "metrics used but not exported by the controller: {missing:#?}\nexported: {exported:#?}"
    );
    // Nothing in the list above is left unused by mistake: the dashboard covers every family.
    for family in [
        "nodepool_nodepools",
        "nodepool_reconcile_total",
        "nodepool_reconcile_duration_seconds_bucket",
        "nodepool_cloud_requests_total",
        "nodepool_cloud_request_duration_seconds_bucket",
        "nodepool_drift_total",
    ] {
        assert!(used.contains(family), "{family} is in no alert or panel");
    }
    ns.delete().await;
}
