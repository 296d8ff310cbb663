//! Which cloud endpoints the controller may send signed requests and credentials to.
//!
//! The `--huawei-endpoint` / `--alibaba-endpoint` overrides replace the clouds' HTTPS endpoints.
//! Over plain `http://` every request (its access key ID, security token and signature, or an
//! IAM token) crosses the network readable by anyone on the path, so `http://` is accepted only
//! where the traffic never leaves the machine (loopback: a simulator, a local proxy), for the
//! clouds' instance metadata addresses when the caller allows them, or when the operator says so
//! explicitly (`--allow-insecure-endpoints`).

use std::net::{IpAddr, Ipv4Addr};

/// Why an endpoint is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// Not a URL.
    #[error("endpoint {url:?} is not a URL: {reason}")]
    Invalid {
        /// The endpoint as given.
        url: String,
        /// What the parser said.
        reason: String,
    },
    /// A scheme other than `https` or `http`.
    #[error("endpoint {url:?} uses the scheme {scheme:?}: cloud endpoints are https:// URLs")]
    Scheme {
        /// The endpoint as given.
        url: String,
        /// Its scheme.
        scheme: String,
    },
    /// Plain `http://` to an address off this machine.
    #[error(
        "endpoint {url:?} is plain http:// to {host}, which is not a loopback address: signed requests and tokens would cross the network unencrypted; use https://, or pass --allow-insecure-endpoints if the network path is trusted"
    )]
    Insecure {
        /// The endpoint as given.
        url: String,
        /// Its host.
        host: String,
    },
}

/// The clouds' instance metadata addresses (Alibaba Cloud's, and the link-local one Huawei Cloud
/// and others serve), which only answer over `http://`.
const ALIBABA_METADATA: Ipv4Addr = Ipv4Addr::new(100, 100, 100, 200);

/// Whether `url` may be used as a cloud endpoint.
///
/// * `https://` is always accepted;
/// * `http://` is accepted for loopback hosts (`127.0.0.0/8`, `::1`, `localhost`), for the
///   metadata addresses (`169.254.0.0/16`, `100.100.100.200`) when `link_local_ok`, and for any
///   host when `allow_insecure`;
/// * anything else is refused with a message that says what to do.
pub fn check_endpoint(
    url: &str,
    allow_insecure: bool,
    link_local_ok: bool,
) -> Result<(), EndpointError> {
    let parsed = reqwest::Url::parse(url).map_err(|e| EndpointError::Invalid {
        url: url.to_string(),
        reason: e.to_string(),
    })?;
    match parsed.scheme() {
        "https" => return Ok(()),
        "http" => {}
        other => {
            return Err(EndpointError::Scheme {
                url: url.to_string(),
                scheme: other.to_string(),
            });
        }
    }
    let Some(host) = parsed.host_str() else {
        return Err(EndpointError::Invalid {
            url: url.to_string(),
            reason: "no host".into(),
        });
    };
    if host.eq_ignore_ascii_case("localhost") {
        return Ok(());
    }
    // IPv6 hosts come bracketed; a name does not parse as an address.
    let ip: Option<IpAddr> = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok();
    let loopback = ip.is_some_and(|ip| ip.is_loopback());
    let metadata = ip.is_some_and(|ip| match ip {
        IpAddr::V4(v4) => v4.is_link_local() || v4 == ALIBABA_METADATA,
        IpAddr::V6(_) => false,
    });
    if loopback || (link_local_ok && metadata) || allow_insecure {
        Ok(())
    } else {
        Err(EndpointError::Insecure {
            url: url.to_string(),
            host: host.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_table() {
        // (url, allow_insecure, link_local_ok, accepted)
        let rows: &[(&str, bool, bool, bool)] = &[
            (
                "https://cce.cn-north-4.myhuaweicloud.com",
                false,
                false,
                true,
            ),
            ("https://10.0.0.5:8443/proxy", false, false, true),
            ("http://127.0.0.1:8080", false, false, true),
            ("http://127.8.9.10", false, false, true),
            ("http://[::1]:9000", false, false, true),
            ("http://localhost:9000", false, false, true),
            ("http://LOCALHOST", false, false, true),
            ("http://cs.cn-hangzhou.aliyuncs.com", false, false, false),
            ("http://10.0.0.5:8080", false, false, false),
            ("http://10.0.0.5:8080", true, false, true),
            ("http://169.254.169.254", false, false, false),
            ("http://169.254.169.254", false, true, true),
            ("http://100.100.100.200", false, true, true),
            ("http://100.100.100.201", false, true, false),
            ("http://[fe80::1]", false, true, false),
            // A name that merely starts like a loopback address is not one.
            ("http://127.0.0.1.example.com", false, false, false),
            ("http://localhost.example.com", false, false, false),
        ];
        for &(url, allow, ll, ok) in rows {
            assert_eq!(
                check_endpoint(url, allow, ll).is_ok(),
                ok,
                "{url} allow_insecure={allow} link_local_ok={ll}: {:?}",
                check_endpoint(url, allow, ll)
            );
        }
    }

    #[test]
    fn errors_say_what_to_do() {
        let e = check_endpoint("http://10.0.0.5:8080", false, false).unwrap_err();
        assert!(matches!(e, EndpointError::Insecure { .. }));
        let text = e.to_string();
        assert!(text.contains("use https://"), "{text}");
        assert!(text.contains("--allow-insecure-endpoints"), "{text}");
        assert!(text.contains("10.0.0.5"), "{text}");
        assert!(matches!(
            check_endpoint("ftp://127.0.0.1", true, true),
            Err(EndpointError::Scheme { .. })
        ));
        assert!(matches!(
            check_endpoint("cce.example.com", true, true),
            Err(EndpointError::Invalid { .. })
        ));
    }
}
