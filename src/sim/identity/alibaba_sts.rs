//! Alibaba STS (RPC style, Version 2015-04-01): `AssumeRoleWithOIDC` (anonymous) and
//! `AssumeRole` (RPC signature, HMAC-SHA1), answered and refused as STS does.

use base64::Engine;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use sha1::Sha1;

use super::oidc::OidcError;
use super::{AlibabaRole, Answer, Cloud, Refusal, Request, form_pairs, iso_seconds};
use crate::cloud::sign::uri_encode;
use crate::sim::model::{now_ms, random_uuid};
use crate::sim::state::Sim;

/// STS's host, reported in error answers.
const HOST_ID: &str = "sts.aliyuncs.com";

/// Whether a request to `/` is an STS call (it names an `Action`).
pub fn is_sts(req: &Request<'_>) -> bool {
    params(req).iter().any(|(k, _)| k == "Action")
}

/// The parameters: the query and, for a form POST, the body.
fn params(req: &Request<'_>) -> Vec<(String, String)> {
    let mut p = form_pairs(req.query);
    let form = req
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    if form {
        p.extend(form_pairs(&String::from_utf8_lossy(req.body)));
    }
    p
}

fn get<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// An STS error answer.
pub fn error(status: u16, request_id: &str, code: &str, message: impl Into<String>) -> Answer {
    Answer::json(
        status,
        json!({
            "RequestId": request_id,
            "HostId": HOST_ID,
            "Code": code,
            "Message": message.into(),
            "Recommend": format!("https://api.aliyun.com/troubleshoot?q={code}&product=Sts"),
        }),
    )
}

/// The RPC signature (`SignatureVersion` 1.0): `base64(HMAC-SHA1(secret + "&",
/// METHOD&%2F&percentEncode(sorted k=v pairs joined by &)))` over every parameter but
/// `Signature`, RFC 3986 encoded.
pub fn rpc_string_to_sign(method: &str, params: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "Signature")
        .map(|(k, v)| (uri_encode(k.as_bytes()), uri_encode(v.as_bytes())))
        .collect();
    pairs.sort();
    let canonical = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        uri_encode(b"/"),
        uri_encode(canonical.as_bytes())
    )
}

/// Signs like an RPC client (used by tests and by the verifier).
pub fn rpc_signature(secret: &SecretString, string_to_sign: &str) -> String {
    let mut mac =
        <Hmac<Sha1> as Mac>::new_from_slice(format!("{}&", secret.expose_secret()).as_bytes())
            .expect("HMAC accepts keys of any length");
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn signature_matches(secret: &SecretString, string_to_sign: &str, given: &str) -> bool {
    let Ok(given) = base64::engine::general_purpose::STANDARD.decode(given) else {
        return false;
    };
    let mut mac =
        <Hmac<Sha1> as Mac>::new_from_slice(format!("{}&", secret.expose_secret()).as_bytes())
            .expect("HMAC accepts keys of any length");
    mac.update(string_to_sign.as_bytes());
    mac.verify_slice(&given).is_ok()
}

/// Serves one STS call; returns the operation name (for counters) and the answer.
pub async fn handle(sim: &Sim, req: &Request<'_>) -> (&'static str, Answer) {
    let request_id = random_uuid().to_uppercase();
    let params = params(req);
    match get(&params, "Action") {
        Some("AssumeRoleWithOIDC") => (
            "AssumeRoleWithOIDC",
            assume_role_with_oidc(sim, &params, &request_id).await,
        ),
        Some("AssumeRole") => (
            "AssumeRole",
            assume_role(sim, req.method, &params, &request_id),
        ),
        _ => (
            "Unknown",
            error(
                400,
                &request_id,
                "InvalidAction.NotFound",
                "Specified api is not found, please check your url and method.",
            ),
        ),
    }
}

/// `DurationSeconds`: absent, or 900..=43200.
fn duration(params: &[(String, String)], request_id: &str) -> Result<Option<u64>, Answer> {
    match get(params, "DurationSeconds") {
        None => Ok(None),
        Some(s) => match s.parse::<u64>() {
            Ok(n) if (900..=43200).contains(&n) => Ok(Some(n)),
            _ => Err(error(
                400,
                request_id,
                "InvalidParameter.DurationSeconds",
                "The parameter DurationSeconds is invalid: it must be between 900 and 43200 seconds.",
            )),
        },
    }
}

fn required<'a>(
    params: &'a [(String, String)],
    key: &str,
    request_id: &str,
) -> Result<&'a str, Answer> {
    get(params, key).ok_or_else(|| {
        error(
            400,
            request_id,
            &format!("MissingParameter.{key}"),
            format!("{key} is mandatory for this action."),
        )
    })
}

fn role<'a>(sim: &'a Sim, arn: &str, request_id: &str) -> Result<&'a AlibabaRole, Answer> {
    sim.identity
        .config
        .alibaba
        .roles
        .iter()
        .find(|r| r.arn.eq_ignore_ascii_case(arn))
        .ok_or_else(|| {
            error(
                404,
                request_id,
                "EntityNotExist.Role",
                format!("The role not exists: {arn}."),
            )
        })
}

fn no_permission(request_id: &str) -> Answer {
    error(
        403,
        request_id,
        "NoPermission",
        "You are not authorized to do this action. You should be authorized by RAM.",
    )
}

fn session_name<'a>(params: &'a [(String, String)], request_id: &str) -> Result<&'a str, Answer> {
    let name = required(params, "RoleSessionName", request_id)?;
    let ok = (2..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._@-".contains(&b));
    if ok {
        Ok(name)
    } else {
        Err(error(
            400,
            request_id,
            "InvalidParameter.RoleSessionName",
            "The parameter RoleSessionName is invalid: 2-64 characters of letters, digits and . @ - _.",
        ))
    }
}

/// Issues the role's keys and renders the answer.
fn issue(
    sim: &Sim,
    role: &AlibabaRole,
    session: &str,
    duration: Option<u64>,
    request_id: &str,
    extra: Option<(&str, Value)>,
) -> Answer {
    let now = now_ms();
    let expires = sim.identity.expiry(now, duration);
    let (ak, key) = sim.identity.issue_key(
        Cloud::Alibaba,
        format!("role:{}", role.arn),
        role.account.clone(),
        expires,
    );
    // A stable role id from the ARN: the same role always has the same id.
    let role_id: String = {
        use sha1::Digest;
        let digest = Sha1::digest(role.arn.as_bytes());
        let n = u64::from_be_bytes(digest[..8].try_into().unwrap_or([0; 8]));
        format!("3{:017}", n % 100_000_000_000_000_000)
    };
    let mut body = json!({
        "RequestId": request_id,
        "Credentials": {
            "AccessKeyId": ak,
            "AccessKeySecret": key.secret.expose_secret(),
            "SecurityToken": key.token.expose_secret(),
            "Expiration": iso_seconds(expires),
        },
        "AssumedRoleUser": {
            "Arn": format!("{}/{session}", role.arn),
            "AssumedRoleId": format!("{role_id}:{session}"),
        },
    });
    if let Some((k, v)) = extra {
        body[k] = v;
    }
    Answer::json(200, body)
}

async fn assume_role_with_oidc(sim: &Sim, params: &[(String, String)], request_id: &str) -> Answer {
    let attempt = async {
        let role_arn = required(params, "RoleArn", request_id)?;
        let provider_arn = required(params, "OIDCProviderArn", request_id)?;
        let token = get(params, "OIDCToken").ok_or_else(|| {
            error(
                401,
                request_id,
                "AuthenticationFail.OIDCToken.Invalid",
                "The OIDCToken can not empty.",
            )
        })?;
        let session = session_name(params, request_id)?;
        let duration = duration(params, request_id)?;
        let ident = &sim.identity;
        let provider = ident
            .config
            .alibaba
            .oidc_providers
            .iter()
            .find(|p| p.arn.eq_ignore_ascii_case(provider_arn))
            .ok_or_else(|| {
                error(
                    401,
                    request_id,
                    "AuthenticationFail.NoPermission",
                    "No such OIDC Provider registered.",
                )
            })?;
        let role = role(sim, role_arn, request_id)?;
        if !role
            .oidc_provider
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case(&provider.arn))
        {
            return Err(error(
                401,
                request_id,
                "AuthenticationFail.NoPermission",
                "There is no permission",
            ));
        }
        let verifier = ident.oidc.as_ref().ok_or_else(|| {
            error(
                401,
                request_id,
                "AuthenticationFail.NoPermission",
                "No such OIDC Provider registered.",
            )
        })?;
        let claims = verifier
            .verify(token, &provider.audiences)
            .await
            .map_err(|e| oidc_error(&e, request_id))?;
        if ident.is_revoked(&format!("alibaba_role:{}", role.arn))
            || !role.oidc_subjects.iter().any(|s| s == &claims.subject)
        {
            return Err(no_permission(request_id));
        }
        let info = json!({
            "Subject": claims.subject,
            "Issuer": claims.issuer,
            "ClientIds": claims.audiences.join(","),
            "ExpirationTime": iso_seconds(claims.expires.saturating_mul(1000)),
            "IssuanceTime": iso_seconds(claims.issued.saturating_mul(1000)),
        });
        Ok(issue(
            sim,
            role,
            session,
            duration,
            request_id,
            Some(("OIDCTokenInfo", info)),
        ))
    };
    attempt.await.unwrap_or_else(|a| a)
}

fn oidc_error(e: &OidcError, request_id: &str) -> Answer {
    let (code, message) = match e {
        OidcError::Expired => (
            "AuthenticationFail.OIDCToken.Expired",
            "This JsonWebToken is expired.".to_owned(),
        ),
        OidcError::Audience => (
            "AuthenticationFail.OIDCToken.AudienceNotMatch",
            "Invalid audience.".to_owned(),
        ),
        OidcError::Signature => (
            "AuthenticationFail.OIDCToken.InvalidSignature",
            "OIDC token validate failed: invalid signature.".to_owned(),
        ),
        OidcError::Issuer => (
            "AuthenticationFail.OIDCToken.Invalid",
            "The issuer of the OIDC token does not match the OIDC provider.".to_owned(),
        ),
        OidcError::UnknownKey => (
            "AuthenticationFail.OIDCToken.Invalid",
            "The key id of the OIDC token is not one of the OIDC provider's keys.".to_owned(),
        ),
        OidcError::Malformed(m) => (
            "AuthenticationFail.OIDCToken.Invalid",
            format!("The Jwt content is invalid that cannot be recognized: {m}"),
        ),
        OidcError::Discovery(m) => (
            "AuthenticationFail.OIDCToken.HttpsUrlInvalid",
            format!("Invoke url failed: {m}"),
        ),
    };
    error(401, request_id, code, message)
}

fn assume_role(sim: &Sim, method: &str, params: &[(String, String)], request_id: &str) -> Answer {
    let attempt = || -> Result<Answer, Answer> {
        let ak = required(params, "AccessKeyId", request_id)?;
        let signature = required(params, "Signature", request_id)?;
        if get(params, "SignatureMethod") != Some("HMAC-SHA1")
            || get(params, "SignatureVersion") != Some("1.0")
        {
            return Err(error(
                400,
                request_id,
                "IncompleteSignature",
                "The request signature does not conform to Aliyun standards: SignatureMethod must be HMAC-SHA1 and SignatureVersion 1.0.",
            ));
        }
        let timestamp = required(params, "Timestamp", request_id)?;
        let now = now_ms();
        let skew_ms = i64::try_from(sim.max_skew.as_millis()).unwrap_or(i64::MAX / 4);
        match timestamp.parse::<jiff::Timestamp>() {
            Err(_) => {
                return Err(error(
                    400,
                    request_id,
                    "InvalidTimeStamp.Format",
                    "Specified time stamp or date value is not well formatted.",
                ));
            }
            Ok(t) if (t.as_millisecond() - now).abs() > skew_ms => {
                return Err(error(
                    400,
                    request_id,
                    "InvalidTimeStamp.Expired",
                    "Specified time stamp or date value is expired.",
                ));
            }
            Ok(_) => {}
        }
        let secret = sim
            .alibaba_keys
            .get(ak)
            .cloned()
            .or_else(|| sim.identity.secret(Cloud::Alibaba, ak))
            .ok_or_else(|| {
                error(
                    404,
                    request_id,
                    "InvalidAccessKeyId.NotFound",
                    "Specified access key is not found.",
                )
            })?;
        let sts = rpc_string_to_sign(method, params);
        if !signature_matches(&secret, &sts, signature) {
            return Err(error(
                400,
                request_id,
                "SignatureDoesNotMatch",
                "Specified signature is not matched with our calculation.",
            ));
        }
        let nonce = required(params, "SignatureNonce", request_id)?;
        if !sim
            .identity
            .use_nonce(nonce, now, skew_ms.saturating_mul(2))
        {
            return Err(error(
                400,
                request_id,
                "SignatureNonceUsed",
                "Specified signature nonce was used already.",
            ));
        }
        let caller = match sim.identity.check_temporary(
            Cloud::Alibaba,
            ak,
            get(params, "SecurityToken"),
            now,
        ) {
            None => format!("account:{ak}"),
            Some(Ok((_, principal))) => principal,
            Some(Err(r)) => return Err(refusal(r, request_id)),
        };
        let role_arn = required(params, "RoleArn", request_id)?;
        let session = session_name(params, request_id)?;
        let duration = duration(params, request_id)?;
        let role = role(sim, role_arn, request_id)?;
        let trusted = role.trusted_principals.iter().any(|p| p == &caller);
        let external_ok = match &role.external_id {
            None => true,
            Some(want) => get(params, "ExternalId") == Some(want.as_str()),
        };
        if !trusted
            || !external_ok
            || sim
                .identity
                .is_revoked(&format!("alibaba_role:{}", role.arn))
        {
            return Err(no_permission(request_id));
        }
        Ok(issue(sim, role, session, duration, request_id, None))
    };
    attempt().unwrap_or_else(|a| a)
}

/// The answer for a refused temporary key (STS and ACK use the same codes).
pub fn refusal_code(r: Refusal) -> (&'static str, &'static str) {
    match r {
        Refusal::Missing => (
            "MissingSecurityToken",
            "SecurityToken is mandatory for this action.",
        ),
        Refusal::Mismatch => (
            "InvalidSecurityToken.MismatchWithAccessKey",
            "Specified SecurityToken mismatch with the AccessKey.",
        ),
        Refusal::Expired => (
            "InvalidSecurityToken.Expired",
            "Specified SecurityToken is expired.",
        ),
    }
}

fn refusal(r: Refusal, request_id: &str) -> Answer {
    let (code, message) = refusal_code(r);
    error(400, request_id, code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_to_sign_follows_the_rpc_rules() {
        let params: Vec<(String, String)> = [
            ("Action", "AssumeRole"),
            ("RoleSessionName", "a b*~"),
            ("Signature", "ignored"),
            ("AccessKeyId", "ak"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        assert_eq!(
            rpc_string_to_sign("get", &params),
            "GET&%2F&AccessKeyId%3Dak%26Action%3DAssumeRole%26RoleSessionName%3Da%2520b%252A~"
        );
    }

    #[test]
    fn signature_matches_what_python_credentials_computes() {
        // alibabacloud_credentials.utils.parameter_helper: compose_string_to_sign('GET', q) and
        // sign_string(sts, 'secret&') for this q give exactly these two strings.
        let params: Vec<(String, String)> = [
            ("Action", "AssumeRole"),
            ("AccessKeyId", "ak"),
            ("RoleSessionName", "s-1"),
            ("Timestamp", "2026-12-02T01:00:00Z"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let sts = rpc_string_to_sign("GET", &params);
        assert_eq!(
            sts,
            "GET&%2F&AccessKeyId%3Dak%26Action%3DAssumeRole%26RoleSessionName%3Ds-1%26Timestamp%3D2026-12-02T01%253A00%253A00Z"
        );
        let secret = SecretString::from("secret".to_owned());
        assert_eq!(rpc_signature(&secret, &sts), "5fMKQYPenD1nemEbs/mROjwCjZc=");
        assert!(signature_matches(
            &secret,
            &sts,
            "5fMKQYPenD1nemEbs/mROjwCjZc="
        ));
        assert!(!signature_matches(
            &SecretString::from("other".to_owned()),
            &sts,
            "5fMKQYPenD1nemEbs/mROjwCjZc="
        ));
        assert!(!signature_matches(&secret, &sts, "not base64!"));
    }
}
