//! Alibaba Cloud `ACS3-HMAC-SHA256` (the V3 signature), exactly as `alibabacloud_tea_openapi`
//! 0.4.x (`Utils.get_authorization`, `get_canonical_query_string`, `get_canonicalized_headers`)
//! computes it for the Container Service (ACK) ROA API.
//!
//! ```text
//! CanonicalRequest = METHOD \n pathname \n CanonicalQuery \n (name:value\n)* \n SignedHeaders \n HashedPayload
//! StringToSign     = "ACS3-HMAC-SHA256" \n hex(sha256(CanonicalRequest))
//! Signature        = hex(hmac_sha256(AccessKeySecret, StringToSign))
//! Authorization    = "ACS3-HMAC-SHA256 Credential=<AK>,SignedHeaders=<a;b>,Signature=<hex>"
//! ```
//!
//! SDK details reproduced here (some surprising):
//! * the canonical URI is the pathname as sent, not re-encoded (`/` when empty);
//! * the canonical query sorts by key and writes `key=quote(value, safe='~')`: keys are **not**
//!   encoded; the wire query is form-encoded instead ([`wire_query_string`], space -> `+`);
//! * **all** headers present at signing time are signed: names lowercased and sorted, values
//!   stripped, and the values of one name given under several spellings are **sorted** and joined
//!   by `,`;
//! * the method is used as given (not upper-cased); there is no date line in the string to sign.
//!
//! The older ROA signature (HMAC-SHA1, `Config.signature_algorithm = 'v2'`), which the gateway
//! also accepts, is in [`super::roa`].

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use secrecy::SecretString;

use crate::cloud::sign::{
    ReceivedRequest, RequestToSign, SignError, Signed, Verified, VerifyError,
    canonical_request_bytes, check_date, check_signable, form_decode, form_urlencode,
    hex_signature, into_string, lists_header, mac_matches, parse_authorization, py_strip,
    sha256_hex, split_query, strip_value, uri_encode,
};

/// The algorithm name, first word of the `Authorization` header and first line of the string to
/// sign.
pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";
/// The date header (signed).
pub const DATE_HEADER: &str = "x-acs-date";
/// `strftime` format of [`DATE_HEADER`] (UTC), e.g. `2024-01-15T08:30:00Z`.
pub const DATE_FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";
/// The nonce header (signed); the SDK sends 32 hex characters.
pub const NONCE_HEADER: &str = "x-acs-signature-nonce";
/// The payload hash header (signed): lowercase hex SHA-256 of the body.
pub const CONTENT_SHA256_HEADER: &str = "x-acs-content-sha256";

/// Formats a time as an `x-acs-date` value (UTC, whole seconds).
pub fn format_date(time: Timestamp) -> String {
    time.strftime(DATE_FORMAT).to_string()
}

/// Parses an `x-acs-date` value strictly (exactly `YYYY-mm-ddTHH:MM:SSZ`).
pub fn parse_date(value: &str) -> Option<Timestamp> {
    crate::cloud::sign::parse_utc(DATE_FORMAT, value)
}

/// The canonical query string: keys sorted (code point order), each `key=uri_encode(value)` with
/// the key left as it is, joined by `&`. The SDK's query is a map: keys are expected to be unique
/// (a repeated key keeps both pairs, in value order).
pub fn canonical_query_string(pairs: &[(&str, &str)]) -> String {
    let mut sorted: Vec<(&[u8], &[u8])> = pairs
        .iter()
        .map(|(k, v)| (k.as_bytes(), v.as_bytes()))
        .collect();
    into_string(canonical_query_bytes(&mut sorted))
}

fn canonical_query_bytes(pairs: &mut [(&[u8], &[u8])]) -> Vec<u8> {
    pairs.sort_unstable();
    let mut out = Vec::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        out.extend_from_slice(k);
        out.push(b'=');
        out.extend_from_slice(uri_encode(v).as_bytes());
    }
    out
}

/// The query as the SDK writes it on the wire (Python `urlencode`): pairs in the given order,
/// `quote_plus(key)=quote_plus(value)` joined by `&`.
pub fn wire_query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                form_urlencode(k.as_bytes()),
                form_urlencode(v.as_bytes())
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Signs a request. `time` (`x-acs-date`) and `nonce` (`x-acs-signature-nonce`) are injected; the
/// function never reads the clock or a random source.
///
/// `req.headers` are the headers present at signing time (`host`, `x-acs-version`,
/// `x-acs-action`, `user-agent`, `accept`, `content-type` with a body,
/// `x-acs-credentials-provider`, and with STS credentials `x-acs-accesskey-id` and
/// `x-acs-security-token`); `x-acs-date`, `x-acs-signature-nonce` and `x-acs-content-sha256` are
/// added when absent and must match when present. The returned [`Signed::headers_to_add`] lists
/// what to add to the request, ending with `Authorization`.
pub fn sign(
    req: &RequestToSign<'_>,
    access_key: &str,
    secret: &SecretString,
    time: Timestamp,
    nonce: &str,
) -> Result<Signed, SignError> {
    check_signable(req, access_key, secret)?;
    let mut keys: Vec<&str> = req.query.iter().map(|(k, _)| *k).collect();
    keys.sort_unstable();
    if let Some(w) = keys.windows(2).find(|w| w[0] == w[1]) {
        return Err(SignError::DuplicateQueryKey(w[0].to_owned()));
    }

    let payload_hash = sha256_hex(req.body);
    let mut headers: Vec<(&str, &str)> = req.headers.to_vec();
    let mut headers_to_add: Vec<(&'static str, String)> = Vec::new();
    for (name, expected) in [
        (DATE_HEADER, format_date(time)),
        (NONCE_HEADER, nonce.to_owned()),
        (CONTENT_SHA256_HEADER, payload_hash.clone()),
    ] {
        let found = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| py_strip(v));
        match found {
            Some(found) if found == expected => {}
            Some(found) => {
                return Err(SignError::ConflictingHeader {
                    name,
                    found: found.to_owned(),
                    expected,
                });
            }
            None => headers_to_add.push((name, expected)),
        }
    }
    headers.extend(headers_to_add.iter().map(|(n, v)| (*n, v.as_str())));

    // `get_canonicalized_headers`: group by lowercased name; values stripped, sorted, joined by `,`.
    let mut grouped: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (name, value) in &headers {
        grouped
            .entry(name.to_lowercase())
            .or_default()
            .push(py_strip(value));
    }
    for values in grouped.values_mut() {
        values.sort_unstable();
    }
    let header_lines: Vec<(&[u8], Vec<u8>)> = grouped
        .iter()
        .map(|(name, values)| (name.as_bytes(), values.join(",").into_bytes()))
        .collect();
    let signed_headers = grouped
        .keys()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(";");

    let path = if req.path.is_empty() { "/" } else { req.path };
    let canonical_request = canonical_request_bytes(
        req.method.as_bytes(),
        path.as_bytes(),
        canonical_query_string(req.query).as_bytes(),
        &header_lines,
        signed_headers.as_bytes(),
        payload_hash.as_bytes(),
    );
    let string_to_sign = string_to_sign(&canonical_request);
    let signature = hex_signature(secret, string_to_sign.as_bytes());
    let authorization = format!(
        "{ALGORITHM} Credential={access_key},SignedHeaders={signed_headers},Signature={signature}"
    );
    headers_to_add.push(("Authorization", authorization.clone()));
    Ok(Signed {
        canonical_request: into_string(canonical_request),
        string_to_sign,
        signature,
        authorization,
        signed_headers,
        headers_to_add,
    })
}

/// The headers to add to a request to sign it: `x-acs-date`, `x-acs-signature-nonce` and
/// `x-acs-content-sha256` when absent, then `Authorization`. See [`sign`].
pub fn signing_headers(
    req: &RequestToSign<'_>,
    access_key: &str,
    secret: &SecretString,
    time: Timestamp,
    nonce: &str,
) -> Result<Vec<(&'static str, String)>, SignError> {
    sign(req, access_key, secret, time, nonce).map(|s| s.headers_to_add)
}

fn string_to_sign(canonical_request: &[u8]) -> String {
    format!("{ALGORITHM}\n{}", sha256_hex(canonical_request))
}

/// Verifies a received request the way a server would, for the cloud simulator.
///
/// Checks, in order: the `Authorization` header parses; `host`, `x-acs-date` and
/// `x-acs-content-sha256` are signed; every signed header is present (several received values of
/// one name are stripped, sorted and joined by `,` as the signer does); `x-acs-date` parses and is
/// within `max_skew` of `now`; the access key is known (`secret_for`); `x-acs-content-sha256`
/// matches the body; the signature, recomputed over the raw path and the received query
/// (form-decoded, `+` = space, then made canonical; a repeated key is rejected), matches in
/// constant time. Replay protection with [`Verified::nonce`] (set when the nonce is signed) is
/// left to the caller.
pub fn verify(
    req: &ReceivedRequest<'_>,
    secret_for: impl Fn(&str) -> Option<SecretString>,
    now: Timestamp,
    max_skew: Duration,
) -> Result<Verified, VerifyError> {
    let auth = parse_authorization(req.authorization()?, ALGORITHM, "Credential")?;
    for required in ["host", DATE_HEADER, CONTENT_SHA256_HEADER] {
        if !lists_header(&auth.signed_headers, required) {
            return Err(VerifyError::RequiredHeaderNotSigned(required));
        }
    }
    let mut lines: Vec<(&[u8], Vec<u8>)> = Vec::new();
    for name in auth.signed_headers.split(';') {
        let mut values: Vec<&[u8]> = req.header_values(name).map(strip_value).collect();
        if values.is_empty() {
            return Err(VerifyError::MissingSignedHeader(name.to_owned()));
        }
        values.sort_unstable();
        lines.push((name.as_bytes(), values.join(&b","[..])));
    }
    let value_of = |header: &str| {
        lines
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(header.as_bytes()))
            .map_or(&b""[..], |(_, v)| v.as_slice())
    };
    let date = check_date(
        DATE_HEADER,
        value_of(DATE_HEADER),
        DATE_FORMAT,
        now,
        max_skew,
    )?;
    let secret = secret_for(&auth.access_key)
        .ok_or(VerifyError::UnknownAccessKey(auth.access_key.clone()))?;
    let payload_hash = sha256_hex(req.body);
    if !value_of(CONTENT_SHA256_HEADER).eq_ignore_ascii_case(payload_hash.as_bytes()) {
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
    let path = if req.path.is_empty() { "/" } else { req.path };
    let canonical_request = canonical_request_bytes(
        req.method.as_bytes(),
        path.as_bytes(),
        &canonical_query_bytes(&mut query),
        &lines,
        auth.signed_headers.as_bytes(),
        payload_hash.as_bytes(),
    );
    let string_to_sign = string_to_sign(&canonical_request);
    if !mac_matches(&secret, string_to_sign.as_bytes(), &auth.signature) {
        return Err(VerifyError::SignatureMismatch);
    }
    // Only a signed nonce is worth anything for replay detection.
    let nonce = lists_header(&auth.signed_headers, NONCE_HEADER)
        .then(|| String::from_utf8_lossy(value_of(NONCE_HEADER)).into_owned());
    Ok(Verified {
        access_key: auth.access_key,
        date,
        nonce,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_query_table() {
        // Expected values from alibabacloud_tea_openapi `get_canonical_query_string`.
        let table: &[(&[(&str, &str)], &str)] = &[
            (&[], ""),
            (&[("a", "")], "a="),
            (
                &[("NodepoolName", "pool a+b 节点")],
                "NodepoolName=pool%20a%2Bb%20%E8%8A%82%E7%82%B9",
            ),
            (&[("force", "True")], "force=True"),
            (&[("b", "1"), ("a", "x=y&z%")], "a=x%3Dy%26z%25&b=1"),
            // Keys are not encoded.
            (&[("k y", "v~*")], "k y=v~%2A"),
            (&[("tags.2", "b"), ("tags.1", "a")], "tags.1=a&tags.2=b"),
        ];
        for (pairs, want) in table {
            assert_eq!(canonical_query_string(pairs), *want, "pairs {pairs:?}");
        }
    }

    #[test]
    fn wire_query_table() {
        // Expected values from Python `urlencode` (what darabonba's compose_url sends).
        let table: &[(&[(&str, &str)], &str)] = &[
            (&[], ""),
            (
                &[("NodepoolName", "pool a+b 节点")],
                "NodepoolName=pool+a%2Bb+%E8%8A%82%E7%82%B9",
            ),
            (&[("force", "True"), ("a", "")], "force=True&a="),
            (&[("k y", "~*/")], "k+y=~%2A%2F"),
        ];
        for (pairs, want) in table {
            assert_eq!(wire_query_string(pairs), *want, "pairs {pairs:?}");
        }
    }

    #[test]
    fn dates_round_trip() {
        let t: Timestamp = "2024-01-15T08:30:00.5Z".parse().unwrap();
        assert_eq!(format_date(t), "2024-01-15T08:30:00Z");
        assert_eq!(
            parse_date("2024-01-15T08:30:00Z"),
            Some("2024-01-15T08:30:00Z".parse().unwrap())
        );
        assert_eq!(parse_date("20240115T083000Z"), None);
        assert_eq!(parse_date("2024-01-15T08:30:00+00:00"), None);
    }
}
