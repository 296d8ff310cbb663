//! Huawei IAM federation as `huaweicloudsdkcore` uses it: an OIDC ID token for an IAM token
//! (`POST /v3.0/OS-AUTH/id-token/tokens`), an IAM token for temporary keys, and temporary keys
//! of an agency (`POST /v3.0/OS-CREDENTIAL/securitytokens`, methods `token` / `assume_role`).

use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::{Answer, Cloud, HuaweiAgency, IamToken, Refusal, Request, iso_micros};
use crate::cloud::sign::{ReceivedRequest, VerifyError};
use crate::sim::model::{now_ms, random_hex};
use crate::sim::state::Sim;

/// A keystone-style IAM error.
pub fn error(status: u16, message: impl Into<String>) -> Answer {
    let title = match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Error",
    };
    Answer::json(
        status,
        json!({"error": {"code": status, "title": title, "message": message.into()}}),
    )
}

/// Serves one IAM call; returns the operation name (for counters) and the answer.
pub async fn handle(sim: &Sim, req: &Request<'_>) -> (&'static str, Answer) {
    let mut answer = match (req.method, req.path.trim_end_matches('/')) {
        ("POST", "/v3.0/OS-AUTH/id-token/tokens") => (
            "CreateTokenWithIdToken",
            token_with_id_token(sim, req).await,
        ),
        ("POST", "/v3.0/OS-CREDENTIAL/securitytokens") => security_tokens(sim, req),
        _ => (
            "Unknown",
            error(
                404,
                "The API does not exist or has not been published in the environment",
            ),
        ),
    };
    answer.1.headers.push(("X-IAM-Trace-Id", random_hex(32)));
    answer
}

fn json_body(req: &Request<'_>) -> Result<Value, Answer> {
    serde_json::from_slice(req.body).map_err(|_| error(400, "The request body is not valid JSON."))
}

async fn token_with_id_token(sim: &Sim, req: &Request<'_>) -> Answer {
    let attempt = async {
        let idp_id = req
            .header("x-idp-id")
            .filter(|s| !s.is_empty())
            .ok_or_else(|| error(400, "The X-Idp-Id header is required."))?;
        let body = json_body(req)?;
        let id_token = body["auth"]["id_token"]["id"]
            .as_str()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| error(400, "auth.id_token.id is required."))?;
        let ident = &sim.identity;
        let idp = ident
            .config
            .huawei
            .idps
            .iter()
            .find(|i| i.id == idp_id)
            .filter(|i| !ident.is_revoked(&format!("huawei_idp:{}", i.id)))
            .ok_or_else(|| {
                error(
                    401,
                    format!("The identity provider {idp_id} does not exist or is disabled."),
                )
            })?;
        let verifier = ident.oidc.as_ref().ok_or_else(|| {
            error(
                401,
                "The identity provider has no OpenID Connect configuration.",
            )
        })?;
        let claims = verifier
            .verify(id_token, std::slice::from_ref(&idp.audience))
            .await
            .map_err(|e| error(401, format!("The id_token is invalid: {e}.")))?;
        if !idp.subjects.iter().any(|s| s == &claims.subject) {
            return Err(error(
                403,
                "The identity conversion rules of the identity provider map this id_token to no user.",
            ));
        }
        let scope = &body["auth"]["scope"];
        let (project, scope_json) = if scope["project"].is_object() {
            let p = scope["project"]["id"]
                .as_str()
                .or_else(|| scope["project"]["name"].as_str())
                .ok_or_else(|| error(400, "scope.project needs id or name."))?;
            (
                Some(p.to_owned()),
                Some((
                    "project",
                    json!({"id": p, "name": p, "domain": {"id": idp.domain_id, "name": idp.domain_name}}),
                )),
            )
        } else if scope["domain"].is_object() {
            (
                None,
                Some((
                    "domain",
                    json!({"id": idp.domain_id, "name": idp.domain_name}),
                )),
            )
        } else {
            (None, None)
        };
        let now = now_ms();
        let expires = ident.expiry(now, None);
        let text = ident.issue_iam_token(IamToken {
            idp: idp.id.clone(),
            user: claims.subject.clone(),
            project,
            expires_ms: expires,
        });
        let mut token = json!({
            "expires_at": iso_micros(expires),
            "issued_at": iso_micros(now),
            "methods": ["mapped"],
            "user": {
                "id": random_hex(32),
                "name": claims.subject,
                "domain": {"id": idp.domain_id, "name": idp.domain_name},
                "OS-FEDERATION": {
                    "identity_provider": {"id": idp.id},
                    "protocol": {"id": "oidc"},
                    "groups": [],
                },
            },
            "roles": [],
            "catalog": [],
        });
        if let Some((k, v)) = scope_json {
            token[k] = v;
        }
        let mut a = Answer::json(201, json!({"token": token}));
        a.headers.push(("X-Subject-Token", text));
        Ok(a)
    };
    attempt.await.unwrap_or_else(|a| a)
}

fn security_tokens(sim: &Sim, req: &Request<'_>) -> (&'static str, Answer) {
    let body = match json_body(req) {
        Ok(b) => b,
        Err(a) => return ("CreateTemporaryAccessKeyByToken", a),
    };
    let identity = &body["auth"]["identity"];
    let methods: Vec<&str> = identity["methods"]
        .as_array()
        .map(|m| m.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let duration = identity["token"]["duration_seconds"]
        .as_u64()
        .or_else(|| identity["assume_role"]["duration_seconds"].as_u64());
    if let Some(d) = duration
        && !(900..=86400).contains(&d)
    {
        return (
            "CreateTemporaryAccessKeyByToken",
            error(400, "duration_seconds must be between 900 and 86400."),
        );
    }
    match methods.as_slice() {
        ["token"] => (
            "CreateTemporaryAccessKeyByToken",
            by_token(sim, req, &identity["token"], duration),
        ),
        ["assume_role"] => (
            "CreateTemporaryAccessKeyByAgency",
            by_agency(sim, req, &identity["assume_role"], duration),
        ),
        _ => (
            "CreateTemporaryAccessKeyByToken",
            error(
                400,
                "auth.identity.methods must be [\"token\"] or [\"assume_role\"].",
            ),
        ),
    }
}

fn credential(sim: &Sim, principal: String, account: String, duration: Option<u64>) -> Answer {
    let expires = sim.identity.expiry(now_ms(), duration);
    let (ak, key) = sim
        .identity
        .issue_key(Cloud::Huawei, principal, account, expires);
    Answer::json(
        201,
        json!({"credential": {
            "access": ak,
            "secret": key.secret.expose_secret(),
            "securitytoken": key.token.expose_secret(),
            "expires_at": iso_micros(expires),
        }}),
    )
}

/// The caller of a request authenticated with an IAM token: `idp:<ID>`.
fn token_caller(sim: &Sim, text: &str) -> Result<String, Answer> {
    let ident = &sim.identity;
    let t = ident
        .iam_token(text, now_ms())
        .ok_or_else(|| error(401, "The token is invalid or has expired."))?;
    if ident.is_revoked(&format!("huawei_idp:{}", t.idp)) {
        return Err(error(
            401,
            "The token is invalid: its identity provider is disabled.",
        ));
    }
    Ok(format!("idp:{}", t.idp))
}

fn by_token(sim: &Sim, req: &Request<'_>, token: &Value, duration: Option<u64>) -> Answer {
    let text = token["id"]
        .as_str()
        .filter(|s| !s.is_empty())
        .or_else(|| req.header("x-auth-token"));
    let Some(text) = text else {
        return error(
            401,
            "The request you have made requires authentication: no token.",
        );
    };
    let caller = match token_caller(sim, text) {
        Ok(c) => c,
        Err(a) => return a,
    };
    let idp_id = caller.trim_start_matches("idp:");
    let Some(idp) = sim
        .identity
        .config
        .huawei
        .idps
        .iter()
        .find(|i| i.id == idp_id)
    else {
        return error(401, "The token is invalid or has expired.");
    };
    credential(sim, caller.clone(), idp.account.clone(), duration)
}

fn agency<'a>(sim: &'a Sim, assume: &Value) -> Option<&'a HuaweiAgency> {
    let name = assume["agency_name"].as_str()?;
    let by_name = assume["domain_name"].as_str();
    let by_id = assume["domain_id"].as_str();
    sim.identity.config.huawei.agencies.iter().find(|a| {
        a.name == name
            && (by_name == Some(a.domain_name.as_str())
                || (by_id.is_some() && by_id == a.domain_id.as_deref()))
    })
}

/// The caller of a signed request: `account:<AK>` or a temporary key's principal.
fn signed_caller(sim: &Sim, req: &Request<'_>) -> Result<String, Answer> {
    let headers: Vec<(&str, &[u8])> = req
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_bytes()))
        .collect();
    let received = ReceivedRequest {
        method: req.method,
        path: req.path,
        query: req.query,
        headers: &headers,
        body: req.body,
    };
    let v = crate::cloud::huawei::sign::verify(
        &received,
        sim.huawei_keys(),
        jiff::Timestamp::now(),
        sim.max_skew,
    )
    .map_err(|e| {
        error(
            401,
            match e {
                VerifyError::UnknownAccessKey(_) => "The access key does not exist.".to_owned(),
                VerifyError::SignatureMismatch => "The signature does not match.".to_owned(),
                other => format!("The request signature is invalid: {}.", other.reason()),
            },
        )
    })?;
    match sim.identity.check_temporary(
        Cloud::Huawei,
        &v.access_key,
        req.header("x-security-token"),
        now_ms(),
    ) {
        None => Ok(format!("account:{}", v.access_key)),
        Some(Ok((_, principal))) => Ok(principal),
        Some(Err(r)) => Err(error(
            401,
            match r {
                Refusal::Missing => "The security token is missing.",
                Refusal::Mismatch => "The security token does not match the access key.",
                Refusal::Expired => "The security token has expired.",
            },
        )),
    }
}

fn by_agency(sim: &Sim, req: &Request<'_>, assume: &Value, duration: Option<u64>) -> Answer {
    let attempt = || -> Result<Answer, Answer> {
        let caller = if let Some(text) = req.header("x-auth-token") {
            token_caller(sim, text)?
        } else if req.headers.contains_key("authorization") {
            signed_caller(sim, req)?
        } else {
            return Err(error(
                401,
                "The request you have made requires authentication.",
            ));
        };
        if assume["agency_name"].as_str().is_none()
            || (assume["domain_name"].as_str().is_none() && assume["domain_id"].as_str().is_none())
        {
            return Err(error(
                400,
                "assume_role needs agency_name and domain_name or domain_id.",
            ));
        }
        let agency = agency(sim, assume).ok_or_else(|| error(404, "The agency does not exist."))?;
        if sim
            .identity
            .is_revoked(&format!("huawei_agency:{}", agency.key()))
            || !agency.trusted_principals.iter().any(|p| p == &caller)
        {
            return Err(error(403, "You are not allowed to assume this agency."));
        }
        Ok(credential(
            sim,
            format!("agency:{}", agency.key()),
            agency.account.clone(),
            duration,
        ))
    };
    attempt().unwrap_or_else(|a| a)
}
