//! The service's one error type and its status table.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use platform_web::WebError;

use crate::domain::Invalid;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Input that does not parse or validate (422).
    #[error("invalid input: {}", .0.code)]
    Invalid(Invalid),
    /// Several invalid rows (CSV import), none stored (422).
    #[error("invalid rows")]
    InvalidRows(Vec<(usize, Invalid)>),
    /// A unique value is taken (409).
    #[error("conflict: {0}")]
    Conflict(&'static str, String),
    /// No such thing for this tenant (404) — also what another tenant's ids answer.
    #[error("not found")]
    NotFound,
    /// Not logged in, or the session expired (401).
    #[error("not authenticated")]
    Unauthenticated,
    /// Wrong shop, email or password (401, deliberately vague).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Logged in but the role may not do this (403).
    #[error("forbidden")]
    Forbidden,
    /// Missing or wrong CSRF token (403).
    #[error("csrf")]
    Csrf,
    /// Too many attempts; retry after the given seconds (429).
    #[error("throttled")]
    Throttled(&'static str, u32),
    /// Password hashing saturated (503).
    #[error("busy")]
    Busy,
    /// Anything else (500; cause logged, never sent).
    #[error("internal: {0}")]
    Internal(String),
}

impl From<Invalid> for ApiError {
    fn from(i: Invalid) -> Self {
        ApiError::Invalid(i)
    }
}

impl From<platform_tenancy::TenancyError> for ApiError {
    fn from(e: platform_tenancy::TenancyError) -> Self {
        match e {
            platform_tenancy::TenancyError::Database(db) => ApiError::from(db),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::Internal(format!("database: {e}"))
    }
}

impl From<platform_vault::VaultError> for ApiError {
    fn from(e: platform_vault::VaultError) -> Self {
        ApiError::Internal(format!("vault: {e}"))
    }
}

impl From<platform_auth::AuthError> for ApiError {
    fn from(e: platform_auth::AuthError) -> Self {
        match e {
            platform_auth::AuthError::Busy => ApiError::Busy,
            platform_auth::AuthError::WeakPassword(m) => ApiError::Invalid(Invalid {
                code: "password.weak",
                message: m.to_owned(),
            }),
            platform_auth::AuthError::Hash => ApiError::Internal("password hashing".into()),
        }
    }
}

/// Maps a unique violation on `constraint` to a conflict, anything else through.
pub fn on_constraint(err: sqlx::Error, table: &[(&str, &'static str, &str)]) -> ApiError {
    if let sqlx::Error::Database(db) = &err
        && db.code().as_deref() == Some("23505")
    {
        let constraint = db.constraint().unwrap_or("");
        for (name, code, message) in table {
            if *name == constraint {
                return ApiError::Conflict(code, (*message).to_owned());
            }
        }
    }
    ApiError::from(err)
}

impl ApiError {
    /// The `WebError` this becomes (the status table).
    pub fn to_web(self) -> WebError {
        match self {
            ApiError::Invalid(i) => WebError::unprocessable(i.code, i.message),
            ApiError::InvalidRows(rows) => {
                let message = rows
                    .iter()
                    .map(|(line, i)| format!("line {line}: {}", i.message))
                    .collect::<Vec<_>>()
                    .join("\n");
                WebError::unprocessable("catalog.csv_invalid", message)
            }
            ApiError::Conflict(code, message) => WebError::conflict(code, message),
            ApiError::NotFound => WebError::not_found("not_found", "There is nothing here."),
            ApiError::Unauthenticated => {
                WebError::new(StatusCode::UNAUTHORIZED, "auth.required", "Please log in.")
            }
            ApiError::InvalidCredentials => WebError::new(
                StatusCode::UNAUTHORIZED,
                "auth.invalid_credentials",
                "The shop, email or password is not right.",
            ),
            ApiError::Forbidden => WebError::new(
                StatusCode::FORBIDDEN,
                "auth.forbidden",
                "Your role does not allow this.",
            ),
            ApiError::Csrf => WebError::new(
                StatusCode::FORBIDDEN,
                "auth.csrf",
                "This form has expired. Please reload the page and try again.",
            ),
            ApiError::Throttled(code, secs) => WebError::new(
                StatusCode::TOO_MANY_REQUESTS,
                code,
                "Too many attempts. Please wait a moment and try again.",
            )
            .with_retry_after(secs),
            ApiError::Busy => WebError::unavailable(
                "auth.busy",
                "We are handling many logins right now. Please try again in a moment.",
                2,
            ),
            ApiError::Internal(cause) => WebError::internal(std::io::Error::other(cause)),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.to_web().into_response()
    }
}
