//! Alibaba Cloud's older ROA signature, HMAC-SHA1 (`Authorization: acs <AK>:<signature>`), which
//! the ACK API gateway accepts beside `ACS3-HMAC-SHA256` ([`super::sign`]). Tools that sign this
//! way: `aliyun-python-sdk-core` (`auth/composer/roa_signature_composer.py`),
//! `alibabacloud_tea_openapi` with `signature_algorithm = 'v2'` (`Utils.get_string_to_sign`), the
//! Go `tea-roa` client and the Terraform alicloud provider's ACK client built on them.
//!
//! ```text
//! StringToSign = METHOD \n Accept \n Content-MD5 \n Content-Type \n Date \n
//!                (x-acs-name:value\n)*              every x-acs-* header, names lowercased, sorted
//!                path[?key[=value]&...]             the query sorted by key, raw (decoded) values
//! Signature    = base64(hmac_sha1(AccessKeySecret, StringToSign))
//! ```
//!
//! Details of the official implementations reproduced here:
//! * a missing `Accept`, `Content-MD5`, `Content-Type` or `Date` leaves its line empty;
//! * `x-acs-signature-method: HMAC-SHA1` and `x-acs-signature-version: 1.0` are sent and signed
//!   (as x-acs headers); so are `x-acs-signature-nonce` (tea and tea-openapi; `aliyun-python-sdk-core`
//!   sends none) and, with temporary keys, `x-acs-security-token`;
//! * a query parameter with an empty value is written as `key` by tea-openapi and the ROA signing
//!   document, but as `key=` by `aliyun-python-sdk-core`: the verifier accepts either;
//! * the body is covered only through `Content-MD5` (base64 of its MD5), which
//!   `aliyun-python-sdk-core` sends with a body and tea-openapi does not; the verifier checks it
//!   against the body whenever it is present, and the signer always sends it with a body.
//!
//! The controller signs with `ACS3-HMAC-SHA256`; this module is here for the simulator, which
//! must accept what the real gateway accepts, and its signer for tests.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use md5::{Digest, Md5};
use secrecy::{ExposeSecret, SecretString};
use sha1::Sha1;

use crate::cloud::sign::{
    ReceivedRequest, RequestToSign, SignError, Signed, Verified, VerifyError, check_date,
    check_signable, form_decode, py_strip, split_query, strip_value,
};

/// The first word of the `Authorization` header (`acs <AK>:<signature>`).
pub const AUTH_SCHEME: &str = "acs";
/// Value of [`SIGNATURE_METHOD_HEADER`].
pub const SIGNATURE_METHOD: &str = "HMAC-SHA1";
/// The signature method header.
pub const SIGNATURE_METHOD_HEADER: &str = "x-acs-signature-method";
/// Value of [`SIGNATURE_VERSION_HEADER`].
pub const SIGNATURE_VERSION: &str = "1.0";
/// The signature version header.
pub const SIGNATURE_VERSION_HEADER: &str = "x-acs-signature-version";
/// The nonce header (optional; replay-checked when present).
pub const NONCE_HEADER: &str = "x-acs-signature-nonce";
/// The date header, RFC 1123 in GMT.
pub const DATE_HEADER: &str = "date";
/// `strftime` format of [`DATE_HEADER`], e.g. `Mon, 15 Jan 2024 08:30:00 GMT`.
pub const DATE_FORMAT: &str = "%a, %d %b %Y %H:%M:%S GMT";
/// The body digest header: base64 of the body's MD5.
pub const CONTENT_MD5_HEADER: &str = "content-md5";
/// Prefix of the headers that are signed by name.
const ACS_PREFIX: &str = "x-acs-";

/// Formats a time as a `Date` value (UTC, whole seconds).
pub fn format_date(time: Timestamp) -> String {
    time.strftime(DATE_FORMAT).to_string()
}

/// Parses a `Date` value strictly (exactly `Mon, 15 Jan 2024 08:30:00 GMT`).
pub fn parse_date(value: &str) -> Option<Timestamp> {
    crate::cloud::sign::parse_utc(DATE_FORMAT, value)
}

/// Base64 of the MD5 of `body`: the `Content-MD5` value.
pub fn content_md5(body: &[u8]) -> String {
    BASE64.encode(Md5::digest(body))
}

/// Whether an `Authorization` value is in this scheme (`acs ` followed by the credential),
/// as opposed to `ACS3-HMAC-SHA256 ...`.
pub fn is_roa_authorization(value: &[u8]) -> bool {
    value.len() > AUTH_SCHEME.len() + 1
        && value[..AUTH_SCHEME.len()].eq_ignore_ascii_case(AUTH_SCHEME.as_bytes())
        && value[AUTH_SCHEME.len()] == b' '
}

/// How a query parameter with an empty value is written in the canonical resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmptyValue {
    /// `key` (tea-openapi, tea-roa and Alibaba's ROA signing document).
    KeyOnly,
    /// `key=` (`aliyun-python-sdk-core`).
    KeyEquals,
}

/// The canonicalized resource: the path, then `?` and the parameters sorted by key, `key=value`
/// with the value as it is (not encoded), joined by `&`.
pub fn canonical_resource(path: &str, query: &[(&[u8], &[u8])], empty: EmptyValue) -> Vec<u8> {
    let mut sorted: Vec<(&[u8], &[u8])> = query.to_vec();
    sorted.sort_unstable();
    let mut out = path.as_bytes().to_vec();
    for (i, (k, v)) in sorted.iter().enumerate() {
        out.push(if i == 0 { b'?' } else { b'&' });
        out.extend_from_slice(k);
        if !v.is_empty() || empty == EmptyValue::KeyEquals {
            out.push(b'=');
            out.extend_from_slice(v);
        }
    }
    out
}

/// The five fixed lines of the string to sign, then the canonicalized `x-acs-*` headers
/// (`(name, value)`, names lowercase, sorted here), then the canonicalized resource.
fn string_to_sign(
    method: &[u8],
    fixed: [&[u8]; 4],
    acs_headers: &mut [(String, &[u8])],
    resource: &[u8],
) -> Vec<u8> {
    acs_headers.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(method);
    out.push(b'\n');
    for line in fixed {
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    for (name, value) in acs_headers.iter() {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        out.extend_from_slice(value);
        out.push(b'\n');
    }
    out.extend_from_slice(resource);
    out
}

fn new_mac(secret: &SecretString) -> Hmac<Sha1> {
    // HMAC takes keys of any length.
    <Hmac<Sha1> as Mac>::new_from_slice(secret.expose_secret().as_bytes())
        .expect("HMAC accepts keys of any length")
}

/// Signs a request the way `aliyun-python-sdk-core` does. `time` (`Date`) and `nonce`
/// (`x-acs-signature-nonce`, left out when empty) are injected; the function never reads the
/// clock or a random source.
///
/// `req.headers` are the headers present at signing time (`host`, `accept`, `x-acs-version`,
/// `content-type` with a body, `x-acs-security-token` with temporary keys, ...). `Date`,
/// `x-acs-signature-method`, `x-acs-signature-version`, the nonce and, with a body,
/// `Content-MD5` are added when absent and must match when present. A name given twice is
/// refused. The returned [`Signed`] carries the string to sign both as `canonical_request` and
/// `string_to_sign`, and the signed `x-acs-*` names in `signed_headers`.
pub fn sign(
    req: &RequestToSign<'_>,
    access_key: &str,
    secret: &SecretString,
    time: Timestamp,
    nonce: &str,
) -> Result<Signed, SignError> {
    check_signable(req, access_key, secret)?;
    let mut headers: Vec<(&str, &str)> = req.headers.to_vec();
    let mut to_add: Vec<(&'static str, String)> = Vec::new();
    let mut wanted = vec![
        (DATE_HEADER, format_date(time)),
        (SIGNATURE_METHOD_HEADER, SIGNATURE_METHOD.to_owned()),
        (SIGNATURE_VERSION_HEADER, SIGNATURE_VERSION.to_owned()),
    ];
    if !nonce.is_empty() {
        wanted.push((NONCE_HEADER, nonce.to_owned()));
    }
    if !req.body.is_empty() {
        wanted.push((CONTENT_MD5_HEADER, content_md5(req.body)));
    }
    for (name, expected) in wanted {
        match headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            Some((_, found)) if py_strip(found) == expected => {}
            Some((_, found)) => {
                return Err(SignError::ConflictingHeader {
                    name,
                    found: (*found).to_owned(),
                    expected,
                });
            }
            None => to_add.push((name, expected)),
        }
    }
    headers.extend(to_add.iter().map(|(n, v)| (*n, v.as_str())));

    let mut seen: Vec<String> = Vec::with_capacity(headers.len());
    for (name, _) in &headers {
        let lower = name.to_ascii_lowercase();
        if seen.contains(&lower) {
            return Err(SignError::DuplicateHeader(lower));
        }
        seen.push(lower);
    }
    let value_of = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| py_strip(v))
    };
    let mut acs: Vec<(String, &[u8])> = headers
        .iter()
        .filter(|(n, _)| n.to_ascii_lowercase().starts_with(ACS_PREFIX))
        .map(|(n, v)| (n.to_ascii_lowercase(), py_strip(v).as_bytes()))
        .collect();
    let query: Vec<(&[u8], &[u8])> = req
        .query
        .iter()
        .map(|(k, v)| (k.as_bytes(), v.as_bytes()))
        .collect();
    let path = if req.path.is_empty() { "/" } else { req.path };
    let resource = canonical_resource(path, &query, EmptyValue::KeyOnly);
    let sts = string_to_sign(
        req.method.as_bytes(),
        [
            value_of("accept").as_bytes(),
            value_of(CONTENT_MD5_HEADER).as_bytes(),
            value_of("content-type").as_bytes(),
            value_of(DATE_HEADER).as_bytes(),
        ],
        &mut acs,
        &resource,
    );
    let signed_headers = acs
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let mut mac = new_mac(secret);
    mac.update(&sts);
    let signature = BASE64.encode(mac.finalize().into_bytes());
    let authorization = format!("{AUTH_SCHEME} {access_key}:{signature}");
    let sts = crate::cloud::sign::into_string(sts);
    to_add.push(("Authorization", authorization.clone()));
    Ok(Signed {
        canonical_request: sts.clone(),
        string_to_sign: sts,
        signature,
        authorization,
        signed_headers,
        headers_to_add: to_add,
    })
}

/// Verifies a received ROA HMAC-SHA1 request the way the gateway does, for the simulator.
///
/// Checks, in order: `Authorization` is `acs <AK>:<base64 of 20 bytes>`;
/// `x-acs-signature-method` is `HMAC-SHA1` and `x-acs-signature-version` is `1.0`; no `x-acs-*`
/// header is repeated; `Date` is present, parses, and is within `max_skew` of `now`; the access key
/// is known; a `Content-MD5` matches the body; the signature, recomputed over the raw path and the
/// form-decoded query (a repeated key is refused), matches in constant time — with an empty query
/// value written either as `key` or as `key=`. [`Verified::nonce`] carries
/// `x-acs-signature-nonce` when it was sent (always signed: it is an `x-acs-*` header).
pub fn verify(
    req: &ReceivedRequest<'_>,
    secret_for: impl Fn(&str) -> Option<SecretString>,
    now: Timestamp,
    max_skew: Duration,
) -> Result<Verified, VerifyError> {
    use VerifyError::MalformedAuthorization as Malformed;
    let auth = std::str::from_utf8(req.authorization()?).map_err(|_| Malformed("not UTF-8"))?;
    if !is_roa_authorization(auth.as_bytes()) {
        return Err(Malformed("unsupported algorithm"));
    }
    let (access_key, signature) = auth[AUTH_SCHEME.len() + 1..]
        .trim()
        .rsplit_once(':')
        .ok_or(Malformed("the credential is not <AccessKeyId>:<Signature>"))?;
    if access_key.is_empty() {
        return Err(Malformed("no access key"));
    }
    let mut sig = [0u8; 20];
    match BASE64.decode(signature) {
        Ok(bytes) if bytes.len() == sig.len() => sig.copy_from_slice(&bytes),
        _ => return Err(Malformed("Signature is not base64 of 20 bytes")),
    }

    let single = |name: &'static str| -> Result<Option<&[u8]>, VerifyError> {
        let mut values = req.header_values(name);
        let first = values.next().map(strip_value);
        if values.next().is_some() {
            return Err(VerifyError::RepeatedSignedHeader(name.to_owned()));
        }
        Ok(first)
    };
    if single(SIGNATURE_METHOD_HEADER)? != Some(SIGNATURE_METHOD.as_bytes()) {
        return Err(Malformed("x-acs-signature-method must be HMAC-SHA1"));
    }
    if single(SIGNATURE_VERSION_HEADER)? != Some(SIGNATURE_VERSION.as_bytes()) {
        return Err(Malformed("x-acs-signature-version must be 1.0"));
    }
    let mut acs: Vec<(String, &[u8])> = Vec::new();
    for (name, value) in req.headers {
        let lower = name.to_ascii_lowercase();
        if !lower.starts_with(ACS_PREFIX) {
            continue;
        }
        if acs.iter().any(|(n, _)| *n == lower) {
            return Err(VerifyError::RepeatedSignedHeader(lower));
        }
        acs.push((lower, strip_value(value)));
    }
    let date_raw =
        single(DATE_HEADER)?.ok_or(VerifyError::MissingSignedHeader(DATE_HEADER.to_owned()))?;
    let date = check_date(DATE_HEADER, date_raw, DATE_FORMAT, now, max_skew)?;
    let secret =
        secret_for(access_key).ok_or(VerifyError::UnknownAccessKey(access_key.to_owned()))?;
    let declared_md5 = single(CONTENT_MD5_HEADER)?;
    if let Some(declared) = declared_md5
        && declared != content_md5(req.body).as_bytes()
    {
        return Err(VerifyError::PayloadHashMismatch);
    }

    let query_pairs = split_query(req.query, form_decode);
    let mut query: Vec<(&[u8], &[u8])> = query_pairs
        .iter()
        .map(|(k, v)| (k.as_slice(), v.as_slice()))
        .collect();
    query.sort_unstable();
    if query.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(VerifyError::MalformedQuery("a query key is repeated"));
    }
    let fixed = [
        single("accept")?.unwrap_or_default(),
        declared_md5.unwrap_or_default(),
        single("content-type")?.unwrap_or_default(),
        date_raw,
    ];
    let path = if req.path.is_empty() { "/" } else { req.path };
    let forms: &[EmptyValue] = if query.iter().any(|(_, v)| v.is_empty()) {
        &[EmptyValue::KeyOnly, EmptyValue::KeyEquals]
    } else {
        &[EmptyValue::KeyOnly]
    };
    let matched = forms.iter().any(|form| {
        let resource = canonical_resource(path, &query, *form);
        let sts = string_to_sign(req.method.as_bytes(), fixed, &mut acs, &resource);
        let mut mac = new_mac(&secret);
        mac.update(&sts);
        mac.verify_slice(&sig).is_ok()
    });
    if !matched {
        return Err(VerifyError::SignatureMismatch);
    }
    let nonce = acs
        .iter()
        .find(|(n, _)| n == NONCE_HEADER)
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned());
    Ok(Verified {
        access_key: access_key.to_owned(),
        date,
        nonce,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let t: Timestamp = "2024-01-15T08:30:00.7Z".parse().unwrap();
        assert_eq!(format_date(t), "Mon, 15 Jan 2024 08:30:00 GMT");
        assert_eq!(
            parse_date("Mon, 15 Jan 2024 08:30:00 GMT"),
            Some("2024-01-15T08:30:00Z".parse().unwrap())
        );
        for bad in [
            "Tue, 15 Jan 2024 08:30:00 GMT",
            "Mon, 15 Jan 2024 08:30:00 +0000",
            "2024-01-15T08:30:00Z",
            "Mon, 15 Jan 2024 08:30:00 GMT ",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn content_md5_is_base64_of_md5() {
        // RFC 1321 test suite: MD5("") = d41d8cd98f00b204e9800998ecf8427e,
        // MD5("abc") = 900150983cd24fb0d6963f7d28e17f72.
        assert_eq!(content_md5(b""), "1B2M2Y8AsgTpgAmY7PhCfg==");
        assert_eq!(content_md5(b"abc"), "kAFQmDzST7DWlj99KOF/cg==");
    }

    #[test]
    fn canonical_resource_table() {
        let q = |pairs: &[(&'static str, &'static str)]| -> Vec<(&'static [u8], &'static [u8])> {
            pairs
                .iter()
                .map(|(k, v)| (k.as_bytes(), v.as_bytes()))
                .collect()
        };
        type Row = (
            &'static [(&'static str, &'static str)],
            EmptyValue,
            &'static str,
        );
        let table: &[Row] = &[
            (&[], EmptyValue::KeyOnly, "/clusters/c/nodepools"),
            (
                &[("b", "2"), ("a", "x y&=z")],
                EmptyValue::KeyOnly,
                "/clusters/c/nodepools?a=x y&=z&b=2",
            ),
            (
                &[("force", ""), ("a", "1")],
                EmptyValue::KeyOnly,
                "/clusters/c/nodepools?a=1&force",
            ),
            (
                &[("force", ""), ("a", "1")],
                EmptyValue::KeyEquals,
                "/clusters/c/nodepools?a=1&force=",
            ),
        ];
        for (pairs, form, want) in table {
            let got = canonical_resource("/clusters/c/nodepools", &q(pairs), *form);
            assert_eq!(String::from_utf8(got).unwrap(), *want, "{pairs:?} {form:?}");
        }
    }

    #[test]
    fn recognises_the_scheme() {
        assert!(is_roa_authorization(b"acs AK:c2ln"));
        assert!(is_roa_authorization(b"ACS AK:c2ln"));
        assert!(!is_roa_authorization(b"acs"));
        assert!(!is_roa_authorization(b"acs "));
        assert!(!is_roa_authorization(
            b"ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host,Signature=00"
        ));
    }
}
