//! The signing machinery both clouds share, as small pure functions. Each cloud's own algorithm
//! lives in its folder:
//!
//! * [`crate::cloud::huawei::sign`]: `SDK-HMAC-SHA256`, exactly as `huaweicloudsdkcore`
//!   (`signer/signer.py`) signs.
//! * [`crate::cloud::alibaba::sign`]: `ACS3-HMAC-SHA256`, exactly as `alibabacloud_tea_openapi`
//!   (`Utils.get_authorization`) signs.
//! * [`crate::cloud::alibaba::roa`]: Alibaba's older ROA signature (HMAC-SHA1), which the
//!   simulator accepts beside `ACS3-HMAC-SHA256` as the ACK gateway does.
//!
//! Each cloud module has a signer (a pure function of the request, the credentials and an injected
//! time and nonce; it never reads the clock) and a server-side verifier for the cloud simulator.
//! Both are pinned byte for byte by vectors produced with the official SDKs
//! (`tests/sign/sdk-vectors.json`, `tests/sign/own-vectors.json`).
//!
//! This module holds the shared pieces: hashing, the percent-encoders the SDKs use, the request
//! descriptions, the output of signing and the two error types. Nothing here logs, and no `Debug`
//! output contains a secret: secrets are only accepted as [`SecretString`], and the `Debug` impls of
//! the request and output types redact credential-bearing headers.

use std::fmt;
use std::time::Duration;

use hmac::{Hmac, Mac};
use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// Lowercase hex SHA-256 of the empty string: the payload hash of a request without a body.
pub const EMPTY_SHA256_HEX: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// A clock-skew window for the verifiers. Neither SDK defines one; 15 minutes is what the clouds'
/// API gateways commonly allow.
pub const DEFAULT_MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// Header names (lowercase) whose values are credentials: redacted by every `Debug` impl here.
const SENSITIVE_HEADERS: &[&str] = &[
    "authorization",
    "x-security-token",
    "x-acs-security-token",
    "x-acs-bearer-token",
];

/// Whether a header carries a credential (`Authorization`, a security token) and must never be
/// logged. Case-insensitive.
pub fn is_sensitive_header(name: &str) -> bool {
    SENSITIVE_HEADERS
        .iter()
        .any(|s| s.eq_ignore_ascii_case(name))
}

// ---------------------------------------------------------------------------------------------
// Hashing and encoding
// ---------------------------------------------------------------------------------------------

/// Lowercase hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// HMAC-SHA256 of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = new_mac(key);
    mac.update(message);
    mac.finalize().into_bytes().into()
}

pub(crate) fn new_mac(key: &[u8]) -> Hmac<Sha256> {
    // HMAC is defined for keys of any length (long keys are hashed, short ones padded), so
    // `new_from_slice` cannot fail for `Hmac<Sha256>`.
    <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length")
}

/// HMAC-SHA256 of `message` under the secret, compared with `expected` in constant time.
pub(crate) fn mac_matches(secret: &SecretString, message: &[u8], expected: &[u8; 32]) -> bool {
    let mut mac = new_mac(secret.expose_secret().as_bytes());
    mac.update(message);
    mac.verify_slice(expected).is_ok()
}

/// Hex HMAC-SHA256 of `message` under the secret (the signature both algorithms send).
pub(crate) fn hex_signature(secret: &SecretString, message: &[u8]) -> String {
    hex::encode(hmac_sha256(secret.expose_secret().as_bytes(), message))
}

/// Characters left alone by Python's `urllib.parse.quote(s, safe='~')` (and by `safe=''`, since
/// Python 3.7 treats `~` as always safe): the RFC 3986 unreserved set `A-Za-z0-9-._~`.
const RFC3986: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes every byte outside `A-Za-z0-9-._~` as `%XX` (uppercase hex).
///
/// This is Python's `quote(s, safe='~')` over UTF-8, which both SDKs use for canonical query
/// values (Huawei also for query keys and canonical path segments), and also `quote(s, safe='')`,
/// which both use to put a path parameter into a path (Alibaba's `percent_encode` then maps
/// `+`→`%20`, `*`→`%2A`, `%7E`→`~`, which changes nothing for this output).
pub fn uri_encode(input: &[u8]) -> String {
    percent_encoding::percent_encode(input, RFC3986).to_string()
}

/// Python's `quote_plus(s)`: like [`uri_encode`] but a space becomes `+`. This is how the Alibaba
/// SDK (`urlencode`) writes query keys and values on the wire.
pub fn form_urlencode(input: &[u8]) -> String {
    // `uri_encode` only writes `%20` for a space byte: every other `%` it writes is followed by
    // the hex of a different byte, and a literal `%` becomes `%25`.
    uri_encode(input).replace("%20", "+")
}

/// Python's `unquote_to_bytes`: decodes `%XX` escapes (either case) and leaves everything else,
/// including malformed escapes such as `%zz` or a trailing `%4`, as it is. `+` stays `+`.
pub fn percent_decode(input: &str) -> Vec<u8> {
    percent_encoding::percent_decode(input.as_bytes()).collect()
}

/// Form decoding (Python's `unquote_plus`, to bytes): `+` becomes a space, then [`percent_decode`].
pub fn form_decode(input: &str) -> Vec<u8> {
    let plus_as_space = input.replace('+', " ");
    percent_decode(&plus_as_space)
}

/// Python's `str.strip()` with no argument: removes leading and trailing characters for which
/// `str.isspace()` is true. That set is Unicode `White_Space` (what Rust's `char::is_whitespace`
/// tests) plus the four separators U+001C..U+001F.
pub(crate) fn py_strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

/// [`py_strip`] for a received header value: as text when it is UTF-8 (what the SDKs send), else
/// trimming the ASCII members of the same set.
pub(crate) fn strip_value(value: &[u8]) -> &[u8] {
    match std::str::from_utf8(value) {
        Ok(s) => py_strip(s).as_bytes(),
        Err(_) => {
            let is_space = |b: &u8| matches!(b, b'\t'..=b'\r' | 0x1c..=0x20);
            let start = value
                .iter()
                .position(|b| !is_space(b))
                .unwrap_or(value.len());
            let end = value
                .iter()
                .rposition(|b| !is_space(b))
                .map_or(start, |i| i + 1);
            &value[start..end]
        }
    }
}

/// Splits a raw query string on `&` into (key, value) at the first `=`, dropping empty pieces;
/// a piece without `=` has an empty value. `decode` turns each half into bytes.
pub(crate) fn split_query(query: &str, decode: fn(&str) -> Vec<u8>) -> Vec<(Vec<u8>, Vec<u8>)> {
    query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// `METHOD \n URI \n QUERY \n (name:value\n)* \n SIGNED \n PAYLOAD`: the canonical request shared by
/// both algorithms (the header block ends in `\n`, so an empty line precedes the signed headers).
pub(crate) fn canonical_request_bytes(
    method: &[u8],
    uri: &[u8],
    query: &[u8],
    header_lines: &[(&[u8], Vec<u8>)],
    signed_headers: &[u8],
    payload_hash: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + header_lines.len() * 64);
    for part in [method, uri, query] {
        out.extend_from_slice(part);
        out.push(b'\n');
    }
    for (name, value) in header_lines {
        out.extend_from_slice(name);
        out.push(b':');
        out.extend_from_slice(value);
        out.push(b'\n');
    }
    out.push(b'\n');
    out.extend_from_slice(signed_headers);
    out.push(b'\n');
    out.extend_from_slice(payload_hash);
    out
}

/// Bytes that were built only from `&str` inputs and ASCII encodings back into a `String`.
pub(crate) fn into_string(bytes: Vec<u8>) -> String {
    // Every input of the signers is `&str` and every encoding they apply writes ASCII, so the
    // bytes are always UTF-8 and this never replaces anything.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Parses a `YYYYmmddTHHMMSSZ`-style date with the given strftime format, strictly: the text
/// must be exactly what formatting the parsed time gives back.
pub(crate) fn parse_utc(format: &str, value: &str) -> Option<Timestamp> {
    let dt = jiff::civil::DateTime::strptime(format, value).ok()?;
    let ts = jiff::tz::Offset::UTC.to_timestamp(dt).ok()?;
    (ts.strftime(format).to_string() == value).then_some(ts)
}

// ---------------------------------------------------------------------------------------------
// Requests and results
// ---------------------------------------------------------------------------------------------

/// A request about to be signed, as the client will send it.
#[derive(Clone, Copy)]
pub struct RequestToSign<'a> {
    /// HTTP method, e.g. `POST`.
    pub method: &'a str,
    /// The path exactly as it goes on the wire (path parameters already percent-encoded, e.g.
    /// with [`uri_encode`]), without the query.
    pub path: &'a str,
    /// Query parameters as (key, value) pairs, not encoded. Booleans as the SDK renders them
    /// (Huawei: `true`/`false`).
    pub query: &'a [(&'a str, &'a str)],
    /// Every header present at signing time (name, value), including `Host`. The headers the
    /// signer fills in itself (date, nonce, content hash) may be left out.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body bytes exactly as sent (empty for none).
    pub body: &'a [u8],
}

impl fmt::Debug for RequestToSign<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|&(n, v)| (n, if is_sensitive_header(n) { REDACTED } else { v }))
            .collect();
        f.debug_struct("RequestToSign")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("headers", &headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// A request as a server received it, for the verifiers.
#[derive(Clone, Copy)]
pub struct ReceivedRequest<'a> {
    /// HTTP method as received.
    pub method: &'a str,
    /// The raw path as received (still percent-encoded), without the query.
    pub path: &'a str,
    /// The raw query string as received, without the `?` (empty if none).
    pub query: &'a str,
    /// Every received header as (name, raw value bytes); names are matched case-insensitively.
    /// With hyper/http: `headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes()))`.
    pub headers: &'a [(&'a str, &'a [u8])],
    /// The body bytes as received.
    pub body: &'a [u8],
}

impl ReceivedRequest<'_> {
    /// All values of a header, matched case-insensitively, in the order received.
    pub(crate) fn header_values<'s>(
        &'s self,
        name: &'s str,
    ) -> impl Iterator<Item = &'s [u8]> + 's {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// The `Authorization` header, which must appear exactly once.
    pub(crate) fn authorization(&self) -> Result<&[u8], VerifyError> {
        let mut values = self.header_values("authorization");
        let first = values.next().ok_or(VerifyError::MissingAuthorization)?;
        if values.next().is_some() {
            return Err(VerifyError::MalformedAuthorization(
                "the Authorization header appears more than once",
            ));
        }
        Ok(first)
    }
}

impl fmt::Debug for ReceivedRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, std::borrow::Cow<'_, str>)> = self
            .headers
            .iter()
            .map(|&(n, v)| {
                let shown = if is_sensitive_header(n) {
                    REDACTED.into()
                } else {
                    String::from_utf8_lossy(v)
                };
                (n, shown)
            })
            .collect();
        f.debug_struct("ReceivedRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("headers", &headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

const REDACTED: &str = "<redacted>";

/// The result of signing: every intermediate string, and the headers to add to the request.
#[derive(Clone, PartialEq, Eq)]
pub struct Signed {
    /// The canonical request (lines joined by `\n`).
    pub canonical_request: String,
    /// The string to sign.
    pub string_to_sign: String,
    /// Lowercase hex signature.
    pub signature: String,
    /// The full `Authorization` header value.
    pub authorization: String,
    /// The signed header names (lowercase, sorted, joined by `;`).
    pub signed_headers: String,
    /// Headers the caller must add to the request, in this order: those the signer filled in
    /// because they were missing (date, nonce, content hash), then `Authorization`.
    pub headers_to_add: Vec<(&'static str, String)>,
}

impl fmt::Debug for Signed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The signature is a short-lived credential and the canonical request holds the
        // security token, if any: redact both.
        let canonical: Vec<String> = self
            .canonical_request
            .split('\n')
            .map(|line| match line.split_once(':') {
                Some((name, _)) if is_sensitive_header(name) => format!("{name}:{REDACTED}"),
                _ => line.to_owned(),
            })
            .collect();
        let added: Vec<(&str, &str)> = self
            .headers_to_add
            .iter()
            .map(|(n, v)| (*n, if is_sensitive_header(n) { REDACTED } else { v }))
            .collect();
        f.debug_struct("Signed")
            .field("canonical_request", &canonical.join("\n"))
            .field("string_to_sign", &self.string_to_sign)
            .field("signature", &REDACTED)
            .field("authorization", &REDACTED)
            .field("signed_headers", &self.signed_headers)
            .field("headers_to_add", &added)
            .finish()
    }
}

/// What a verifier established about an accepted request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The access key that signed it.
    pub access_key: String,
    /// The signing time from the date header.
    pub date: Timestamp,
    /// The signature nonce (`x-acs-signature-nonce`; Alibaba only, and only when it is signed),
    /// for replay detection.
    pub nonce: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Why a request could not be signed. None of these depends on the clock or the network: each is
/// a mistake in the request description.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The access key is empty.
    #[error("the access key is empty")]
    EmptyAccessKey,
    /// The secret key is empty.
    #[error("the secret key is empty")]
    EmptySecretKey,
    /// No `Host` header: it is signed, so the caller must add it (authority with the port).
    #[error("the request has no Host header")]
    MissingHost,
    /// An `Authorization` header is already there (a request signed twice).
    #[error("the request already has an Authorization header")]
    AlreadySigned,
    /// The same header name (case-insensitively) is given twice; the Huawei SDK would sign the name
    /// twice with the last value, which no server reproduces.
    #[error("header {0:?} is given more than once")]
    DuplicateHeader(String),
    /// The same query key is given twice: the Alibaba SDK's query is a map.
    #[error("query key {0:?} is given more than once")]
    DuplicateQueryKey(String),
    /// A header the signer fills in is already there with a different value.
    #[error("header {name} is {found:?} but signing needs {expected:?}")]
    ConflictingHeader {
        /// The header name.
        name: &'static str,
        /// The value in the request.
        found: String,
        /// The value signing computes (from the injected time or nonce, or the body).
        expected: String,
    },
}

impl SignError {
    /// A bounded PascalCase reason for conditions, events and metric labels.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::EmptyAccessKey => "EmptyAccessKey",
            Self::EmptySecretKey => "EmptySecretKey",
            Self::MissingHost => "MissingHost",
            Self::AlreadySigned => "AlreadySigned",
            Self::DuplicateHeader(_) => "DuplicateHeader",
            Self::DuplicateQueryKey(_) => "DuplicateQueryKey",
            Self::ConflictingHeader { .. } => "ConflictingHeader",
        }
    }
}

/// Checks shared by both signers.
pub(crate) fn check_signable(
    req: &RequestToSign<'_>,
    access_key: &str,
    secret: &SecretString,
) -> Result<(), SignError> {
    if access_key.is_empty() {
        return Err(SignError::EmptyAccessKey);
    }
    if secret.expose_secret().is_empty() {
        return Err(SignError::EmptySecretKey);
    }
    if req
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("authorization"))
    {
        return Err(SignError::AlreadySigned);
    }
    if !req
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("host"))
    {
        return Err(SignError::MissingHost);
    }
    Ok(())
}

/// Why a verifier rejected a request. Each variant names the check that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// No `Authorization` header.
    #[error("no Authorization header")]
    MissingAuthorization,
    /// The `Authorization` header is not `<ALGORITHM> <cred>=..,SignedHeaders=..,Signature=..`.
    #[error("malformed Authorization header: {0}")]
    MalformedAuthorization(&'static str),
    /// The access key is not known.
    #[error("unknown access key {0:?}")]
    UnknownAccessKey(String),
    /// A header the algorithm requires to be signed is not in `SignedHeaders`.
    #[error("header {0} must be signed")]
    RequiredHeaderNotSigned(&'static str),
    /// A header listed in `SignedHeaders` is not in the request.
    #[error("signed header {0:?} is not in the request")]
    MissingSignedHeader(String),
    /// A header listed in `SignedHeaders` appears more than once (Huawei: the SDK never sends that).
    #[error("signed header {0:?} appears more than once")]
    RepeatedSignedHeader(String),
    /// The date header does not parse in the algorithm's format.
    #[error("malformed {header} header {value:?}")]
    MalformedDate {
        /// The date header's name.
        header: &'static str,
        /// Its value as received (lossily decoded).
        value: String,
    },
    /// The request date is too far from "now".
    #[error("request date {date} is more than {max_skew:?} away from {now}")]
    DateOutsideWindow {
        /// The date the request was signed at.
        date: Timestamp,
        /// The verifier's "now".
        now: Timestamp,
        /// The allowed skew.
        max_skew: Duration,
    },
    /// The declared payload hash does not match the body.
    #[error("the payload hash header does not match the body")]
    PayloadHashMismatch,
    /// The query string cannot be made canonical (Alibaba: a repeated key).
    #[error("malformed query string: {0}")]
    MalformedQuery(&'static str),
    /// The signature does not match the request (wrong secret or anything signed was changed).
    #[error("the signature does not match")]
    SignatureMismatch,
}

impl VerifyError {
    /// A bounded PascalCase reason for responses, logs and metric labels.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::MissingAuthorization => "MissingAuthorization",
            Self::MalformedAuthorization(_) => "MalformedAuthorization",
            Self::UnknownAccessKey(_) => "UnknownAccessKey",
            Self::RequiredHeaderNotSigned(_) => "RequiredHeaderNotSigned",
            Self::MissingSignedHeader(_) => "MissingSignedHeader",
            Self::RepeatedSignedHeader(_) => "RepeatedSignedHeader",
            Self::MalformedDate { .. } => "MalformedDate",
            Self::DateOutsideWindow { .. } => "DateOutsideWindow",
            Self::PayloadHashMismatch => "PayloadHashMismatch",
            Self::MalformedQuery(_) => "MalformedQuery",
            Self::SignatureMismatch => "SignatureMismatch",
        }
    }
}

/// The three fields of an `Authorization` header.
pub(crate) struct ParsedAuthorization {
    pub(crate) access_key: String,
    pub(crate) signed_headers: String,
    pub(crate) signature: [u8; 32],
}

/// Parses `<algorithm> <credential_field>=<AK>,SignedHeaders=<a;b>,Signature=<hex>`; fields may be
/// in any order and separated by `,` with optional spaces (Huawei writes `, `, Alibaba `,`).
pub(crate) fn parse_authorization(
    value: &[u8],
    algorithm: &str,
    credential_field: &str,
) -> Result<ParsedAuthorization, VerifyError> {
    use VerifyError::MalformedAuthorization as Malformed;
    let value = std::str::from_utf8(value).map_err(|_| Malformed("not UTF-8"))?;
    let rest = value
        .strip_prefix(algorithm)
        .and_then(|r| r.strip_prefix(' '))
        .ok_or(Malformed("unsupported algorithm"))?;
    let (mut access_key, mut signed_headers, mut signature) = (None, None, None);
    for field in rest.split(',') {
        let (name, v) = field
            .trim()
            .split_once('=')
            .ok_or(Malformed("a field is not name=value"))?;
        let slot = if name == credential_field {
            &mut access_key
        } else if name == "SignedHeaders" {
            &mut signed_headers
        } else if name == "Signature" {
            &mut signature
        } else {
            return Err(Malformed("unknown field"));
        };
        if slot.replace(v).is_some() {
            return Err(Malformed("repeated field"));
        }
    }
    let access_key = access_key
        .filter(|v| !v.is_empty())
        .ok_or(Malformed("no access key"))?;
    let signed_headers = signed_headers
        .filter(|v| !v.is_empty() && v.split(';').all(|h| !h.is_empty()))
        .ok_or(Malformed("no or empty SignedHeaders"))?;
    let mut sig = [0u8; 32];
    hex::decode_to_slice(signature.ok_or(Malformed("no Signature"))?, &mut sig)
        .map_err(|_| Malformed("Signature is not 64 hex digits"))?;
    Ok(ParsedAuthorization {
        access_key: access_key.to_owned(),
        signed_headers: signed_headers.to_owned(),
        signature: sig,
    })
}

/// Whether `signed` (a `;` list) names `header`, case-insensitively.
pub(crate) fn lists_header(signed: &str, header: &str) -> bool {
    signed.split(';').any(|h| h.eq_ignore_ascii_case(header))
}

/// Parses a date header strictly and checks it is within `max_skew` of `now`.
pub(crate) fn check_date(
    header: &'static str,
    raw: &[u8],
    format: &str,
    now: Timestamp,
    max_skew: Duration,
) -> Result<Timestamp, VerifyError> {
    let malformed = || VerifyError::MalformedDate {
        header,
        value: String::from_utf8_lossy(raw).into_owned(),
    };
    let text = std::str::from_utf8(strip_value(raw)).map_err(|_| malformed())?;
    let date = parse_utc(format, text).ok_or_else(malformed)?;
    let skew = now.duration_since(date).unsigned_abs();
    if skew > max_skew {
        return Err(VerifyError::DateOutsideWindow {
            date,
            now,
            max_skew,
        });
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_encode_matches_python_quote_safe_tilde() {
        // Expected values printed by CPython 3.11 `urllib.parse.quote(s, safe='~')`.
        let table: &[(&str, &str)] = &[
            ("", ""),
            ("abcXYZ019", "abcXYZ019"),
            ("-._~", "-._~"),
            (" ", "%20"),
            ("+", "%2B"),
            ("*", "%2A"),
            ("/", "%2F"),
            ("=", "%3D"),
            ("&", "%26"),
            ("%", "%25"),
            ("%20", "%2520"),
            ("a b+c", "a%20b%2Bc"),
            ("节点", "%E8%8A%82%E7%82%B9"),
            ("ü", "%C3%BC"),
            ("!'()", "%21%27%28%29"),
            (":@?#[]", "%3A%40%3F%23%5B%5D"),
            ("\u{0}\u{7f}", "%00%7F"),
        ];
        for (input, want) in table {
            assert_eq!(uri_encode(input.as_bytes()), *want, "input {input:?}");
        }
    }

    #[test]
    fn form_urlencode_matches_python_quote_plus() {
        let table: &[(&str, &str)] = &[
            ("", ""),
            (" ", "+"),
            ("+", "%2B"),
            ("%20", "%2520"),
            ("a b+c", "a+b%2Bc"),
            ("pool a+b 节点", "pool+a%2Bb+%E8%8A%82%E7%82%B9"),
            ("~*/", "~%2A%2F"),
        ];
        for (input, want) in table {
            assert_eq!(form_urlencode(input.as_bytes()), *want, "input {input:?}");
        }
    }

    #[test]
    fn decoders_match_python_unquote() {
        // (input, unquote_to_bytes, unquote_plus as bytes)
        let table: &[(&str, &[u8], &[u8])] = &[
            ("", b"", b""),
            ("a%20b", b"a b", b"a b"),
            ("a+b", b"a+b", b"a b"),
            ("%zz", b"%zz", b"%zz"),
            ("%4", b"%4", b"%4"),
            ("%e8%8A%82", b"\xe8\x8a\x82", b"\xe8\x8a\x82"),
            ("100%", b"100%", b"100%"),
            ("%2B%2b", b"++", b"++"),
        ];
        for (input, plain, plus) in table {
            assert_eq!(percent_decode(input), *plain, "input {input:?}");
            assert_eq!(form_decode(input), *plus, "input {input:?}");
        }
    }

    #[test]
    fn py_strip_uses_python_whitespace() {
        // Python's str.isspace() set, as printed by CPython 3.11.
        let python_space: &[u32] = &[
            0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000,
            0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028,
            0x2029, 0x202f, 0x205f, 0x3000,
        ];
        for c in (0..=0x10ffffu32).filter_map(char::from_u32) {
            let s = format!("{c}x{c}");
            let want = if python_space.contains(&(c as u32)) {
                "x".to_owned()
            } else {
                s.clone()
            };
            assert_eq!(py_strip(&s), want, "U+{:04X}", c as u32);
        }
        let table: &[(&str, &str)] = &[
            ("", ""),
            ("  a b  ", "a b"),
            ("\t\r\n v \u{3000}", "v"),
            ("\u{200b}x", "\u{200b}x"),
        ];
        for (input, want) in table {
            assert_eq!(py_strip(input), *want);
        }
    }

    #[test]
    fn strip_value_handles_non_utf8() {
        assert_eq!(strip_value(b"  a\xff \t"), b"a\xff");
        assert_eq!(strip_value(b" \xc2\xa0x\xc2\xa0 "), b"x");
        assert_eq!(strip_value(b"   "), b"");
    }

    #[test]
    fn split_query_pieces() {
        let got = split_query("b=2&&a&c=x=y&=v", percent_decode);
        let want: Vec<(Vec<u8>, Vec<u8>)> = vec![
            (b"b".to_vec(), b"2".to_vec()),
            (b"a".to_vec(), b"".to_vec()),
            (b"c".to_vec(), b"x=y".to_vec()),
            (b"".to_vec(), b"v".to_vec()),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn parse_authorization_fields() {
        let ok = parse_authorization(
            format!(
                "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, Signature={}",
                "ab".repeat(32)
            )
            .as_bytes(),
            "SDK-HMAC-SHA256",
            "Access",
        )
        .unwrap();
        assert_eq!(ok.access_key, "AK");
        assert_eq!(ok.signed_headers, "host;x-sdk-date");
        assert_eq!(ok.signature, [0xab; 32]);

        let sig = "cd".repeat(32);
        let bad: &[(String, &str)] = &[
            (
                format!("SDK-HMAC-SHA1 Access=AK, SignedHeaders=host, Signature={sig}"),
                "unsupported algorithm",
            ),
            (
                format!("SDK-HMAC-SHA256Access=AK, SignedHeaders=host, Signature={sig}"),
                "unsupported algorithm",
            ),
            (
                format!("SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature={sig}, X=1"),
                "unknown field",
            ),
            (
                format!(
                    "SDK-HMAC-SHA256 Access=AK, Access=AK, SignedHeaders=host, Signature={sig}"
                ),
                "repeated field",
            ),
            (
                format!("SDK-HMAC-SHA256 SignedHeaders=host, Signature={sig}"),
                "no access key",
            ),
            (
                format!("SDK-HMAC-SHA256 Access=AK, SignedHeaders=, Signature={sig}"),
                "no or empty SignedHeaders",
            ),
            (
                format!("SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;;a, Signature={sig}"),
                "no or empty SignedHeaders",
            ),
            (
                "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host".to_owned(),
                "no Signature",
            ),
            (
                "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=abc".to_owned(),
                "Signature is not 64 hex digits",
            ),
            (
                "SDK-HMAC-SHA256 Access=AK, SignedHeaders host".to_owned(),
                "a field is not name=value",
            ),
        ];
        for (value, why) in bad {
            let err = parse_authorization(value.as_bytes(), "SDK-HMAC-SHA256", "Access")
                .err()
                .unwrap_or_else(|| panic!("{value} parsed"));
            assert_eq!(err, VerifyError::MalformedAuthorization(why), "{value}");
        }
    }

    #[test]
    fn parse_utc_is_strict() {
        let f = "%Y%m%dT%H%M%SZ";
        let t = parse_utc(f, "20240115T083000Z").unwrap();
        assert_eq!(t.to_string(), "2024-01-15T08:30:00Z");
        for bad in [
            "2024115T083000Z",
            "20240115T083000",
            "20240115T083000Z ",
            "20241315T083000Z",
            "",
        ] {
            assert_eq!(parse_utc(f, bad), None, "{bad:?}");
        }
    }

    #[test]
    fn mac_helpers_agree() {
        let secret = SecretString::from("key");
        let mac = hmac_sha256(b"key", b"The quick brown fox jumps over the lazy dog");
        // RFC 4231-style well-known value for this pair.
        assert_eq!(
            hex::encode(mac),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
        assert!(mac_matches(
            &secret,
            b"The quick brown fox jumps over the lazy dog",
            &mac
        ));
        assert!(!mac_matches(
            &secret,
            b"the quick brown fox jumps over the lazy dog",
            &mac
        ));
        assert_eq!(sha256_hex(b""), EMPTY_SHA256_HEX);
    }

    #[test]
    fn debug_output_redacts_credentials() {
        let headers = [("Host", "h"), ("X-Security-Token", "TOKEN-SECRET")];
        let req = RequestToSign {
            method: "GET",
            path: "/",
            query: &[],
            headers: &headers,
            body: b"",
        };
        let text = format!("{req:?}");
        assert!(!text.contains("TOKEN-SECRET"), "{text}");
        let received_headers: [(&str, &[u8]); 2] = [
            ("authorization", b"SDK-HMAC-SHA256 Access=AK, SIG-SECRET"),
            ("host", b"h"),
        ];
        let received = ReceivedRequest {
            method: "GET",
            path: "/",
            query: "",
            headers: &received_headers,
            body: b"",
        };
        let text = format!("{received:?}");
        assert!(!text.contains("SIG-SECRET"), "{text}");
        let signed = Signed {
            canonical_request:
                "GET\n/\n\nhost:h\nx-security-token:TOKEN-SECRET\n\nhost;x-security-token\nabc"
                    .into(),
            string_to_sign: "S".into(),
            signature: "SIG-SECRET".into(),
            authorization: "A SIG-SECRET".into(),
            signed_headers: "host;x-security-token".into(),
            headers_to_add: vec![("Authorization", "A SIG-SECRET".into())],
        };
        let text = format!("{signed:?}");
        assert!(
            !text.contains("SIG-SECRET") && !text.contains("TOKEN-SECRET"),
            "{text}"
        );
        assert!(text.contains("host:h"), "{text}");
    }
}
