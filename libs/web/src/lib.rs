//! Web: what every service shares, so each one answers the same way.
//!
//! - [`config`]: typed configuration from the environment, errors naming the variable;
//! - [`tls`] and [`server`]: a rustls HTTPS listener (optionally requiring client
//!   certificates, O7), a plain-HTTP listener that only redirects to HTTPS, graceful
//!   shutdown on SIGINT/SIGTERM;
//! - [`service_router`]: `/healthz`, `/readyz` (checks the service's real dependencies),
//!   request ids, security headers (HSTS, CSP, nosniff, Referrer-Policy,
//!   frame-ancestors), request spans keyed by route template, a timeout, panics turned
//!   into opaque 500s, and error rendering;
//! - [`Caller`] and [`allow_callers`]: which platform service a client certificate names,
//!   and a guard that lets only the named ones call (O7);
//! - [`refuse_card_numbers`]: no card number in a query or body of ours (O3);
//! - [`WebError`]: the one error type, rendered as JSON or HTML with a stable code;
//! - `devcert` (feature): the development certificate authority `cargo xtask` creates.
//!
//! What this crate must never do: put a cause, a stack or personal data in a response,
//! or serve anything over plain HTTP but a redirect.

mod assets;
mod caller;
mod card_guard;
pub mod config;
#[cfg(feature = "devcert")]
pub mod devcert;
mod error;
mod extract;
mod health;
mod layers;
mod rate;
pub mod server;
pub mod tls;

#[cfg(feature = "utoipa")]
pub use assets::openapi_document;
pub use assets::{CONSOLE_CSS, stylesheet};
pub use caller::{Caller, CallerAcceptor, allow_callers};
pub use card_guard::{holds_card_number, refuse_card_numbers};
pub use config::{ConfigError, Env, HostPattern, HttpRedirect, ServerConfig};
#[cfg(feature = "utoipa")]
pub use error::{ErrorBody, ErrorDetail};
pub use error::{ErrorInfo, ErrorPage, ErrorView, PlainErrorPage, WebError, render_errors};
pub use extract::{
    ClientIp, FormBody, JsonBody, PathParams, QueryParams, json_shape_error, truncate_ip,
};
pub use health::{Readiness, ReadinessCheck};
pub use layers::{
    REQUEST_ID_HEADER, RequestId, csp_with_form_target, has_control_character, service_router,
    service_router_with_pages,
};
pub use rate::{NetworkRate, limit_unsafe};
pub use server::{BoundServer, StartError, exit_with, shutdown_signal};
