//! The service's one error type and its one table of status, code and message, used by
//! the JSON API and by the console's pages alike.

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
    /// Several invalid rows (CSV import), none stored (422).
    #[error("invalid rows")]
    InvalidRows(Vec<(usize, Invalid)>),
    /// A unique value is taken, or the state forbids the change (409).
    #[error("conflict: {code}")]
    Conflict {
        /// Stable code.
        code: &'static str,
        /// Public message.
        message: Cow<'static, str>,
    },
    /// No such thing for this tenant (404), also what another tenant's ids answer.
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
    /// A body larger than the route takes (413), with its code.
    #[error("too large: {0}")]
    TooLarge(&'static str, &'static str),
    /// A form that does not parse (422).
    #[error("malformed form")]
    Form(#[source] axum::extract::rejection::FormRejection),
    /// An upload form that does not parse (422) or is too large (413).
    #[error("malformed upload: {1}")]
    Upload(axum::http::StatusCode, String),
    /// Pictures are not set up on this deployment (503).
    #[error("pictures unavailable")]
    ImagesUnavailable,
    /// A picture was refused (422, or 413 when too large).
    #[error("picture refused: {0}")]
    Image(#[from] platform_images::ImageError),
    /// The object store failed (502).
    #[error("object store")]
    Objects(#[from] platform_images::ObjectsError),
    /// Too many attempts; retry after the given seconds (429).
    #[error("throttled: {0}")]
    Throttled(&'static str, u32),
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
    /// The audit log refused or failed (500: nothing is shown or changed unlogged).
    #[error("audit")]
    Audit(#[from] platform_audit::AuditError),
    /// A sensitive action needs the password and code again (403).
    #[error("reauthentication required")]
    ReauthRequired,
    /// The CSV export could not be written (500).
    #[error("csv")]
    Csv(#[from] csv::Error),
    /// Writing an export bundle (ZIP, JSON) failed (500).
    #[error("export bundle")]
    Bundle(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The orders service refused (its code, message and field pass through).
    #[error("orders refused: {}", code.as_str())]
    OrdersRefused {
        /// Its code.
        code: platform_orders_api::ErrorCode,
        /// Its public message.
        message: String,
        /// The request field it is about, as the orders service names it.
        field: Option<String>,
    },
    /// The orders service is away, or not configured (503).
    #[error("orders unavailable")]
    OrdersAway(#[source] Option<platform_orders_api::OrdersCallError>),
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
            Refusal::Upload(status, message) => ApiError::Upload(status, message),
        }
    }
}

/// Maps a unique or check violation of one of the named constraints to its conflict;
/// anything else passes through as a database error.
pub fn on_constraint(err: sqlx::Error, table: &[(&str, &'static str, &'static str)]) -> ApiError {
    if let sqlx::Error::Database(db) = &err
        && matches!(db.code().as_deref(), Some("23505" | "23514"))
    {
        let constraint = db.constraint().unwrap_or("");
        for (name, code, message) in table {
            if *name == constraint {
                return ApiError::Conflict {
                    code,
                    message: Cow::Borrowed(message),
                };
            }
        }
    }
    ApiError::Database(err)
}

impl ApiError {
    /// A conflict with the current state.
    pub fn conflict(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        ApiError::Conflict {
            code,
            message: message.into(),
        }
    }

    /// The one table: status, stable code and public message of every error.
    pub fn describe(&self) -> (StatusCode, &'static str, Cow<'static, str>) {
        use StatusCode as S;
        match self {
            ApiError::Invalid(i) => (S::UNPROCESSABLE_ENTITY, i.code, i.message.clone()),
            ApiError::InvalidRows(rows) => (
                S::UNPROCESSABLE_ENTITY,
                "catalog.csv_invalid",
                rows.iter()
                    .map(|(line, i)| format!("line {line}: {}", i.message))
                    .collect::<Vec<_>>()
                    .join("\n")
                    .into(),
            ),
            ApiError::Conflict { code, message } => (S::CONFLICT, code, message.clone()),
            ApiError::NotFound => (S::NOT_FOUND, "not_found", "There is nothing here.".into()),
            ApiError::Unauthenticated => {
                (S::UNAUTHORIZED, "auth.required", "Please log in.".into())
            }
            ApiError::InvalidCredentials => (
                S::UNAUTHORIZED,
                "auth.invalid_credentials",
                "The shop, email or password is not right.".into(),
            ),
            ApiError::Forbidden => (
                S::FORBIDDEN,
                "auth.forbidden",
                "Your role does not allow this.".into(),
            ),
            ApiError::Csrf => (
                S::FORBIDDEN,
                "auth.csrf",
                "This form has expired. Please reload the page and try again.".into(),
            ),
            ApiError::ReauthRequired => (
                S::FORBIDDEN,
                "auth.reauth_required",
                "Please confirm your password and code again to do this.".into(),
            ),
            ApiError::TooLarge(code, message) => (S::PAYLOAD_TOO_LARGE, code, (*message).into()),
            ApiError::Form(e) => (
                S::UNPROCESSABLE_ENTITY,
                "request.invalid_form",
                e.body_text().into(),
            ),
            ApiError::Upload(status, message) if *status == S::PAYLOAD_TOO_LARGE => (
                S::PAYLOAD_TOO_LARGE,
                "image.too_large",
                format!("The upload is larger than the 10 MB a picture may be ({message}).").into(),
            ),
            ApiError::Upload(_, message) => (
                S::UNPROCESSABLE_ENTITY,
                "request.invalid_upload",
                message.clone().into(),
            ),
            ApiError::ImagesUnavailable => (
                S::SERVICE_UNAVAILABLE,
                "images.unavailable",
                "Pictures cannot be stored on this installation right now.".into(),
            ),
            ApiError::Image(e @ platform_images::ImageError::TooLarge) => (
                S::PAYLOAD_TOO_LARGE,
                e.code(),
                format!("The picture was refused: {e}.").into(),
            ),
            ApiError::Image(e @ platform_images::ImageError::Encode) => (
                S::INTERNAL_SERVER_ERROR,
                e.code(),
                format!("The picture could not be stored: {e}.").into(),
            ),
            ApiError::Image(e) => (
                S::UNPROCESSABLE_ENTITY,
                e.code(),
                format!("The picture was refused: {e}.").into(),
            ),
            ApiError::Objects(_) => (
                S::BAD_GATEWAY,
                "images.store_failed",
                "The picture store did not answer. Please try again in a moment.".into(),
            ),
            ApiError::Throttled(code, _) => (
                S::TOO_MANY_REQUESTS,
                code,
                "Too many attempts. Please wait a moment and try again.".into(),
            ),
            ApiError::Busy => (
                S::SERVICE_UNAVAILABLE,
                "auth.busy",
                "We are handling many logins right now. Please try again in a moment.".into(),
            ),
            ApiError::OrdersRefused {
                code:
                    platform_orders_api::ErrorCode::RequestNotFound
                    | platform_orders_api::ErrorCode::LinkInvalid,
                ..
            } => (S::NOT_FOUND, "not_found", "There is nothing here.".into()),
            ApiError::OrdersRefused {
                code: platform_orders_api::ErrorCode::NotFound,
                ..
            } => (S::NOT_FOUND, "not_found", "There is nothing here.".into()),
            ApiError::OrdersRefused {
                code:
                    code @ (platform_orders_api::ErrorCode::PaymentsUnavailable
                    | platform_orders_api::ErrorCode::CarrierUnavailable),
                message,
                ..
            } => (
                S::SERVICE_UNAVAILABLE,
                code.as_str(),
                message.clone().into(),
            ),
            ApiError::OrdersRefused {
                code:
                    code @ (platform_orders_api::ErrorCode::ProcessorRefused
                    | platform_orders_api::ErrorCode::CarrierRefused),
                message,
                ..
            } => (S::BAD_GATEWAY, code.as_str(), message.clone().into()),
            ApiError::OrdersRefused {
                code:
                    code @ (platform_orders_api::ErrorCode::NotCancellable
                    | platform_orders_api::ErrorCode::NotRefundable
                    | platform_orders_api::ErrorCode::NotShippable
                    | platform_orders_api::ErrorCode::KeyNotRevocable
                    | platform_orders_api::ErrorCode::RequestState),
                message,
                ..
            } => (S::CONFLICT, code.as_str(), message.clone().into()),
            ApiError::OrdersRefused { code, message, .. } => (
                S::UNPROCESSABLE_ENTITY,
                code.as_str(),
                message.clone().into(),
            ),
            ApiError::OrdersAway(_) => (
                S::SERVICE_UNAVAILABLE,
                "orders.unavailable",
                "Orders are unavailable for a moment. Please try again shortly.".into(),
            ),
            ApiError::Database(_)
            | ApiError::Tenancy(_)
            | ApiError::Vault(_)
            | ApiError::Hashing(_)
            | ApiError::Audit(_)
            | ApiError::Csv(_)
            | ApiError::Bundle(_) => (
                S::INTERNAL_SERVER_ERROR,
                "internal",
                "Something went wrong on our side. Please try again.".into(),
            ),
        }
    }

    /// A problem with what the person typed, shown beside the form they typed it in.
    pub fn is_input_problem(&self) -> bool {
        matches!(
            self,
            ApiError::Invalid(_)
                | ApiError::InvalidRows(_)
                | ApiError::Conflict { .. }
                | ApiError::Upload(..)
                | ApiError::Image(
                    platform_images::ImageError::TooLarge
                        | platform_images::ImageError::UnsupportedType
                        | platform_images::ImageError::NotAnImage
                        | platform_images::ImageError::TooManyPixels
                )
        )
    }
}

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> WebError {
        let (status, code, message) = e.describe();
        let retry = match &e {
            ApiError::Throttled(_, secs) => Some(*secs),
            ApiError::Busy | ApiError::OrdersAway(_) => Some(2),
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
