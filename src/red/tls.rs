//! TLS for `https://` endpoints: rustls (ring), the host's CA certificates (as
//! rustls-native-certs finds them: /etc/ssl/certs on Debian, SSL_CERT_FILE/SSL_CERT_DIR when
//! set) and those of `--ca-cert`, HTTP/1.1 by ALPN. A handshake that fails (an unknown CA, a
//! name that does not match, a clear-text server) ends its request as `tls`.

use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

/// How to open TLS to one endpoint's host.
#[derive(Clone)]
pub struct Tls {
    connector: TlsConnector,
    name: ServerName<'static>,
    /// What the trust rests on, for messages: `the host's 146 CA certificates`, `... and ca.pem`.
    pub trust: String,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("name", &self.name)
            .field("trust", &self.trust)
            .finish()
    }
}

impl Tls {
    /// TLS to `host`, trusting the host's CA certificates and those in `ca_file` (PEM).
    pub fn new(host: &str, ca_file: Option<&Path>) -> Result<Tls, String> {
        let name = ServerName::try_from(host.to_string())
            .map_err(|err| format!("{host} is not a name TLS can check ({err})"))?;
        let mut roots = RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        let (added, _) = roots.add_parsable_certificates(native.certs);
        let mut trust = format!("the host's {added} CA certificates");
        if let Some(file) = ca_file {
            let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(file)
                .map_err(|err| format!("--ca-cert {}: {err}", file.display()))?
                .collect::<Result<_, _>>()
                .map_err(|err| format!("--ca-cert {}: {err}", file.display()))?;
            if certificates.is_empty() {
                return Err(format!(
                    "--ca-cert {}: no PEM certificate in it",
                    file.display()
                ));
            }
            let (from_file, refused) = roots.add_parsable_certificates(certificates);
            if from_file == 0 {
                return Err(format!(
                    "--ca-cert {}: none of its {refused} certificate(s) could be used",
                    file.display()
                ));
            }
            trust.push_str(&format!(" and {from_file} from {}", file.display()));
        }
        let mut config = ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls {
            connector: TlsConnector::from(Arc::new(config)),
            name,
            trust,
        })
    }

    /// The TLS handshake on `stream`.
    pub async fn connect(&self, stream: TcpStream) -> io::Result<Stream> {
        let tls = self.connector.connect(self.name.clone(), stream).await?;
        Ok(Stream::Tls(Box::new(tls)))
    }
}

/// A connection's socket: clear text or TLS over it.
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(stream) => Pin::new(stream).poll_read(cx, buf),
            Stream::Tls(stream) => Pin::new(stream.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(stream) => Pin::new(stream).poll_write(cx, buf),
            Stream::Tls(stream) => Pin::new(stream.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(stream) => Pin::new(stream).poll_write_vectored(cx, bufs),
            Stream::Tls(stream) => Pin::new(stream.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Plain(stream) => stream.is_write_vectored(),
            Stream::Tls(stream) => stream.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(stream) => Pin::new(stream).poll_flush(cx),
            Stream::Tls(stream) => Pin::new(stream.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(stream) => Pin::new(stream).poll_shutdown(cx),
            Stream::Tls(stream) => Pin::new(stream.as_mut()).poll_shutdown(cx),
        }
    }
}
