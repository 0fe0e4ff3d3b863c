//! Sign-up, login, sessions and CSRF (O9).
//!
//! A session cookie `__Host-admin_session` holds `<tenant id>.<random token>`; the
//! database keeps only the token's SHA-256, with the staff member, a CSRF token and the
//! times that enforce the 30-minute idle and 12-hour absolute limits. Every unsafe request
//! must carry the session's CSRF token (`x-csrf-token` header for the API, a `csrf` form
//! field for the console), and the cookie is `SameSite=Strict` besides.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use chrono::{DateTime, Duration, Utc};
use platform_auth::{Token, check_password_policy, secrets_equal};
use platform_tenancy::{TenantId, TenantTx};
use platform_vault::Sealed;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::domain::{Currency, Email, Invalid, ShopHandle, parse_text};
use crate::error::on_constraint;
use crate::{ApiError, AppState};

/// Name of the session cookie (`__Host-`: Secure, Path=/, no Domain).
pub const SESSION_COOKIE: &str = "__Host-admin_session";
/// Name of the pre-login CSRF cookie of the HTML forms (double submit).
pub const FORM_CSRF_COOKIE: &str = "__Host-admin_csrf";
/// Idle timeout.
pub const IDLE: Duration = Duration::minutes(30);
/// Absolute timeout.
pub const ABSOLUTE: Duration = Duration::hours(12);

/// Blind-index and sealing context of staff emails.
const EMAIL_CONTEXT: &str = "staff_accounts.email";

/// An authenticated staff member, from a valid session.
#[derive(Debug, Clone)]
pub struct Staff {
    /// The shop.
    pub tenant: TenantId,
    /// The account.
    pub staff_id: Uuid,
    /// owner, billing, support or fulfilment.
    pub role: String,
    /// The session's CSRF token.
    pub csrf: String,
}

impl Staff {
    /// Refuses unless the staff member owns the shop.
    pub fn require_owner(&self) -> Result<(), ApiError> {
        if self.role == "owner" {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    staff_id: Uuid,
    role: String,
    csrf_token: String,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: Uuid,
    password_hash: String,
    role: String,
    failed_streak: i32,
    locked_until: Option<DateTime<Utc>>,
}

/// Looks up and refreshes the session named by the request's cookie.
pub(crate) async fn authenticate(headers: &HeaderMap, state: &AppState) -> Result<Staff, ApiError> {
    let value = cookie(headers, SESSION_COOKIE).ok_or(ApiError::Unauthenticated)?;
    let (tenant, token) = value.split_once('.').ok_or(ApiError::Unauthenticated)?;
    let tenant: TenantId = tenant.parse().map_err(|_| ApiError::Unauthenticated)?;
    let token = Token::parse(token).ok_or(ApiError::Unauthenticated)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(tenant).await?;
    let row: Option<SessionRow> = sqlx::query_as(
        "select s.staff_id, a.role, s.csrf_token, s.created_at, s.last_seen_at \
         from staff_sessions s join staff_accounts a on a.tenant_id = s.tenant_id and a.id = s.staff_id \
         where s.tenant_id = $1 and s.token_hash = $2 and s.revoked_at is null",
    )
    .bind(tenant)
    .bind(token.digest())
    .fetch_optional(&mut tx)
    .await?;
    let Some(SessionRow {
        staff_id,
        role,
        csrf_token: csrf,
        created_at,
        last_seen_at,
    }) = row
    else {
        return Err(ApiError::Unauthenticated);
    };
    if now - last_seen_at > IDLE || now - created_at > ABSOLUTE {
        sqlx::query(
            "update staff_sessions set revoked_at = $3 where tenant_id = $1 and token_hash = $2",
        )
        .bind(tenant)
        .bind(token.digest())
        .bind(now)
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        return Err(ApiError::Unauthenticated);
    }
    if now - last_seen_at > Duration::seconds(30) {
        sqlx::query(
            "update staff_sessions set last_seen_at = $3 where tenant_id = $1 and token_hash = $2",
        )
        .bind(tenant)
        .bind(token.digest())
        .bind(now)
        .execute(&mut tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Staff {
        tenant,
        staff_id,
        role,
        csrf,
    })
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// API extractor: a valid session, and for unsafe methods the `x-csrf-token` header.
impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let staff = authenticate(&parts.headers, state).await?;
        if !is_safe(&parts.method) {
            let presented = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !secrets_equal(presented, &staff.csrf) {
                return Err(ApiError::Csrf);
            }
        }
        Ok(staff)
    }
}

/// A form that carries a CSRF token.
pub trait CsrfForm {
    /// The submitted token.
    fn csrf(&self) -> &str;
}

/// Implements [`CsrfForm`] for form structs with a `csrf: String` field.
macro_rules! csrf_forms {
    ($($form:ty),+ $(,)?) => {
        $(impl $crate::session::CsrfForm for $form {
            fn csrf(&self) -> &str {
                &self.csrf
            }
        })+
    };
}
pub(crate) use csrf_forms;

/// Console extractor: a valid session and a form whose `csrf` field matches it.
pub struct StaffForm<T>(pub Staff, pub T);

impl<T> FromRequest<AppState> for StaffForm<T>
where
    T: CsrfForm + serde::de::DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let staff = authenticate(request.headers(), state).await?;
        let Form(form) = Form::<T>::from_request(request, state).await.map_err(|e| {
            ApiError::Invalid(Invalid {
                code: "request.invalid_form",
                message: e.body_text(),
            })
        })?;
        if !secrets_equal(form.csrf(), &staff.csrf) {
            return Err(ApiError::Csrf);
        }
        Ok(StaffForm(staff, form))
    }
}

/// Checks the double-submit token of a pre-login form.
pub fn check_form_csrf(headers: &HeaderMap, submitted: &str) -> Result<(), ApiError> {
    let expected = cookie(headers, FORM_CSRF_COOKIE).ok_or(ApiError::Csrf)?;
    if submitted.is_empty() || !secrets_equal(expected, submitted) {
        return Err(ApiError::Csrf);
    }
    Ok(())
}

/// Failed logins per client network (IPv4 /24, IPv6 /48) in a fixed window.
#[derive(Debug)]
pub struct IpLimiter {
    windows: Mutex<HashMap<IpAddr, (DateTime<Utc>, u32)>>,
    budget: u32,
    window: Duration,
}

impl Default for IpLimiter {
    /// 30 failed logins per network per ten minutes.
    fn default() -> Self {
        IpLimiter::new(30, Duration::minutes(10))
    }
}

/// The network an address belongs to, for throttling (and for logs, O5).
pub use platform_web::truncate_ip as network_of;

impl IpLimiter {
    /// A limiter allowing `budget` failures per network per `window`.
    pub fn new(budget: u32, window: Duration) -> Self {
        IpLimiter {
            windows: Mutex::new(HashMap::new()),
            budget,
            window,
        }
    }

    /// Seconds to wait if this network is over its budget.
    pub fn blocked_for(&self, ip: IpAddr, now: DateTime<Utc>) -> Option<u32> {
        let windows = self.windows.lock().ok()?;
        let (start, n) = windows.get(&network_of(ip))?;
        let ends = *start + self.window;
        (*n >= self.budget && ends > now).then(|| (ends - now).num_seconds().max(1) as u32)
    }

    /// Counts one failure.
    pub fn fail(&self, ip: IpAddr, now: DateTime<Utc>) {
        if let Ok(mut windows) = self.windows.lock() {
            if windows.len() > 100_000 {
                let window = self.window;
                windows.retain(|_, (start, _)| *start + window > now);
            }
            let entry = windows.entry(network_of(ip)).or_insert((now, 0));
            if entry.0 + self.window <= now {
                *entry = (now, 0);
            }
            entry.1 += 1;
        }
    }
}

/// Sign-up input (API and console share it).
#[derive(Deserialize)]
pub struct SignupInput {
    /// Shop handle.
    pub handle: String,
    /// Shop name.
    pub display_name: String,
    /// ISO 4217 currency.
    pub currency: String,
    /// Owner's email.
    pub email: String,
    /// Owner's password.
    pub password: SecretString,
}

/// What sign-up created.
#[derive(Serialize)]
pub struct SignedUp {
    /// The new tenant.
    pub tenant_id: TenantId,
    /// Its handle.
    pub handle: String,
    /// Where the shop is served.
    pub host_name: String,
    /// The shop's URL.
    pub storefront_url: String,
}

fn storefront_url(state: &AppState, host: &str) -> String {
    if state.storefront_port == 443 {
        format!("https://{host}/")
    } else {
        format!("https://{host}:{}/", state.storefront_port)
    }
}

/// Creates a tenant, its settings and its owner account, in one transaction.
pub async fn signup(state: &AppState, input: SignupInput) -> Result<SignedUp, ApiError> {
    let handle = ShopHandle::parse(&input.handle)?;
    let display_name = parse_text(
        &input.display_name,
        1,
        100,
        "signup.display_name",
        "The shop name",
    )?;
    let currency = Currency::parse(&input.currency)?;
    let email = Email::parse(&input.email)?;
    check_password_policy(&input.password)?;
    let host_name = format!("{}.{}", handle, state.shop_domain);
    let password_hash = state.hasher.hash(input.password).await?;

    let tenant = TenantId::random();
    // One transaction scoped to the new tenant: the platform row (no RLS) and the tenant
    // rows commit together or not at all.
    let mut tx = state.db.begin(tenant).await?;
    sqlx::query(
        "insert into tenants (id, handle, display_name, host_names) values ($1, $2, $3, $4)",
    )
    .bind(tenant)
    .bind(handle.as_str())
    .bind(&display_name)
    .bind(vec![host_name.clone()])
    .execute(&mut tx)
    .await
    .map_err(|e| {
        on_constraint(
            e,
            &[
                (
                    "tenants_handle_key",
                    "signup.handle_taken",
                    "This shop handle is taken; please choose another.",
                ),
                (
                    "tenants_host_names_unique",
                    "signup.host_taken",
                    "This shop's host name is taken; please choose another handle.",
                ),
            ],
        )
    })?;
    sqlx::query(
        "insert into store_settings (tenant_id, currency, contact_email) values ($1, $2, $3)",
    )
    .bind(tenant)
    .bind(currency.as_str())
    .bind(email.as_str())
    .execute(&mut tx)
    .await?;
    let staff_id = Uuid::new_v4();
    insert_staff(state, &mut tx, staff_id, &email, &password_hash, "owner").await?;
    tx.commit().await?;
    tracing::info!(tenant_id = %tenant, "shop signed up");
    Ok(SignedUp {
        tenant_id: tenant,
        handle: handle.to_string(),
        storefront_url: storefront_url(state, &host_name),
        host_name,
    })
}

async fn insert_staff(
    state: &AppState,
    tx: &mut TenantTx,
    staff_id: Uuid,
    email: &Email,
    password_hash: &str,
    role: &str,
) -> Result<(), ApiError> {
    let index = state
        .vault
        .blind_index(tx, EMAIL_CONTEXT, email.as_str())
        .await?;
    let sealed = state
        .vault
        .seal_for_subject(tx, staff_id, EMAIL_CONTEXT, email.as_str().as_bytes())
        .await?;
    sqlx::query(
        "insert into staff_accounts (tenant_id, id, email_index, email_sealed, password_hash, role) \
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(tx.tenant())
    .bind(staff_id)
    .bind(index.to_vec())
    .bind(sealed.into_bytes())
    .bind(password_hash)
    .bind(role)
    .execute(&mut *tx)
    .await
    .map_err(|e| on_constraint(e, &[("staff_accounts_tenant_id_email_index_key", "staff.email_taken", "This email already has an account in this shop.")]))?;
    Ok(())
}

/// Login input.
#[derive(Deserialize)]
pub struct LoginInput {
    /// The shop's handle.
    pub shop: String,
    /// Email.
    pub email: String,
    /// Password.
    pub password: SecretString,
}

/// A new session.
pub struct NewSession {
    /// Cookie value.
    pub cookie: String,
    /// The staff member.
    pub staff: Staff,
}

/// Checks credentials under the throttling rules and opens a session.
pub async fn login(
    state: &AppState,
    ip: IpAddr,
    input: LoginInput,
) -> Result<NewSession, ApiError> {
    let now = state.clock.now();
    if let Some(wait) = state.ip_limiter.blocked_for(ip, now) {
        return Err(ApiError::Throttled("auth.throttled", wait));
    }
    let fail = |state: &AppState| {
        state.ip_limiter.fail(ip, now);
        ApiError::InvalidCredentials
    };
    let (Ok(handle), Ok(email)) = (ShopHandle::parse(&input.shop), Email::parse(&input.email))
    else {
        state.hasher.verify(input.password, None).await?;
        return Err(fail(state));
    };
    let tenant: Option<TenantId> = {
        let mut tx = state.db.platform().await?;
        sqlx::query_scalar("select id from tenants where handle = $1 and status <> 'deleted'")
            .bind(handle.as_str())
            .fetch_optional(&mut tx)
            .await?
    };
    let Some(tenant) = tenant else {
        state.hasher.verify(input.password, None).await?;
        return Err(fail(state));
    };

    let mut tx = state.db.begin(tenant).await?;
    let index = state
        .vault
        .blind_index(&mut tx, EMAIL_CONTEXT, email.as_str())
        .await?;
    let account: Option<AccountRow> = sqlx::query_as(
        "select id, password_hash, role, failed_streak, locked_until from staff_accounts \
         where tenant_id = $1 and email_index = $2 for update",
    )
    .bind(tenant)
    .bind(index.to_vec())
    .fetch_optional(&mut tx)
    .await?;
    let Some(AccountRow {
        id: staff_id,
        password_hash: hash,
        role,
        failed_streak: streak,
        locked_until,
    }) = account
    else {
        state.hasher.verify(input.password, None).await?;
        return Err(fail(state));
    };
    // Soft lockout: during the delay the password is not even checked.
    if let Some(until) = locked_until.filter(|u| *u > now) {
        return Err(ApiError::Throttled(
            "auth.locked",
            (until - now).num_seconds().max(1) as u32,
        ));
    }
    // Hard cap: at most `hourly_failures` failed attempts per account per rolling hour.
    let recent_failures: i64 = sqlx::query_scalar(
        "select count(*) from login_attempts \
         where tenant_id = $1 and staff_id = $2 and not succeeded and at > $3",
    )
    .bind(tenant)
    .bind(staff_id)
    .bind(now - Duration::hours(1))
    .fetch_one(&mut tx)
    .await?;
    if recent_failures >= i64::from(state.policy.hourly_failures) {
        return Err(ApiError::Throttled("auth.throttled", 3600));
    }

    let ok = state.hasher.verify(input.password, Some(hash)).await?;
    sqlx::query("insert into login_attempts (tenant_id, id, staff_id, at, succeeded) values ($1, $2, $3, $4, $5)")
        .bind(tenant)
        .bind(Uuid::new_v4())
        .bind(staff_id)
        .bind(now)
        .bind(ok)
        .execute(&mut tx)
        .await?;
    if !ok {
        let streak = u32::try_from(streak).unwrap_or(0) + 1;
        sqlx::query("update staff_accounts set failed_streak = $3, locked_until = $4 where tenant_id = $1 and id = $2")
            .bind(tenant)
            .bind(staff_id)
            .bind(i32::try_from(streak).unwrap_or(i32::MAX))
            .bind(state.policy.locked_until(streak, now))
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        return Err(fail(state));
    }
    sqlx::query("update staff_accounts set failed_streak = 0, locked_until = null where tenant_id = $1 and id = $2")
        .bind(tenant)
        .bind(staff_id)
        .execute(&mut tx)
        .await?;
    // Old attempts beyond the window serve nobody.
    sqlx::query("delete from login_attempts where tenant_id = $1 and staff_id = $2 and at < $3")
        .bind(tenant)
        .bind(staff_id)
        .bind(now - Duration::days(1))
        .execute(&mut tx)
        .await?;
    let token = Token::generate();
    let csrf = Token::generate().as_str().to_owned();
    sqlx::query(
        "insert into staff_sessions (tenant_id, token_hash, staff_id, csrf_token, created_at, last_seen_at) \
         values ($1, $2, $3, $4, $5, $5)",
    )
    .bind(tenant)
    .bind(token.digest())
    .bind(staff_id)
    .bind(&csrf)
    .bind(now)
    .execute(&mut tx)
    .await?;
    tx.commit().await?;
    tracing::info!(tenant_id = %tenant, staff_id = %staff_id, "staff logged in");
    Ok(NewSession {
        cookie: format!("{tenant}.{}", token.as_str()),
        staff: Staff {
            tenant,
            staff_id,
            role,
            csrf,
        },
    })
}

/// Revokes the session of this request.
pub async fn logout(state: &AppState, headers: &HeaderMap, staff: &Staff) -> Result<(), ApiError> {
    let token = cookie(headers, SESSION_COOKIE)
        .and_then(|v| v.split_once('.'))
        .and_then(|(_, t)| Token::parse(t))
        .ok_or(ApiError::Unauthenticated)?;
    let mut tx = state.db.begin(staff.tenant).await?;
    sqlx::query(
        "update staff_sessions set revoked_at = $3 where tenant_id = $1 and token_hash = $2",
    )
    .bind(staff.tenant)
    .bind(token.digest())
    .bind(state.clock.now())
    .execute(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `Set-Cookie` for a new session.
pub fn session_cookie(value: &str) -> HeaderValue {
    let v = format!(
        "{SESSION_COOKIE}={value}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age={}",
        ABSOLUTE.num_seconds()
    );
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_session_cookie() -> HeaderValue {
    HeaderValue::from_static(
        "__Host-admin_session=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0",
    )
}

/// `POST /api/v1/signup`.
pub async fn signup_api(
    State(state): State<AppState>,
    platform_web::JsonBody(input): platform_web::JsonBody<SignupInput>,
) -> Result<Response, ApiError> {
    let created = signup(&state, input).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// `POST /api/v1/login`: sets the session cookie; the body carries the CSRF token.
pub async fn login_api(
    State(state): State<AppState>,
    platform_web::ClientIp(ip): platform_web::ClientIp,
    platform_web::JsonBody(input): platform_web::JsonBody<LoginInput>,
) -> Result<Response, ApiError> {
    let session = login(&state, ip, input).await?;
    let mut response = Json(json!({
        "tenant_id": session.staff.tenant,
        "staff_id": session.staff.staff_id,
        "role": session.staff.role,
        "csrf_token": session.staff.csrf,
    }))
    .into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&session.cookie));
    Ok(response)
}

/// `POST /api/v1/logout`.
pub async fn logout_api(
    State(state): State<AppState>,
    headers: HeaderMap,
    staff: Staff,
) -> Result<Response, ApiError> {
    logout(&state, &headers, &staff).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, clear_session_cookie());
    Ok(response)
}

/// `GET /api/v1/me`.
pub async fn me_api(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<serde_json::Value>, ApiError> {
    let mut tx = state.db.begin(staff.tenant).await?;
    let (handle, display_name, host_names): (String, String, Vec<String>) =
        sqlx::query_as("select handle, display_name, host_names from tenants where id = $1")
            .bind(staff.tenant)
            .fetch_one(&mut tx)
            .await?;
    let sealed: Vec<u8> = sqlx::query_scalar(
        "select email_sealed from staff_accounts where tenant_id = $1 and id = $2",
    )
    .bind(staff.tenant)
    .bind(staff.staff_id)
    .fetch_one(&mut tx)
    .await?;
    let email = state
        .vault
        .open(&mut tx, EMAIL_CONTEXT, &Sealed::from_bytes(sealed)?)
        .await?;
    tx.commit().await?;
    Ok(Json(json!({
        "tenant_id": staff.tenant,
        "shop": { "handle": handle, "display_name": display_name, "host_names": host_names },
        "staff_id": staff.staff_id,
        "email": String::from_utf8_lossy(&email),
        "role": staff.role,
        "csrf_token": staff.csrf,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_truncate_addresses() {
        assert_eq!(
            network_of("203.0.113.77".parse().unwrap()),
            "203.0.113.0".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            network_of("2001:db8:abcd:12::1".parse().unwrap()),
            "2001:db8:abcd::".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            network_of("::ffff:198.51.100.9".parse().unwrap()),
            "198.51.100.0".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; __Host-admin_session=t.k; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("t.k"));
        assert_eq!(cookie(&h, "session"), None);
    }
}
