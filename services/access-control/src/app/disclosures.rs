//! The disclosure log (O24): a security officer records each legally forced disclosure of
//! a shop's data: the authority, the legal instrument, the jurisdiction, the classes and
//! the data subjects concerned, and any order that forbids telling the merchant, with its
//! end. The owners see it at once, or when that order ends: the database hides a gagged
//! record from tenant-admin until then, and the sweep tells the owners (mail and an event
//! in their audit log) as soon as it may.

use chrono::{DateTime, Utc};
use platform_audit::{Actor, Event};
use platform_domain::{DataClass, Invalid, PlatformRole};
use platform_tenancy::TenantId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::app::AppState;
use crate::app::operator::Operator;
use crate::db;
use crate::error::ApiError;

/// A disclosure to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisclosureInput {
    /// The shop's handle.
    pub shop: String,
    /// Who demanded it (a court, an agency).
    pub authority: String,
    /// The legal instrument (warrant, production order, with its reference).
    pub instrument: String,
    /// Under which jurisdiction.
    pub jurisdiction: String,
    /// The classes of personal data handed over.
    pub classes: Vec<String>,
    /// The data subjects concerned (order numbers, a description; no more than needed).
    pub subjects: String,
    /// Until when an order forbids telling the merchant, if one does.
    #[serde(default)]
    pub gag_until: Option<DateTime<Utc>>,
    /// That order (its reference), if any.
    #[serde(default)]
    pub gag_order: Option<String>,
}

/// A disclosure as the security officers see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DisclosureView {
    /// Its id.
    pub id: Uuid,
    /// The shop's id.
    pub shop_id: Uuid,
    /// The shop's handle.
    pub shop: String,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// Who demanded it.
    pub authority: String,
    /// The legal instrument.
    pub instrument: String,
    /// Jurisdiction.
    pub jurisdiction: String,
    /// Classes handed over.
    pub classes: Vec<String>,
    /// Subjects concerned.
    pub subjects: String,
    /// Until when the merchant may not be told.
    pub gag_until: Option<DateTime<Utc>>,
    /// The order that says so.
    pub gag_order: Option<String>,
    /// When the owners were told.
    pub notified_at: Option<DateTime<Utc>>,
}

impl DisclosureView {
    fn of(d: db::disclosures::Disclosure) -> Self {
        DisclosureView {
            id: d.id,
            shop_id: d.tenant_id,
            shop: d.shop,
            recorded_at: d.recorded_at,
            authority: d.authority,
            instrument: d.instrument,
            jurisdiction: d.jurisdiction,
            classes: d.classes,
            subjects: d.subjects,
            gag_until: d.gag_until,
            gag_order: d.gag_order,
            notified_at: d.notified_at,
        }
    }
}

fn text(
    value: &str,
    max: usize,
    code: &'static str,
    what: &'static str,
) -> Result<String, ApiError> {
    let t = value.trim();
    if t.is_empty() || t.chars().count() > max {
        return Err(Invalid::new(code, what).into());
    }
    Ok(t.to_owned())
}

fn officer(operator: &Operator) -> Result<(), ApiError> {
    if operator.roles.contains(PlatformRole::Security) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// Records a disclosure; the owners are told now unless an order forbids it.
pub async fn record(
    state: &AppState,
    operator: &Operator,
    input: &DisclosureInput,
) -> Result<DisclosureView, ApiError> {
    officer(operator)?;
    let authority = text(
        &input.authority,
        300,
        "disclosure.authority_invalid",
        "Name the authority (up to 300 characters).",
    )?;
    let instrument = text(
        &input.instrument,
        300,
        "disclosure.instrument_invalid",
        "Name the legal instrument and its reference (up to 300 characters).",
    )?;
    let jurisdiction = text(
        &input.jurisdiction,
        100,
        "disclosure.jurisdiction_invalid",
        "Name the jurisdiction (up to 100 characters).",
    )?;
    let subjects = text(
        &input.subjects,
        2000,
        "disclosure.subjects_invalid",
        "Say which data subjects are concerned (up to 2000 characters).",
    )?;
    let mut classes = Vec::new();
    for c in &input.classes {
        let class = DataClass::parse(c.trim()).ok_or_else(|| {
            Invalid::new("grant.class_invalid", "One of the data classes is unknown.")
        })?;
        if !classes.contains(&class.as_str()) {
            classes.push(class.as_str());
        }
    }
    if classes.is_empty() {
        return Err(
            Invalid::new("grant.classes_missing", "Choose the classes handed over.").into(),
        );
    }
    let now = state.clock.now();
    let gag_order = input
        .gag_order
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty());
    match (input.gag_until, gag_order) {
        (None, None) => {}
        (Some(until), Some(order)) if until > now && order.chars().count() <= 300 => {}
        _ => {
            return Err(Invalid::new(
                "disclosure.gag_invalid",
                "A non-disclosure order needs both its reference and a future end date.",
            )
            .into());
        }
    }
    let shop = crate::app::grants::shop_id(state, input.shop.trim()).await?;
    let mut tx = state.db.begin_operator(shop, operator.id).await?;
    let id = Uuid::new_v4();
    db::disclosures::insert(
        &mut tx,
        db::disclosures::NewDisclosure {
            id,
            recorded_by: operator.id,
            at: now,
            authority: &authority,
            instrument: &instrument,
            jurisdiction: &jurisdiction,
            classes: &classes,
            subjects: &subjects,
            gag_until: input.gag_until,
            gag_order,
        },
    )
    .await?;
    tx.commit().await?;
    crate::app::operator::used(state, operator, PlatformRole::Security).await?;
    tell_owners(state, shop).await?;
    let mut tx = state.db.operator(operator.id).await?;
    let view = db::disclosures::all(&mut tx, 500)
        .await?
        .into_iter()
        .find(|d| d.id == id)
        .map(DisclosureView::of)
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(view)
}

/// Tells the shop's owners of every disclosure they may now know of: an event in their
/// audit log and a mail. Returns how many.
pub async fn tell_owners(state: &AppState, shop: TenantId) -> Result<usize, ApiError> {
    let now = state.clock.now();
    let mut tx = state.db.begin(shop).await?;
    let due = db::disclosures::due_for_owners(&mut tx, now).await?;
    for id in &due {
        db::disclosures::notify(&mut tx, *id, now).await?;
        platform_audit::append(
            &mut tx,
            now,
            &Event {
                actor: Actor::system(),
                action: "disclosure.record".to_owned(),
                objects: vec![format!("disclosure:{id}")],
                classes: Vec::new(),
                purpose: "legally forced disclosure".to_owned(),
                request_id: None,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(due.len())
}

/// Every disclosure (security officers).
pub async fn all(state: &AppState, operator: &Operator) -> Result<Vec<DisclosureView>, ApiError> {
    officer(operator)?;
    let mut tx = state.db.operator(operator.id).await?;
    let list = db::disclosures::all(&mut tx, 500).await?;
    tx.commit().await?;
    Ok(list.into_iter().map(DisclosureView::of).collect())
}
