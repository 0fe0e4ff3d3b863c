//! The service's one error type and its one table of status, code and message, for the
//! JSON API and the console's pages alike.

use std::borrow::Cow;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use platform_auth::extract::Refusal;
use platform_domain::Invalid;
use platform_web::WebError;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Input that does not parse or validate (422).
    #[error("invalid input: {}", .0.code)]
    Invalid(Invalid),
    /// The state forbids the change (409).
    #[error("conflict: {code}")]
    Conflict {
        /// Stable code.
        code: &'static str,
        /// Public message.
        message: Cow<'static, str>,
    },
    /// No such thing (404).
    #[error("not found")]
    NotFound,
    /// Not logged in, or the session expired (401).
    #[error("not authenticated")]
    Unauthenticated,
    /// Wrong login, password, code or certificate (401, deliberately vague).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Logged in but no role of the caller may do this (403).
    #[error("forbidden")]
    Forbidden,
    /// No active grant for this shop covers the request (403).
    #[error("no grant")]
    NoGrant,
    /// Missing or wrong CSRF token (403).
    #[error("csrf")]
    Csrf,
    /// A form that does not parse (422).
    #[error("malformed form")]
    Form(#[source] axum::extract::rejection::FormRejection),
    /// Too many attempts; retry after the given seconds (429).
    #[error("throttled")]
    Throttled(u32),
    /// Password hashing saturated (503).
    #[error("busy")]
    Busy,
    /// The database failed (500).
    #[error("database")]
    Database(#[from] sqlx::Error),
    /// The tenancy layer refused or failed (500).
    #[error("tenancy")]
    Tenancy(#[source] platform_tenancy::TenancyError),
    /// Encryption failed (500).
    #[error("vault")]
    Vault(#[from] platform_vault::VaultError),
    /// Password hashing failed (500).
    #[error("password hashing")]
    Hashing(#[source] platform_auth::AuthError),
    /// The audit log refused or failed (500: nothing is shown unlogged).
    #[error("audit")]
    Audit(#[from] platform_audit::AuditError),
    /// A stored value does not decode (500).
    #[error("stored data")]
    Stored(#[from] serde_json::Error),
}

impl From<Invalid> for ApiError {
    fn from(i: Invalid) -> Self {
        ApiError::Invalid(i)
    }
}

impl From<platform_tenancy::TenancyError> for ApiError {
    fn from(e: platform_tenancy::TenancyError) -> Self {
        match e {
            platform_tenancy::TenancyError::Database(db) => ApiError::Database(db),
            other => ApiError::Tenancy(other),
        }
    }
}

impl From<platform_auth::AuthError> for ApiError {
    fn from(e: platform_auth::AuthError) -> Self {
        match e {
            platform_auth::AuthError::Busy => ApiError::Busy,
            platform_auth::AuthError::WeakPassword(m) => {
                ApiError::Invalid(Invalid::new("password.weak", m))
            }
            hash => ApiError::Hashing(hash),
        }
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Unauthenticated => ApiError::Unauthenticated,
            Refusal::Forbidden => ApiError::Forbidden,
            Refusal::Csrf => ApiError::Csrf,
            Refusal::Form(e) => ApiError::Form(e),
            // The staff console takes no uploads.
            Refusal::Upload(..) => ApiError::NotFound,
        }
    }
}

impl ApiError {
    /// A conflict with the current state.
    pub fn conflict(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        ApiError::Conflict {
            code,
            message: message.into(),
        }
    }

    /// A refused input.
    pub fn invalid(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        ApiError::Invalid(Invalid::new(code, message))
    }

    /// The one table: status, stable code and public message of every error.
    pub fn describe(&self) -> (StatusCode, &'static str, Cow<'static, str>) {
        use StatusCode as S;
        match self {
            ApiError::Invalid(i) => (S::UNPROCESSABLE_ENTITY, i.code, i.message.clone()),
            ApiError::Conflict { code, message } => (S::CONFLICT, code, message.clone()),
            ApiError::NotFound => (S::NOT_FOUND, "not_found", "There is nothing here.".into()),
            ApiError::Unauthenticated => {
                (S::UNAUTHORIZED, "auth.required", "Please log in.".into())
            }
            ApiError::InvalidCredentials => (
                S::UNAUTHORIZED,
                "auth.invalid_credentials",
                "The certificate, login, password or code is not right.".into(),
            ),
            ApiError::Forbidden => (
                S::FORBIDDEN,
                "auth.forbidden",
                "Your role does not allow this.".into(),
            ),
            ApiError::NoGrant => (
                S::FORBIDDEN,
                "grant.none",
                "You hold no active grant for this shop. Ask its owners for one.".into(),
            ),
            ApiError::Csrf => (
                S::FORBIDDEN,
                "auth.csrf",
                "This form has expired. Please reload the page and try again.".into(),
            ),
            ApiError::Form(e) => (
                S::UNPROCESSABLE_ENTITY,
                "request.invalid_form",
                e.body_text().into(),
            ),
            ApiError::Throttled(_) => (
                S::TOO_MANY_REQUESTS,
                "auth.throttled",
                "Too many attempts. Please wait a moment and try again.".into(),
            ),
            ApiError::Busy => (
                S::SERVICE_UNAVAILABLE,
                "auth.busy",
                "We are handling many logins right now. Please try again in a moment.".into(),
            ),
            ApiError::Database(_)
            | ApiError::Tenancy(_)
            | ApiError::Vault(_)
            | ApiError::Hashing(_)
            | ApiError::Audit(_)
            | ApiError::Stored(_) => (
                S::INTERNAL_SERVER_ERROR,
                "internal",
                "Something went wrong on our side. Please try again.".into(),
            ),
        }
    }

    /// A problem with what the person typed, shown beside the form they typed it in.
    pub fn is_input_problem(&self) -> bool {
        matches!(self, ApiError::Invalid(_) | ApiError::Conflict { .. })
    }
}

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> WebError {
        let (status, code, message) = e.describe();
        let retry = match &e {
            ApiError::Throttled(secs) => Some(*secs),
            ApiError::Busy => Some(2),
            _ => None,
        };
        let mut web = WebError::new(status, code, message);
        if let Some(secs) = retry {
            web = web.with_retry_after(secs);
        }
        if status.is_server_error() {
            web = web.with_cause(e);
        }
        web
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        WebError::from(self).into_response()
    }
}
