//! Grants (O8, O21): an operator asks one shop for some classes of its personal data, for
//! a purpose and a bounded time; the shop's owners approve or deny in tenant-admin (the
//! clock starts at approval); the requester or an owner ends it at any time; the sweep
//! closes what ran out. Every change is an event in the shop's audit log and a mail to
//! its owners.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use platform_audit::{Actor, Event};
use platform_domain::{
    DataClass, GRANT_DEFAULT_MINUTES, GRANT_MAX_MINUTES, GRANT_PENDING_HOURS, GrantPurpose,
    Invalid, PlatformRole,
};
use platform_tenancy::TenantTx;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::app::AppState;
use crate::app::operator::Operator;
use crate::db;
use crate::error::ApiError;

/// The shortest grant.
pub const GRANT_MIN_MINUTES: i32 = 15;

/// What an operator asks for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestInput {
    /// The shop's handle.
    pub shop: String,
    /// Why: `customer_support`, `merchant_support`, `billing_support`, `incident` or
    /// `other`.
    pub purpose: String,
    /// The ticket it serves (required but for `other`).
    #[serde(default)]
    pub ticket: Option<String>,
    /// What the owners read: what is needed and why.
    pub reason: String,
    /// The classes of personal data needed (`contact`, `shipping`, …).
    pub classes: Vec<String>,
    /// How long, once approved: 15 to 1440 minutes (default 240).
    #[serde(default)]
    pub minutes: Option<i32>,
    /// The role to act in, when the operator holds several.
    #[serde(default)]
    pub role: Option<String>,
}

/// A checked request.
struct Checked {
    purpose: GrantPurpose,
    ticket: Option<String>,
    reason: String,
    classes: Vec<DataClass>,
    minutes: i32,
    role: PlatformRole,
}

fn check(operator: &Operator, input: &RequestInput) -> Result<Checked, ApiError> {
    let role = match input.role.as_deref().filter(|r| !r.is_empty()) {
        None => operator.requesting_role(None)?,
        Some(text) => {
            operator.requesting_role(Some(PlatformRole::parse(text).ok_or(ApiError::Forbidden)?))?
        }
    };
    let purpose = GrantPurpose::parse(&input.purpose)
        .filter(|p| *p != GrantPurpose::Incident)
        .ok_or_else(|| {
            Invalid::new(
                "grant.purpose_invalid",
                "Choose a purpose: customer support, merchant support, billing support or other. Incidents go through break-glass.",
            )
        })?;
    let ticket = input
        .ticket
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    if let Some(t) = &ticket
        && !(t.len() <= 60
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'#' | b'-')))
    {
        return Err(Invalid::new(
            "grant.ticket_invalid",
            "A ticket reference is up to 60 letters, digits, dots, dashes, underscores or #.",
        )
        .into());
    }
    if ticket.is_none() && purpose != GrantPurpose::Other {
        return Err(Invalid::new(
            "grant.ticket_missing",
            "Name the ticket this access serves.",
        )
        .into());
    }
    let reason = input.reason.trim().to_owned();
    if !(10..=2000).contains(&reason.chars().count()) {
        return Err(Invalid::new(
            "grant.reason_invalid",
            "Say in 10 to 2000 characters what you need and why: the shop's owners read it.",
        )
        .into());
    }
    let mut classes = BTreeSet::new();
    for c in &input.classes {
        let class = DataClass::parse(c.trim()).ok_or_else(|| {
            Invalid::new("grant.class_invalid", "One of the data classes is unknown.")
        })?;
        classes.insert(class.as_str());
    }
    if classes.is_empty() {
        return Err(Invalid::new(
            "grant.classes_missing",
            "Choose the classes of personal data you need.",
        )
        .into());
    }
    let minutes = input.minutes.unwrap_or(GRANT_DEFAULT_MINUTES);
    if !(GRANT_MIN_MINUTES..=GRANT_MAX_MINUTES).contains(&minutes) {
        return Err(Invalid::new(
            "grant.duration_invalid",
            "A grant lasts 15 minutes to 24 hours.",
        )
        .into());
    }
    Ok(Checked {
        purpose,
        ticket,
        reason,
        classes: classes.into_iter().filter_map(DataClass::parse).collect(),
        minutes,
        role,
    })
}

/// How the audit log names an operator acting under a grant: their pseudonym (never
/// their name), the role and their employer.
pub fn actor(operator: &Operator, role: &str) -> Actor {
    Actor::operator(operator.pseudonym, role, &operator.entity)
}

/// The audit `purpose` of a grant: its purpose code and ticket.
pub fn purpose_text(grant: &db::grants::Grant) -> String {
    match &grant.ticket {
        Some(t) => format!("{} (ticket {t})", grant.purpose),
        None => grant.purpose.clone(),
    }
}

async fn record(
    tx: &mut TenantTx,
    at: DateTime<Utc>,
    actor: Actor,
    action: &str,
    grant: Uuid,
    purpose: String,
    request_id: Option<String>,
) -> Result<(), ApiError> {
    platform_audit::append(
        tx,
        at,
        &Event {
            actor,
            action: action.to_owned(),
            objects: vec![format!("grant:{grant}")],
            classes: Vec::new(),
            purpose,
            request_id,
        },
    )
    .await?;
    Ok(())
}

/// The active shop of a handle.
pub async fn shop_id(
    state: &AppState,
    handle: &str,
) -> Result<platform_tenancy::TenantId, ApiError> {
    let mut tx = state.db.platform().await?;
    let shop = db::staff::shop_by_handle(&mut tx, handle).await?;
    tx.commit().await?;
    Ok(platform_tenancy::TenantId::from_uuid(
        shop.ok_or(ApiError::NotFound)?.0,
    ))
}

/// Files a request with a shop; its owners are mailed.
pub async fn request(
    state: &AppState,
    operator: &Operator,
    input: &RequestInput,
) -> Result<GrantView, ApiError> {
    let checked = check(operator, input)?;
    let now = state.clock.now();
    let shop = shop_id(state, input.shop.trim()).await?;
    let mut tx = state.db.begin_operator(shop, operator.id).await?;
    let open = db::grants::open_of(&mut tx, operator.id).await?;
    if open > 0 {
        return Err(ApiError::conflict(
            "grant.open",
            "You already have a pending or active grant with this shop: end it first.",
        ));
    }
    let id = Uuid::new_v4();
    let classes: Vec<&str> = checked.classes.iter().map(|c| c.as_str()).collect();
    db::grants::insert(
        &mut tx,
        db::grants::NewGrant {
            id,
            staff_id: operator.id,
            operator: operator.pseudonym,
            operator_role: checked.role.as_str(),
            operator_entity: &operator.entity,
            kind: "grant",
            purpose: checked.purpose.as_str(),
            ticket: checked.ticket.as_deref(),
            reason: &checked.reason,
            incident_id: None,
            classes: &classes,
            minutes: checked.minutes,
            at: now,
            pending_until: now + Duration::hours(GRANT_PENDING_HOURS),
        },
    )
    .await?;
    db::grants::notify(&mut tx, id, "requested", now).await?;
    let grant = db::grants::find(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    record(
        &mut tx,
        now,
        actor(operator, checked.role.as_str()),
        "grant.request",
        id,
        purpose_text(&grant),
        operator.request_id.clone(),
    )
    .await?;
    tx.commit().await?;
    crate::app::operator::used(state, operator, checked.role).await?;
    Ok(GrantView::of(grant))
}

/// The requester takes back a pending request or ends an active grant. It ends for every
/// session at once: each read checks the grant in the database.
pub async fn close(
    state: &AppState,
    operator: &Operator,
    shop: Uuid,
    id: Uuid,
) -> Result<GrantView, ApiError> {
    let now = state.clock.now();
    let mut tx = state
        .db
        .begin_operator(platform_tenancy::TenantId::from_uuid(shop), operator.id)
        .await?;
    let Some(status) = db::grants::close_by_requester(&mut tx, id, operator.id, now).await? else {
        return Err(match db::grants::find(&mut tx, id).await? {
            Some(g) if g.staff_id == operator.id => {
                ApiError::conflict("grant.closed", "This grant is closed already.")
            }
            _ => ApiError::NotFound,
        });
    };
    let grant = db::grants::find(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let (notice, action) = if status == "withdrawn" {
        ("withdrawn", "grant.withdraw")
    } else {
        ("ended", "grant.end")
    };
    db::grants::notify(&mut tx, id, notice, now).await?;
    record(
        &mut tx,
        now,
        actor(operator, &grant.operator_role),
        action,
        id,
        purpose_text(&grant),
        operator.request_id.clone(),
    )
    .await?;
    tx.commit().await?;
    Ok(GrantView::of(grant))
}

/// The operator's grants across shops, newest first.
pub async fn mine(state: &AppState, operator: &Operator) -> Result<Vec<GrantView>, ApiError> {
    let mut tx = state.db.operator(operator.id).await?;
    let grants = db::grants::of_operator(&mut tx, operator.id, 100).await?;
    tx.commit().await?;
    Ok(grants.into_iter().map(GrantView::of).collect())
}

/// Closes every grant that ran out, shop by shop: pending for 24 hours, or approved past
/// its end. Reads were refused from the end on already (the policies compare with the
/// database's clock); this records it, in the log and by mail. Returns how many closed.
pub async fn sweep(state: &AppState) -> Result<usize, ApiError> {
    let shops = {
        let mut tx = state.db.platform().await?;
        let shops = db::staff::shops(&mut tx).await?;
        tx.commit().await?;
        shops
    };
    let mut closed = 0;
    for (shop, _) in shops {
        let now = state.clock.now();
        let mut tx = state
            .db
            .begin(platform_tenancy::TenantId::from_uuid(shop))
            .await?;
        let due = db::grants::expire_due(&mut tx).await?;
        for (id, _) in &due {
            db::grants::notify(&mut tx, *id, "expired", now).await?;
            record(
                &mut tx,
                now,
                Actor::system(),
                "grant.expire",
                *id,
                "grant ran out".to_owned(),
                None,
            )
            .await?;
        }
        tx.commit().await?;
        closed += due.len();
        crate::app::disclosures::tell_owners(state, platform_tenancy::TenantId::from_uuid(shop))
            .await?;
    }
    Ok(closed)
}

/// A grant as its requester sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GrantView {
    /// Its id.
    pub id: Uuid,
    /// The shop's id.
    pub shop_id: Uuid,
    /// The shop's handle.
    pub shop: String,
    /// `grant` or `break_glass`.
    pub kind: String,
    /// The role it was asked in.
    pub role: String,
    /// Why.
    pub purpose: String,
    /// The ticket.
    pub ticket: Option<String>,
    /// The reason as written.
    pub reason: String,
    /// The classes it reveals once approved.
    pub classes: Vec<String>,
    /// How long it lasts once approved.
    pub minutes: i32,
    /// `pending`, `approved`, `denied`, `withdrawn`, `expired` or `ended`.
    pub status: String,
    /// When it was asked.
    pub requested_at: DateTime<Utc>,
    /// Until when a pending request waits.
    pub pending_until: DateTime<Utc>,
    /// When it was decided.
    pub decided_at: Option<DateTime<Utc>>,
    /// Active from.
    pub starts_at: Option<DateTime<Utc>>,
    /// Active until.
    pub ends_at: Option<DateTime<Utc>>,
    /// When it was first used.
    pub first_used_at: Option<DateTime<Utc>>,
    /// When it was last used.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// Who ended it: `platform:<id>` (the requester), `staff:<id>` (an owner) or
    /// `system` (its time ran out).
    pub ended_by: Option<String>,
    /// The incident (break-glass).
    pub incident_id: Option<String>,
    /// Break-glass: when the post-incident note is due (72 hours after approval).
    pub note_due_at: Option<DateTime<Utc>>,
    /// Break-glass: when the note was written.
    pub note_written_at: Option<DateTime<Utc>>,
}

impl GrantView {
    /// The view of a stored grant.
    pub(crate) fn of(g: db::grants::Grant) -> Self {
        let note_due_at = match (g.kind.as_str(), g.decided_at, g.status.as_str()) {
            ("break_glass", Some(at), status) if status != "denied" => {
                Some(crate::app::break_glass::note_due(at))
            }
            _ => None,
        };
        GrantView {
            id: g.id,
            shop_id: g.tenant_id,
            shop: g.shop,
            kind: g.kind,
            role: g.operator_role,
            purpose: g.purpose,
            ticket: g.ticket,
            reason: g.reason,
            classes: g.classes,
            minutes: g.minutes,
            status: g.status,
            requested_at: g.requested_at,
            pending_until: g.pending_until,
            decided_at: g.decided_at,
            starts_at: g.starts_at,
            ends_at: g.ends_at,
            first_used_at: g.first_used_at,
            last_used_at: g.last_used_at,
            ended_at: g.ended_at,
            ended_by: g.ended_by,
            incident_id: g.incident_id,
            note_due_at,
            note_written_at: g.incident_note_at,
        }
    }

    /// Break-glass whose post-incident note is still missing.
    pub fn note_missing(&self) -> bool {
        self.note_due_at.is_some() && self.note_written_at.is_none()
    }

    /// Active now (approved and not past its end by `now`).
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.status == "approved" && self.ends_at.is_some_and(|e| now < e)
    }
}
