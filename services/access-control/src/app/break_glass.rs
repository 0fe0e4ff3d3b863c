//! Break-glass (O8, O21): emergency access to one shop without waiting for its owners. It
//! needs a written reason of at least 40 characters, an incident id and the approval of a
//! second security officer (never the requester: the database refuses it too), lasts at
//! most an hour, tells the owners at once (mail and a banner in their console, which also
//! lets them end it), and owes a post-incident note within 72 hours, flagged while it is
//! missing.

use chrono::{DateTime, Duration, Utc};
use platform_audit::Event;
use platform_domain::{
    BREAK_GLASS_MAX_MINUTES, BREAK_GLASS_MIN_REASON, DataClass, GRANT_PENDING_HOURS,
    INCIDENT_NOTE_HOURS, Invalid, PlatformRole,
};
use platform_tenancy::TenantId;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::app::AppState;
use crate::app::grants::{GrantView, actor, purpose_text};
use crate::app::operator::Operator;
use crate::db;
use crate::error::ApiError;

/// An emergency request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakGlassInput {
    /// The shop's handle.
    pub shop: String,
    /// The incident it serves.
    pub incident_id: String,
    /// What is happening and why the owners cannot be waited for (at least 40 characters).
    pub reason: String,
    /// The classes needed.
    pub classes: Vec<String>,
    /// How long, once approved: 15 to 60 minutes (default 60).
    #[serde(default)]
    pub minutes: Option<i32>,
}

/// The post-incident note.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteInput {
    /// What was done under the grant and why it was needed (at least 40 characters).
    pub note: String,
}

fn check(input: &BreakGlassInput) -> Result<(String, String, Vec<&'static str>, i32), ApiError> {
    let incident = input.incident_id.trim().to_owned();
    if incident.is_empty()
        || incident.len() > 60
        || !incident
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'#' | b'-'))
    {
        return Err(Invalid::new(
            "break_glass.incident_invalid",
            "Name the incident: up to 60 letters, digits, dots, dashes, underscores or #.",
        )
        .into());
    }
    let reason = input.reason.trim().to_owned();
    if reason.chars().count() < BREAK_GLASS_MIN_REASON || reason.chars().count() > 2000 {
        return Err(Invalid::new(
            "break_glass.reason_short",
            "Write at least 40 characters: what is happening and why the owners cannot be waited for.",
        )
        .into());
    }
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
        return Err(Invalid::new(
            "grant.classes_missing",
            "Choose the classes of personal data you need.",
        )
        .into());
    }
    let minutes = input.minutes.unwrap_or(BREAK_GLASS_MAX_MINUTES);
    if !(crate::app::grants::GRANT_MIN_MINUTES..=BREAK_GLASS_MAX_MINUTES).contains(&minutes) {
        return Err(Invalid::new(
            "break_glass.duration_invalid",
            "Break-glass lasts 15 minutes to 1 hour.",
        )
        .into());
    }
    Ok((incident, reason, classes, minutes))
}

/// Files an emergency request; the security officers see it in their queue, the owners
/// are mailed.
pub async fn request(
    state: &AppState,
    operator: &Operator,
    input: &BreakGlassInput,
) -> Result<GrantView, ApiError> {
    let role = operator.requesting_role(None)?;
    let (incident, reason, classes, minutes) = check(input)?;
    let now = state.clock.now();
    let shop = crate::app::grants::shop_id(state, input.shop.trim()).await?;
    let mut tx = state.db.begin_operator(shop, operator.id).await?;
    if db::grants::open_of(&mut tx, operator.id).await? > 0 {
        return Err(ApiError::conflict(
            "grant.open",
            "You already have a pending or active grant with this shop: end it first.",
        ));
    }
    let id = Uuid::new_v4();
    db::grants::insert(
        &mut tx,
        db::grants::NewGrant {
            id,
            staff_id: operator.id,
            operator: operator.pseudonym,
            operator_role: role.as_str(),
            operator_entity: &operator.entity,
            kind: "break_glass",
            purpose: "incident",
            ticket: None,
            reason: &reason,
            incident_id: Some(&incident),
            classes: &classes,
            minutes,
            at: now,
            pending_until: now + Duration::hours(GRANT_PENDING_HOURS),
        },
    )
    .await?;
    db::grants::notify(&mut tx, id, "requested", now).await?;
    let grant = db::grants::find(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    append(
        &mut tx,
        now,
        actor(operator, role.as_str()),
        "break_glass.request",
        &grant,
        operator,
    )
    .await?;
    tx.commit().await?;
    Ok(GrantView::of(grant))
}

async fn append(
    tx: &mut platform_tenancy::TenantTx,
    at: DateTime<Utc>,
    who: platform_audit::Actor,
    action: &str,
    grant: &db::grants::Grant,
    operator: &Operator,
) -> Result<(), ApiError> {
    platform_audit::append(
        tx,
        at,
        &Event {
            actor: who,
            action: action.to_owned(),
            objects: vec![format!("grant:{}", grant.id)],
            classes: Vec::new(),
            purpose: format!(
                "{} (incident {})",
                purpose_text(grant),
                grant.incident_id.as_deref().unwrap_or("-")
            ),
            request_id: operator.request_id.clone(),
        },
    )
    .await?;
    Ok(())
}

fn officer(operator: &Operator) -> Result<(), ApiError> {
    if operator.roles.contains(PlatformRole::Security) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// A second security officer approves: the grant opens now for its length, and the
/// owners are told at once.
pub async fn approve(
    state: &AppState,
    operator: &Operator,
    shop: Uuid,
    id: Uuid,
) -> Result<GrantView, ApiError> {
    decide(state, operator, shop, id, true).await
}

/// A security officer refuses.
pub async fn deny(
    state: &AppState,
    operator: &Operator,
    shop: Uuid,
    id: Uuid,
) -> Result<GrantView, ApiError> {
    decide(state, operator, shop, id, false).await
}

/// Approves or denies a pending request of another member, logged and mailed.
async fn decide(
    state: &AppState,
    operator: &Operator,
    shop: Uuid,
    id: Uuid,
    approve: bool,
) -> Result<GrantView, ApiError> {
    officer(operator)?;
    let now = state.clock.now();
    let mut tx = state
        .db
        .begin_operator(TenantId::from_uuid(shop), operator.id)
        .await?;
    let grant = db::grants::find(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if grant.staff_id == operator.id {
        return Err(ApiError::conflict(
            "break_glass.own_request",
            "Nobody decides their own request: another security officer must.",
        ));
    }
    let decided = if approve {
        db::grants::approve_break_glass(&mut tx, id, operator.id, now).await?
    } else {
        db::grants::deny_break_glass(&mut tx, id, operator.id, now).await?
    };
    if !decided {
        return Err(ApiError::conflict(
            "break_glass.not_pending",
            "This request is no longer waiting.",
        ));
    }
    let (notice, action) = if approve {
        ("break_glass", "break_glass.approve")
    } else {
        ("denied", "break_glass.deny")
    };
    db::grants::notify(&mut tx, id, notice, now).await?;
    append(
        &mut tx,
        now,
        actor(operator, PlatformRole::Security.as_str()),
        action,
        &grant,
        operator,
    )
    .await?;
    let grant = db::grants::find(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    crate::app::operator::used(state, operator, PlatformRole::Security).await?;
    Ok(GrantView::of(grant))
}

/// The requester's post-incident note (once).
pub async fn note(
    state: &AppState,
    operator: &Operator,
    shop: Uuid,
    id: Uuid,
    input: &NoteInput,
) -> Result<GrantView, ApiError> {
    let note = input.note.trim();
    if note.chars().count() < BREAK_GLASS_MIN_REASON || note.chars().count() > 10_000 {
        return Err(Invalid::new(
            "break_glass.note_short",
            "Write at least 40 characters: what was done under the grant and why it was needed.",
        )
        .into());
    }
    let now = state.clock.now();
    let mut tx = state
        .db
        .begin_operator(TenantId::from_uuid(shop), operator.id)
        .await?;
    if !db::grants::write_note(&mut tx, id, operator.id, note, now).await? {
        return Err(match db::grants::find(&mut tx, id).await? {
            Some(g) if g.staff_id == operator.id => ApiError::conflict(
                "break_glass.note_closed",
                "This break-glass has a note already, or was never approved.",
            ),
            _ => ApiError::NotFound,
        });
    }
    let grant = db::grants::find(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    append(
        &mut tx,
        now,
        actor(operator, &grant.operator_role),
        "break_glass.note",
        &grant,
        operator,
    )
    .await?;
    tx.commit().await?;
    Ok(GrantView::of(grant))
}

/// The security officers' queue: requests waiting for a second officer, and approved
/// ones whose note is missing (overdue after 72 hours).
pub async fn queue(state: &AppState, operator: &Operator) -> Result<Vec<GrantView>, ApiError> {
    officer(operator)?;
    let mut tx = state.db.operator(operator.id).await?;
    let grants = db::grants::break_glass_queue(&mut tx, 200).await?;
    tx.commit().await?;
    Ok(grants.into_iter().map(GrantView::of).collect())
}

/// When the post-incident note of a grant decided at `decided_at` is due.
pub fn note_due(decided_at: DateTime<Utc>) -> DateTime<Utc> {
    decided_at + Duration::hours(INCIDENT_NOTE_HOURS)
}
