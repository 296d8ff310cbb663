//! The ECS metadata services' credential paths: Alibaba's RAM role
//! (`/latest/meta-data/ram/security-credentials/`, IMDSv2 token `PUT /latest/api/token`) and
//! Huawei's agency security key (`/openstack/latest/securitykey`, token
//! `PUT /meta-data/latest/api/token`). Credentials come from the instance's role / agency.

use secrecy::ExposeSecret;
use serde_json::json;

use super::{Answer, Cloud, Request, iso_micros, iso_seconds};
use crate::sim::model::now_ms;
use crate::sim::state::Sim;

/// Largest metadata token TTL, seconds (both clouds: 6 hours).
const MAX_TTL: u64 = 21_600;

fn ttl(req: &Request<'_>, header: &str) -> Option<u64> {
    req.header(header)
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|t| (1..=MAX_TTL).contains(t))
}

/// Alibaba ECS metadata.
pub fn alibaba(sim: &Sim, req: &Request<'_>) -> (&'static str, Answer) {
    const PREFIX: &str = "/latest/meta-data/ram/security-credentials/";
    let ident = &sim.identity;
    let now = now_ms();
    if req.path == "/latest/api/token" {
        if req.method != "PUT" {
            return ("GetMetadataToken", Answer::text(405, "Method Not Allowed"));
        }
        return match ttl(req, "x-aliyun-ecs-metadata-token-ttl-seconds") {
            Some(t) => (
                "GetMetadataToken",
                Answer::text(200, ident.issue_metadata_token(t)),
            ),
            None => (
                "GetMetadataToken",
                Answer::text(
                    400,
                    "X-aliyun-ecs-metadata-token-ttl-seconds must be 1-21600",
                ),
            ),
        };
    }
    let op = if req.path == PREFIX || req.path == PREFIX.trim_end_matches('/') {
        "ListRamRoles"
    } else {
        "GetRamRoleCredentials"
    };
    if !req.path.starts_with(PREFIX.trim_end_matches('/')) {
        return ("Unknown", Answer::text(404, "Not Found"));
    }
    if req.method != "GET" {
        return (op, Answer::text(405, "Method Not Allowed"));
    }
    let token_ok = match req.header("x-aliyun-ecs-metadata-token") {
        Some(t) => ident.metadata_token_ok(t, now),
        None => !ident.config.instance.alibaba_imds_v2_required,
    };
    if !token_ok {
        return (op, Answer::text(403, "Forbidden"));
    }
    let role = ident
        .config
        .instance
        .alibaba_role
        .as_deref()
        .and_then(|arn| ident.config.alibaba.roles.iter().find(|r| r.arn == arn))
        .filter(|r| !ident.is_revoked(&format!("alibaba_role:{}", r.arn)));
    let Some(role) = role else {
        return (op, Answer::text(404, "Not Found"));
    };
    if op == "ListRamRoles" {
        return (op, Answer::text(200, role.name()));
    }
    if req.path.trim_start_matches(PREFIX) != role.name() {
        return (op, Answer::text(404, "Not Found"));
    }
    let expires = ident.expiry(now, None);
    let (ak, key) = ident.issue_key(
        Cloud::Alibaba,
        format!("role:{}", role.arn),
        role.account.clone(),
        expires,
    );
    (
        op,
        Answer::json(
            200,
            json!({
                "AccessKeyId": ak,
                "AccessKeySecret": key.secret.expose_secret(),
                "Expiration": iso_seconds(expires),
                "SecurityToken": key.token.expose_secret(),
                "LastUpdated": iso_seconds(now - now.rem_euclid(1000)),
                "Code": "Success",
            }),
        ),
    )
}

/// Huawei ECS metadata.
pub fn huawei(sim: &Sim, req: &Request<'_>) -> (&'static str, Answer) {
    let ident = &sim.identity;
    let now = now_ms();
    match req.path {
        "/meta-data/latest/api/token" => {
            if req.method != "PUT" {
                return ("GetMetadataToken", Answer::text(405, "Method Not Allowed"));
            }
            match ttl(req, "x-metadata-token-ttl-seconds") {
                Some(t) => (
                    "GetMetadataToken",
                    Answer::text(200, ident.issue_metadata_token(t)),
                ),
                None => (
                    "GetMetadataToken",
                    Answer::text(400, "X-Metadata-Token-Ttl-Seconds must be 1-21600"),
                ),
            }
        }
        "/openstack/latest/securitykey" => {
            let op = "GetSecurityKey";
            if req.method != "GET" {
                return (op, Answer::text(405, "Method Not Allowed"));
            }
            let token_ok = match req.header("x-metadata-token") {
                Some(t) => ident.metadata_token_ok(t, now),
                None => !ident.config.instance.huawei_metadata_token_required,
            };
            if !token_ok {
                return (
                    op,
                    Answer::text(
                        401,
                        "Unauthorized: the metadata token is missing or invalid",
                    ),
                );
            }
            let agency = ident
                .config
                .instance
                .huawei_agency
                .as_deref()
                .and_then(|k| ident.config.huawei.agencies.iter().find(|a| a.key() == k))
                .filter(|a| !ident.is_revoked(&format!("huawei_agency:{}", a.key())));
            let Some(agency) = agency else {
                return (
                    op,
                    Answer::text(401, "Please configure Cloud Service Agency first"),
                );
            };
            let expires = ident.expiry(now, None);
            let (ak, key) = ident.issue_key(
                Cloud::Huawei,
                format!("agency:{}", agency.key()),
                agency.account.clone(),
                expires,
            );
            (
                op,
                Answer::json(
                    200,
                    json!({"credential": {
                        "access": ak,
                        "secret": key.secret.expose_secret(),
                        "securitytoken": key.token.expose_secret(),
                        "expires_at": iso_micros(expires),
                    }}),
                ),
            )
        }
        _ => ("Unknown", Answer::text(404, "Not Found")),
    }
}
