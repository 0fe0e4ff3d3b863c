//! Store settings (name, contact email, currency, host names, checkout fields) and the
//! versioned privacy policy.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use platform_web::JsonBody;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::{Currency, Email, Invalid, parse_host_name, parse_text};
use crate::error::on_constraint;
use crate::session::Staff;
use crate::{ApiError, AppState};

/// The checkout fields a shop configures (O2).
pub const CHECKOUT_FIELDS: [&str; 4] = ["name", "email", "phone", "address"];

/// Store settings as the API shows and takes them.
#[derive(Debug, Serialize, Deserialize)]
pub struct Settings {
    /// Shop name.
    pub display_name: String,
    /// Contact email shown to visitors.
    pub contact_email: String,
    /// Default currency.
    pub currency: String,
    /// Host names the shop answers at.
    pub host_names: Vec<String>,
    /// For each of name, email, phone, address: required, optional or hidden.
    pub checkout_fields: Value,
    /// Days a visitor's cart (cookie) survives without activity, 1..=90 (O4, O15).
    #[serde(default = "default_cart_ttl_days")]
    pub cart_ttl_days: i32,
}

fn default_cart_ttl_days() -> i32 {
    30
}

fn parse_checkout_fields(v: &Value) -> Result<Value, Invalid> {
    let bad = || Invalid {
        code: "settings.checkout_fields_invalid",
        message: "Each of name, email, phone and address must be required, optional or hidden."
            .to_owned(),
    };
    let o = v.as_object().ok_or_else(bad)?;
    if o.len() != CHECKOUT_FIELDS.len() {
        return Err(bad());
    }
    for f in CHECKOUT_FIELDS {
        match o.get(f).and_then(Value::as_str) {
            Some("required" | "optional" | "hidden") => {}
            _ => return Err(bad()),
        }
    }
    Ok(v.clone())
}

/// `GET /api/v1/settings`.
pub async fn get_settings(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<Settings>, ApiError> {
    let mut tx = state.db.begin(staff.tenant).await?;
    let (display_name, host_names): (String, Vec<String>) =
        sqlx::query_as("select display_name, host_names from tenants where id = $1")
            .bind(staff.tenant)
            .fetch_one(&mut tx)
            .await?;
    let (contact_email, currency, checkout_fields, cart_ttl_days): (String, String, Value, i32) = sqlx::query_as(
        "select contact_email, currency, checkout_fields, cart_ttl_days from store_settings where tenant_id = $1",
    )
    .bind(staff.tenant)
    .fetch_one(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(Json(Settings {
        display_name,
        contact_email,
        currency,
        host_names,
        checkout_fields,
        cart_ttl_days,
    }))
}

/// `PUT /api/v1/settings`.
pub async fn put_settings(
    State(state): State<AppState>,
    staff: Staff,
    JsonBody(input): JsonBody<Settings>,
) -> Result<Json<Settings>, ApiError> {
    Ok(Json(save_settings(&state, &staff, input).await?))
}

/// Validates and stores settings (API and console).
pub async fn save_settings(
    state: &AppState,
    staff: &Staff,
    input: Settings,
) -> Result<Settings, ApiError> {
    staff.require_owner()?;
    let display_name = parse_text(
        &input.display_name,
        1,
        100,
        "settings.display_name",
        "The shop name",
    )?;
    let contact_email = Email::parse(&input.contact_email)?;
    let currency = Currency::parse(&input.currency)?;
    let checkout_fields = parse_checkout_fields(&input.checkout_fields)?;
    if !(1..=90).contains(&input.cart_ttl_days) {
        return Err(Invalid {
            code: "settings.cart_ttl_invalid",
            message: "Carts are kept between 1 and 90 days.".to_owned(),
        }
        .into());
    }
    let mut host_names = input
        .host_names
        .iter()
        .map(|h| parse_host_name(h))
        .collect::<Result<Vec<_>, _>>()?;
    host_names.sort();
    host_names.dedup();
    if host_names.is_empty() || host_names.len() > 10 {
        return Err(Invalid {
            code: "settings.host_names_count",
            message: "A shop has one to ten host names.".to_owned(),
        }
        .into());
    }
    let mut tx = state.db.begin(staff.tenant).await?;
    sqlx::query("update tenants set display_name = $2, host_names = $3 where id = $1")
        .bind(staff.tenant)
        .bind(&display_name)
        .bind(&host_names)
        .execute(&mut tx)
        .await
        .map_err(|e| {
            on_constraint(
                e,
                &[(
                    "tenants_host_names_unique",
                    "settings.host_taken",
                    "One of these host names belongs to another shop.",
                )],
            )
        })?;
    sqlx::query(
        "update store_settings set contact_email = $2, currency = $3, checkout_fields = $4, \
         cart_ttl_days = $5, updated_at = now() where tenant_id = $1",
    )
    .bind(staff.tenant)
    .bind(contact_email.as_str())
    .bind(currency.as_str())
    .bind(&checkout_fields)
    .bind(input.cart_ttl_days)
    .execute(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(Settings {
        display_name,
        contact_email: contact_email.as_str().to_owned(),
        currency: currency.as_str().to_owned(),
        host_names,
        checkout_fields,
        cart_ttl_days: input.cart_ttl_days,
    })
}

/// A privacy policy version.
#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct PolicyVersion {
    /// Id.
    pub id: Uuid,
    /// 1, 2, … per shop.
    pub version: i32,
    /// The text (Markdown-free plain text, paragraphs separated by blank lines).
    pub body: String,
    /// draft or published.
    pub status: String,
    /// When a published version takes effect.
    pub effective_at: Option<DateTime<Utc>>,
    /// When it was published.
    pub published_at: Option<DateTime<Utc>>,
}

/// Every version of the shop's policy, newest first.
pub async fn versions(state: &AppState, staff: &Staff) -> Result<Vec<PolicyVersion>, ApiError> {
    let mut tx = state.db.begin(staff.tenant).await?;
    let versions = sqlx::query_as(
        "select id, version, body, status, effective_at, published_at from privacy_policies \
         where tenant_id = $1 order by version desc",
    )
    .bind(staff.tenant)
    .fetch_all(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(versions)
}

/// `GET /api/v1/privacy-policies`: every version, newest first.
pub async fn list_policies(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<Vec<PolicyVersion>>, ApiError> {
    let mut tx = state.db.begin(staff.tenant).await?;
    let versions = sqlx::query_as(
        "select id, version, body, status, effective_at, published_at from privacy_policies \
         where tenant_id = $1 order by version desc",
    )
    .bind(staff.tenant)
    .fetch_all(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(Json(versions))
}

/// The draft's text.
#[derive(Debug, Deserialize)]
pub struct DraftInput {
    /// Text.
    pub body: String,
}

/// Saves the draft (creating it as the next version if there is none).
pub async fn save_draft_body(
    state: &AppState,
    staff: &Staff,
    body: &str,
) -> Result<PolicyVersion, ApiError> {
    let body = parse_text(body, 1, 100_000, "policy.body_invalid", "The policy")?;
    let mut tx = state.db.begin(staff.tenant).await?;
    let updated: Option<PolicyVersion> = sqlx::query_as(
        "update privacy_policies set body = $2 where tenant_id = $1 and status = 'draft' \
         returning id, version, body, status, effective_at, published_at",
    )
    .bind(staff.tenant)
    .bind(&body)
    .fetch_optional(&mut tx)
    .await?;
    let draft = match updated {
        Some(d) => d,
        None => sqlx::query_as(
            "insert into privacy_policies (tenant_id, id, version, body) \
             select $1, $2, coalesce(max(version), 0) + 1, $3 from privacy_policies where tenant_id = $1 \
             returning id, version, body, status, effective_at, published_at",
        )
        .bind(staff.tenant)
        .bind(Uuid::new_v4())
        .bind(&body)
        .fetch_one(&mut tx)
        .await?,
    };
    tx.commit().await?;
    Ok(draft)
}

/// `PUT /api/v1/privacy-policies/draft`.
pub async fn save_draft(
    State(state): State<AppState>,
    staff: Staff,
    JsonBody(input): JsonBody<DraftInput>,
) -> Result<Json<PolicyVersion>, ApiError> {
    staff.require_owner()?;
    Ok(Json(save_draft_body(&state, &staff, &input.body).await?))
}

/// Publication input.
#[derive(Debug, Deserialize)]
pub struct PublishInput {
    /// When the version takes effect (default: now). A future date announces a change
    /// before it applies (O20).
    pub effective_at: Option<DateTime<Utc>>,
}

/// `POST /api/v1/privacy-policies/draft/publish`.
pub async fn publish_draft(
    State(state): State<AppState>,
    staff: Staff,
    JsonBody(input): JsonBody<PublishInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (id, version, effective_at) = publish(&state, &staff, input.effective_at).await?;
    Ok((
        StatusCode::OK,
        Json(json!({ "id": id, "version": version, "effective_at": effective_at })),
    ))
}

/// Publishes the draft (API and console); returns its id, version and effective date.
pub async fn publish(
    state: &AppState,
    staff: &Staff,
    effective_at: Option<DateTime<Utc>>,
) -> Result<(Uuid, i32, DateTime<Utc>), ApiError> {
    staff.require_owner()?;
    let now = state.clock.now();
    let effective_at = effective_at.unwrap_or(now);
    if effective_at < now - chrono::Duration::minutes(5) {
        return Err(Invalid {
            code: "policy.effective_in_past",
            message: "A policy cannot take effect in the past.".to_owned(),
        }
        .into());
    }
    let mut tx = state.db.begin(staff.tenant).await?;
    let published: Option<(Uuid, i32)> = sqlx::query_as(
        "update privacy_policies set status = 'published', effective_at = $2, published_at = $3 \
         where tenant_id = $1 and status = 'draft' returning id, version",
    )
    .bind(staff.tenant)
    .bind(effective_at)
    .bind(now)
    .fetch_optional(&mut tx)
    .await?;
    let (id, version) = published.ok_or(ApiError::Conflict(
        "policy.no_draft",
        "There is no draft to publish.".to_owned(),
    ))?;
    tx.commit().await?;
    Ok((id, version, effective_at))
}
