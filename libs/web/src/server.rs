//! Binding and serving: HTTPS for the service, plain HTTP only to redirect.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_server::Handle;
use axum_server::tls_rustls::RustlsConfig;

use crate::caller::CallerAcceptor;
use crate::config::HostPattern;
use crate::{ServerConfig, WebError};

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Binding a socket failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// Certificates or keys are unusable.
    #[error("TLS configuration of {}", .path.display())]
    Tls {
        /// The file at fault (empty when the configuration as a whole is).
        path: std::path::PathBuf,
        /// Why.
        #[source]
        cause: TlsCause,
    },
    /// The server stopped with an I/O error.
    #[error("server failed: {0}")]
    Serve(#[from] std::io::Error),
}

/// Why a TLS file or configuration is unusable.
#[derive(Debug, thiserror::Error)]
pub enum TlsCause {
    /// rustls refused it.
    #[error(transparent)]
    Rustls(#[from] rustls::Error),
    /// A PEM file does not parse.
    #[error(transparent)]
    Pem(#[from] rustls::pki_types::pem::Error),
    /// A client-certificate verifier could not be built.
    #[error(transparent)]
    Verifier(#[from] rustls::server::VerifierBuilderError),
    /// The file holds no certificate.
    #[error("no certificate in the file")]
    NoCertificate,
}

/// How long in-flight requests get to finish after a shutdown signal.
const GRACE: Duration = Duration::from_secs(10);

/// Sockets bound and TLS loaded, not serving yet: the ports are known (port 0 works), so
/// tests and the dev stack never wait or guess.
pub struct BoundServer {
    https: std::net::TcpListener,
    http: Option<(std::net::TcpListener, Arc<[HostPattern]>)>,
    tls: RustlsConfig,
    /// Client certificates are verified: requests carry the [`crate::Caller`].
    callers: bool,
    https_port: u16,
    http_port: Option<u16>,
    public_https_port: u16,
}

fn bind(addr: SocketAddr) -> Result<std::net::TcpListener, StartError> {
    let listener =
        std::net::TcpListener::bind(addr).map_err(|source| StartError::Bind { addr, source })?;
    listener
        .set_nonblocking(true)
        .map_err(|source| StartError::Bind { addr, source })?;
    Ok(listener)
}

impl BoundServer {
    /// Loads TLS material and binds the listeners of `config`.
    pub fn bind(config: &ServerConfig) -> Result<Self, StartError> {
        let tls = crate::tls::server_config(
            &config.tls_cert,
            &config.tls_key,
            config.client_ca.as_deref(),
            config.require_client_cert,
        )?;
        let https = bind(config.https_addr)?;
        let https_port = https.local_addr()?.port();
        let http = match &config.http_redirect {
            Some(redirect) => Some((bind(redirect.addr)?, Arc::from(redirect.hosts.as_slice()))),
            None => None,
        };
        let http_port = match &http {
            Some((l, _)) => Some(l.local_addr()?.port()),
            None => None,
        };
        Ok(BoundServer {
            https,
            http,
            tls: RustlsConfig::from_config(tls),
            callers: config.client_ca.is_some(),
            https_port,
            http_port,
            public_https_port: config.public_https_port.unwrap_or(https_port),
        })
    }

    /// The bound HTTPS port.
    pub fn https_port(&self) -> u16 {
        self.https_port
    }

    /// The bound redirecting HTTP port, if any.
    pub fn http_port(&self) -> Option<u16> {
        self.http_port
    }

    /// Serves `router` until `shutdown` resolves, then drains for up to ten seconds.
    pub async fn serve(
        self,
        router: Router,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        let handle: Handle<SocketAddr> = Handle::new();
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        let https = axum_server::from_tcp_rustls(self.https, self.tls)?.handle(handle.clone());
        let https = if self.callers {
            Box::pin(https.map(CallerAcceptor::new).serve(service))
                as std::pin::Pin<Box<dyn Future<Output = std::io::Result<()>> + Send>>
        } else {
            Box::pin(https.serve(service))
        };
        let redirect_handle: Handle<SocketAddr> = Handle::new();
        let http = self.http.map(|(listener, hosts)| {
            let port = self.public_https_port;
            let app = Router::new()
                .fallback(move |req: Request| redirect_to_https(req, port, hosts.clone()));
            axum_server::from_tcp(listener).map(|s| {
                s.handle(redirect_handle.clone())
                    .serve(app.into_make_service())
            })
        });
        let http = http.transpose()?;
        let stopper = {
            let (handle, redirect_handle) = (handle.clone(), redirect_handle.clone());
            tokio::spawn(async move {
                shutdown.await;
                tracing::info!("shutting down");
                redirect_handle.graceful_shutdown(Some(GRACE));
                handle.graceful_shutdown(Some(GRACE));
            })
        };
        let result = match http {
            Some(http) => {
                let (a, b) = tokio::join!(https, http);
                a.and(b)
            }
            None => https.await,
        };
        stopper.abort();
        Ok(result?)
    }
}

/// Answers a plain-HTTP request for one of the service's own host names with a permanent
/// redirect to the same path on HTTPS; any other or missing `Host` gets a coded 400, so an
/// attacker cannot make this listener send browsers elsewhere.
async fn redirect_to_https(
    request: Request,
    https_port: u16,
    hosts: Arc<[HostPattern]>,
) -> Response {
    let mut given = request.headers().get_all(header::HOST).iter();
    let host = match (given.next(), given.next()) {
        (Some(value), None) => value
            .to_str()
            .ok()
            .and_then(|h| h.parse::<axum::http::uri::Authority>().ok())
            .map(|a| a.host().to_ascii_lowercase()),
        _ => None,
    };
    let Some(host) = host.filter(|h| hosts.iter().any(|p| p.matches(h))) else {
        return WebError::bad_request(
            "request.unknown_host",
            "This address does not serve that host name.",
        )
        .into_response();
    };
    let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
    let authority = if https_port == 443 {
        host
    } else {
        format!("{host}:{https_port}")
    };
    match format!("https://{authority}{path}").parse::<Uri>() {
        Ok(uri) => Redirect::permanent(&uri.to_string()).into_response(),
        Err(_) => WebError::bad_request("request.bad_target", "The request target is not valid.")
            .into_response(),
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Reports why a service could not start or stopped with an error (the whole cause chain,
/// to the log and to standard error) and returns the failing exit code: the end of every
/// service's `main`.
pub fn exit_with(
    service: &str,
    error: &(dyn std::error::Error + 'static),
) -> std::process::ExitCode {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    tracing::error!(error = %chain, "{service} failed");
    eprintln!("{service}: {chain}");
    std::process::ExitCode::FAILURE
}
