//! The endpoint a probe loads: an `http://` or `https://` URL, and the address its host
//! resolves to.

use std::net::SocketAddr;
use std::time::Duration;

use http::Uri;
use http::uri::PathAndQuery;

use super::ProbeError;
use super::tls::Tls;
use crate::parse::red::Outcome;

/// Where requests go.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The URL as given, for reports.
    pub url: String,
    /// `host:port` as the Host header says it.
    pub authority: String,
    host: String,
    port: u16,
    /// Path and query, `/` at least.
    pub path: String,
    /// The GET of `path`, as written on the wire: the same for every request.
    pub request: Vec<u8>,
    /// For `https`: how to open TLS to the host.
    pub tls: Option<Tls>,
}

impl Endpoint {
    /// Read `url`: `http[s]://HOST[:PORT][/PATH][?QUERY]`. An https endpoint trusts the
    /// host's CA certificates (see [`Endpoint::trusting`] for more).
    pub fn parse(url: &str) -> Result<Endpoint, ProbeError> {
        let bad = |why: &str| ProbeError::usage(format!("--endpoint {url}: {why}"));
        let uri: Uri = url
            .parse()
            .map_err(|err| bad(&format!("not a URL ({err})")))?;
        let https = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => return Err(bad("give an http:// or https:// URL")),
        };
        let authority = uri.authority().ok_or_else(|| bad("no host"))?;
        if authority.as_str().contains('@') {
            return Err(bad("credentials in the URL are not sent; leave them out"));
        }
        let host = authority.host().trim_matches(['[', ']']).to_string();
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let path = uri
            .path_and_query()
            .map_or_else(|| "/".to_string(), |path| path.as_str().to_string());
        let request = encode(&path, authority.as_str())
            .ok_or_else(|| bad("not a path and host an HTTP request can carry"))?;
        let tls = match https {
            true => Some(Tls::new(&host, None).map_err(|why| bad(&why))?),
            false => None,
        };
        Ok(Endpoint {
            url: url.to_string(),
            authority: authority.as_str().to_string(),
            port: authority.port_u16().unwrap_or(if https { 443 } else { 80 }),
            host,
            path,
            request,
            tls,
        })
    }

    /// The endpoint trusting, beside the host's CA certificates, those of `ca_file` (PEM):
    /// a service whose certificate an in-house CA signed. An http endpoint has no use for it.
    pub fn trusting(mut self, ca_file: &std::path::Path) -> Result<Endpoint, ProbeError> {
        if self.tls.is_none() {
            return Err(ProbeError::usage(format!(
                "--ca-cert {}: {} is not https",
                ca_file.display(),
                self.url
            )));
        }
        let tls = Tls::new(&self.host, Some(ca_file)).map_err(ProbeError::usage)?;
        self.tls = Some(tls);
        Ok(self)
    }

    /// The address to connect to: the host's first, looked up once, within `timeout`.
    pub async fn resolve(&self, timeout: Duration) -> Result<SocketAddr, ProbeError> {
        let dns = |why: String| ProbeError {
            outcome: Some(Outcome::Dns),
            usage: false,
            message: format!(
                "dns: {}: cannot resolve {}: {why}; no load was sent",
                self.url, self.host
            ),
        };
        let lookup = tokio::net::lookup_host((self.host.as_str(), self.port));
        let mut addresses = tokio::time::timeout(timeout, lookup)
            .await
            .map_err(|_| dns(format!("no answer within {} s", timeout.as_secs_f64())))?
            .map_err(|err| dns(err.to_string()))?;
        addresses
            .next()
            .ok_or_else(|| dns("no address".to_string()))
    }

    /// The GET of `path` (a redirect's, on this endpoint's host); `None` when `path` is not
    /// one a request line can carry.
    pub fn request_for(&self, path: &str) -> Option<Vec<u8>> {
        encode(path, &self.authority)
    }

    /// The path of a redirect's `Location` if it stays on this endpoint's host and port
    /// (a path, or an http:// URL with the same authority); `None` when it leaves.
    pub fn same_site(&self, location: &str) -> Option<String> {
        if location.starts_with('/') && !location.starts_with("//") {
            return Some(location.to_string());
        }
        let uri: Uri = location.parse().ok()?;
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        let same = uri.scheme_str() == Some(scheme)
            && uri.authority().map(|a| a.as_str()) == Some(self.authority.as_str());
        same.then(|| {
            uri.path_and_query()
                .map_or_else(|| "/".to_string(), |path| path.as_str().to_string())
        })
    }
}

/// A GET of `path` on `authority` (the Host header), as the probe writes it. The URI parser
/// has checked both already; the path is checked again for what would break the request line.
fn encode(path: &str, authority: &str) -> Option<Vec<u8>> {
    path.parse::<PathAndQuery>().ok()?;
    let safe = |text: &str| {
        !text
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    };
    if !path.starts_with('/') || !safe(path) || !safe(authority) {
        return None;
    }
    Some(
        format!(
            "GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: perf_manual-red-probe\r\nAccept: */*\r\n\r\n"
        )
        .into_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_http_url_is_read_into_its_parts() {
        let endpoint = Endpoint::parse("http://127.0.0.1:8080/a?b=1").unwrap();
        assert_eq!(endpoint.authority, "127.0.0.1:8080");
        assert_eq!(endpoint.port, 8080);
        assert_eq!(endpoint.path, "/a?b=1");
        let bare = Endpoint::parse("http://localhost").unwrap();
        assert_eq!((bare.port, bare.path.as_str()), (80, "/"));
        assert_eq!(
            String::from_utf8(endpoint.request.clone()).unwrap(),
            "GET /a?b=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\
             User-Agent: perf_manual-red-probe\r\nAccept: */*\r\n\r\n"
        );
        // A redirect's path that would break the request line is not sent.
        assert!(endpoint.request_for("/next?x=1").is_some());
        assert_eq!(endpoint.request_for("/a b"), None);
        assert_eq!(endpoint.request_for("/a\r\nX: y"), None);
    }

    #[test]
    fn an_https_url_speaks_tls_on_443() {
        let https = Endpoint::parse("https://example.com/").unwrap();
        assert_eq!(https.port, 443);
        assert!(https.tls.is_some());
        assert!(
            Endpoint::parse("http://example.com/")
                .unwrap()
                .tls
                .is_none()
        );
        let missing = https
            .clone()
            .trusting(std::path::Path::new("/nonexistent/ca.pem"))
            .unwrap_err();
        assert!(
            missing.usage && missing.message.contains("--ca-cert"),
            "{missing:?}"
        );
        let clear = Endpoint::parse("http://example.com/")
            .unwrap()
            .trusting(std::path::Path::new("/etc/hostname"))
            .unwrap_err();
        assert!(clear.message.contains("not https"), "{clear:?}");
    }

    #[test]
    fn other_urls_are_refused_with_the_reason() {
        assert!(
            Endpoint::parse("ftp://x/")
                .unwrap_err()
                .message
                .contains("http://")
        );
        assert!(Endpoint::parse("not a url").unwrap_err().usage);
        assert!(
            Endpoint::parse("http://u:p@h/")
                .unwrap_err()
                .message
                .contains("credentials")
        );
    }

    #[test]
    fn redirects_are_followed_only_on_the_same_site() {
        let endpoint = Endpoint::parse("http://127.0.0.1:8080/").unwrap();
        assert_eq!(endpoint.same_site("/next").as_deref(), Some("/next"));
        assert_eq!(
            endpoint.same_site("http://127.0.0.1:8080/x").as_deref(),
            Some("/x")
        );
        assert_eq!(endpoint.same_site("http://other:8080/x"), None);
        assert_eq!(endpoint.same_site("//other/x"), None);
    }
}
