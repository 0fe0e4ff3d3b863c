//! Who is calling, by client certificate (mutual TLS, O7): the TLS acceptor reads the
//! verified certificate's DNS names once per connection and hands them to every request
//! as a [`Caller`]; [`allow_callers`] lets only the named services through.
//!
//! rustls has already checked the chain against the service's client CA before any of
//! this runs; a certificate of that CA proves membership of the platform, not which
//! service it is. Reading the name and checking it against a list is what stops the
//! storefront's key, say, from being used where only the orders service may call.

use std::io;
use std::sync::Arc;

use axum::Extension;
use axum::extract::Request;
use axum::middleware::{AddExtension, Next};
use axum::response::{IntoResponse, Response};
use axum_server::accept::Accept;
use axum_server::tls_rustls::RustlsAcceptor;
use futures_util::future::BoxFuture;
use rustls::pki_types::CertificateDer;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::server::TlsStream;
use tower::Layer;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::WebError;

/// The names (DNS subject alternative names, lower case) of the client certificate the
/// connection presented; empty without one.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    names: Arc<[String]>,
    fingerprint: Option<[u8; 32]>,
}

impl Caller {
    /// The caller named by the end-entity certificate of a verified chain.
    pub fn from_certificates(chain: Option<&[CertificateDer<'_>]>) -> Self {
        let names = chain
            .and_then(<[_]>::first)
            .and_then(|der| X509Certificate::from_der(der.as_ref()).ok())
            .and_then(|(_, cert)| {
                let san = cert.subject_alternative_name().ok().flatten()?;
                Some(
                    san.value
                        .general_names
                        .iter()
                        .filter_map(|name| match name {
                            GeneralName::DNSName(dns) => Some(dns.to_ascii_lowercase()),
                            _ => None,
                        })
                        .collect::<Vec<_>>(),
                )
            })
            .unwrap_or_default();
        Caller {
            names: names.into(),
            fingerprint: chain
                .and_then(<[_]>::first)
                .map(|der| crate::tls::fingerprint(der.as_ref())),
        }
    }

    /// The SHA-256 of the end-entity certificate (DER): what a platform staff account
    /// registers, so that one member's certificate never opens another's account.
    pub fn fingerprint(&self) -> Option<[u8; 32]> {
        self.fingerprint
    }

    /// The certificate's names.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Whether the certificate names `service`.
    pub fn is(&self, service: &str) -> bool {
        self.names.iter().any(|n| n == service)
    }
}

/// The HTTPS acceptor of a service that takes client certificates: the TLS handshake,
/// then the [`Caller`] added to every request of the connection.
#[derive(Clone)]
pub struct CallerAcceptor {
    tls: RustlsAcceptor,
}

impl CallerAcceptor {
    /// Wraps the TLS acceptor.
    pub fn new(tls: RustlsAcceptor) -> Self {
        CallerAcceptor { tls }
    }
}

impl<I, S> Accept<I, S> for CallerAcceptor
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: Send + 'static,
{
    type Stream = TlsStream<I>;
    type Service = AddExtension<S, Caller>;
    type Future = BoxFuture<'static, io::Result<(Self::Stream, Self::Service)>>;

    fn accept(&self, stream: I, service: S) -> Self::Future {
        let tls = self.tls.clone();
        Box::pin(async move {
            let (stream, service) = tls.accept(stream, service).await?;
            let caller = Caller::from_certificates(stream.get_ref().1.peer_certificates());
            Ok((stream, Extension(caller).layer(service)))
        })
    }
}

/// A middleware (`axum::middleware::from_fn_with_state(allowed, allow_callers)`) that
/// answers `403 caller.not_allowed` unless the request came with a client certificate
/// naming one of `allowed`.
pub async fn allow_callers(
    axum::extract::State(allowed): axum::extract::State<Arc<[String]>>,
    request: Request,
    next: Next,
) -> Response {
    let known = request
        .extensions()
        .get::<Caller>()
        .is_some_and(|caller| allowed.iter().any(|service| caller.is(service)));
    if known {
        next.run(request).await
    } else {
        WebError::new(
            axum::http::StatusCode::FORBIDDEN,
            "caller.not_allowed",
            "This service does not take requests from this caller.",
        )
        .into_response()
    }
}
