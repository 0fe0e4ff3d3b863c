//! The platform's staff asking for this shop's data (O8, O21): the owners see every
//! request with who asks (a stable pseudonym, the role, the employer), why, for which
//! classes and how long; they approve (after re-authenticating: it opens personal data to
//! someone outside the shop) or deny, and end an active grant at any time. Each decision
//! is an event in the shop's audit log and a mail to every owner.

use chrono::{DateTime, Utc};
use platform_domain::{GrantPurpose, Permission, PlatformRole};
use platform_tenancy::TenantTx;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::app::AppState;
use crate::app::audit::{Entry, record};
use crate::app::orders::require;
use crate::app::staff::{Staff, require_fresh};
use crate::db;
use crate::error::ApiError;

/// A grant as the owners see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GrantView {
    /// Its id.
    pub id: Uuid,
    /// The operator's stable pseudonym (the platform's security officers can name the
    /// person; the shop never needs to).
    pub operator: Uuid,
    /// The role they ask in.
    pub role: String,
    /// Their employer.
    pub entity: String,
    /// `grant` (the owners decide) or `break_glass` (an emergency, approved by a second
    /// security officer of the platform; the owners are told at once and may end it).
    pub kind: String,
    /// Why, as a code.
    pub purpose: String,
    /// The ticket it serves.
    pub ticket: Option<String>,
    /// The reason as written.
    pub reason: String,
    /// The incident (break-glass).
    pub incident_id: Option<String>,
    /// The classes of personal data it reveals.
    pub classes: Vec<String>,
    /// How long it lasts once approved.
    pub minutes: i32,
    /// `pending`, `approved`, `denied`, `withdrawn`, `expired` or `ended`.
    pub status: String,
    /// When it was asked.
    pub requested_at: DateTime<Utc>,
    /// A pending request lapses then.
    pub pending_until: DateTime<Utc>,
    /// When it was decided, and by whom (a member of the shop's staff).
    pub decided_at: Option<DateTime<Utc>>,
    /// Who decided.
    pub decided_by: Option<Uuid>,
    /// Active from.
    pub starts_at: Option<DateTime<Utc>>,
    /// Active until.
    pub ends_at: Option<DateTime<Utc>>,
    /// First and last use.
    pub first_used_at: Option<DateTime<Utc>>,
    /// Last use.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it ended, and who ended it (`staff:<id>`, `platform:<id>`, `system`).
    pub ended_at: Option<DateTime<Utc>>,
    /// Who ended it.
    pub ended_by: Option<String>,
}

impl GrantView {
    fn of(g: db::access::Grant) -> Self {
        GrantView {
            id: g.id,
            operator: g.operator,
            role: g.operator_role,
            entity: g.operator_entity,
            kind: g.kind,
            purpose: g.purpose,
            ticket: g.ticket,
            reason: g.reason,
            incident_id: g.incident_id,
            classes: g.classes,
            minutes: g.minutes,
            status: g.status,
            requested_at: g.requested_at,
            pending_until: g.pending_until,
            decided_at: g.decided_at,
            decided_by: g.decided_by,
            starts_at: g.starts_at,
            ends_at: g.ends_at,
            first_used_at: g.first_used_at,
            last_used_at: g.last_used_at,
            ended_at: g.ended_at,
            ended_by: g.ended_by,
        }
    }

    /// Waiting for an owner now.
    pub fn is_pending(&self, now: DateTime<Utc>) -> bool {
        self.status == "pending" && now < self.pending_until
    }

    /// Open now.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.status == "approved" && self.ends_at.is_some_and(|e| now < e)
    }

    /// The role as a person reads it.
    pub fn role_label(&self) -> &str {
        match PlatformRole::parse(&self.role) {
            Some(role) => role.label(),
            None => &self.role,
        }
    }

    /// The purpose as a person reads it.
    pub fn purpose_label(&self) -> &str {
        match GrantPurpose::parse(&self.purpose) {
            Some(purpose) => purpose.label(),
            None => &self.purpose,
        }
    }

    /// How long, as a person reads it.
    pub fn length(&self) -> String {
        match self.minutes {
            m if m % 60 == 0 => format!("{} hour{}", m / 60, if m == 60 { "" } else { "s" }),
            m => format!("{m} minutes"),
        }
    }
}

/// A legally forced disclosure of the shop's data by the platform (O24).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DisclosureView {
    /// Its id.
    pub id: Uuid,
    /// When the platform recorded it.
    pub recorded_at: DateTime<Utc>,
    /// Who demanded it.
    pub authority: String,
    /// The legal instrument.
    pub instrument: String,
    /// Jurisdiction.
    pub jurisdiction: String,
    /// The classes of personal data handed over.
    pub classes: Vec<String>,
    /// The data subjects concerned.
    pub subjects: String,
    /// Until when an order forbade telling you (now past).
    pub gag_until: Option<DateTime<Utc>>,
    /// That order.
    pub gag_order: Option<String>,
}

impl DisclosureView {
    fn of(d: db::access::Disclosure) -> Self {
        DisclosureView {
            id: d.id,
            recorded_at: d.recorded_at,
            authority: d.authority,
            instrument: d.instrument,
            jurisdiction: d.jurisdiction,
            classes: d.classes,
            subjects: d.subjects,
            gag_until: d.gag_until,
            gag_order: d.gag_order,
        }
    }
}

/// The disclosures the owners may know of, newest first (owners only).
pub async fn disclosures(state: &AppState, staff: &Staff) -> Result<Vec<DisclosureView>, ApiError> {
    require(staff, Permission::ManageStaff)?;
    let mut tx = state.db.begin(staff.tenant).await?;
    let list = db::access::disclosures(&mut tx, None).await?;
    tx.commit().await?;
    Ok(list.into_iter().map(DisclosureView::of).collect())
}

fn disclosure_text(shop_name: &str, d: &DisclosureView) -> (String, String) {
    (
        format!("{shop_name}: the platform was legally required to disclose data"),
        format!(
            "On {} the platform recorded a disclosure of your shop's data that the law required.\n\n\
             Authority: {}\nLegal instrument: {}\nJurisdiction: {}\nClasses of personal data: {}\n\
             Data subjects concerned: {}\n{}",
            d.recorded_at.format("%Y-%m-%d %H:%M UTC"),
            d.authority,
            d.instrument,
            d.jurisdiction,
            d.classes.join(", "),
            d.subjects,
            match (&d.gag_order, d.gag_until) {
                (Some(order), Some(until)) => format!(
                    "An order ({order}) forbade telling you until {}.\n",
                    until.format("%Y-%m-%d %H:%M UTC")
                ),
                _ => String::new(),
            }
        ),
    )
}

/// The first day of the month before the one `now` is in.
pub fn last_month(now: DateTime<Utc>) -> Option<chrono::NaiveDate> {
    use chrono::Datelike;
    let this = now.date_naive().with_day(1)?;
    (this - chrono::Duration::days(1)).with_day(1)
}

/// The owners' monthly summary: every grant asked for or used in the month, with its
/// state and first and last use, and the disclosures recorded in it.
async fn summary(
    tx: &mut TenantTx,
    shop_name: &str,
    period: chrono::NaiveDate,
    console_url: &str,
    owners: Vec<String>,
) -> Result<(Vec<String>, String, String), ApiError> {
    use chrono::Datelike;
    let from = period
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or_default();
    let next = if period.month() == 12 {
        chrono::NaiveDate::from_ymd_opt(period.year() + 1, 1, 1)
    } else {
        chrono::NaiveDate::from_ymd_opt(period.year(), period.month() + 1, 1)
    };
    let until = next
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .unwrap_or(from);
    let month = period.format("%B %Y");
    let grants: Vec<GrantView> = db::access::in_period(tx, from, until)
        .await?
        .into_iter()
        .map(GrantView::of)
        .collect();
    let disclosures: Vec<DisclosureView> = db::access::disclosures(tx, None)
        .await?
        .into_iter()
        .filter(|d| d.recorded_at >= from && d.recorded_at < until)
        .map(DisclosureView::of)
        .collect();
    let mut body = if grants.is_empty() && disclosures.is_empty() {
        format!(
            "In {month} nobody at the platform asked for or used access to the personal data of {shop_name}, and no disclosure to an authority was recorded.\n"
        )
    } else {
        format!(
            "Access by the platform's staff to the personal data of {shop_name} in {month}:\n\n"
        )
    };
    let when = |t: Option<DateTime<Utc>>| {
        t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_else(|| "never".to_owned())
    };
    for g in &grants {
        body.push_str(&format!(
            "- {} by operator {} ({}, {}): {} for {}, {}{}; first used {}, last used {}\n",
            g.requested_at.format("%Y-%m-%d"),
            g.operator,
            g.role_label(),
            g.entity,
            g.classes.join(", "),
            g.length(),
            g.purpose_label(),
            if g.kind == "break_glass" {
                " (emergency)"
            } else {
                ""
            },
            when(g.first_used_at),
            when(g.last_used_at),
        ));
        body.push_str(&format!("  {}\n", g.status));
    }
    for d in &disclosures {
        body.push_str(&format!(
            "- disclosure to {} ({}), {}: {}\n",
            d.authority,
            d.jurisdiction,
            d.recorded_at.format("%Y-%m-%d"),
            d.classes.join(", ")
        ));
    }
    body.push_str(&format!(
        "\nEvery read is in your audit log; details: {console_url}/access\n"
    ));
    Ok((
        owners,
        format!("{shop_name}: platform access in {month}"),
        body,
    ))
}

/// The shop's grants, newest first (owners only).
pub async fn list(state: &AppState, staff: &Staff) -> Result<Vec<GrantView>, ApiError> {
    require(staff, Permission::ManageStaff)?;
    let mut tx = state.db.begin(staff.tenant).await?;
    let grants = db::access::list(&mut tx, 200).await?;
    tx.commit().await?;
    Ok(grants.into_iter().map(GrantView::of).collect())
}

async fn decided(
    state: &AppState,
    tx: &mut TenantTx,
    staff: &Staff,
    id: Uuid,
    action: &str,
    notice: &str,
) -> Result<GrantView, ApiError> {
    let now = state.clock.now();
    db::access::notify(tx, id, notice, now).await?;
    record(
        state,
        tx,
        staff,
        Entry {
            action,
            objects: vec![format!("grant:{id}")],
            classes: Vec::new(),
            purpose: "platform access",
        },
    )
    .await?;
    let grant = db::access::find(tx, id).await?.ok_or(ApiError::NotFound)?;
    Ok(GrantView::of(grant))
}

/// Refuses with what the grant's state allows instead.
async fn refused(tx: &mut TenantTx, id: Uuid, wanted: &'static str) -> ApiError {
    match db::access::find(tx, id).await {
        Ok(Some(_)) => ApiError::conflict("access.not_open", wanted),
        Ok(None) => ApiError::NotFound,
        Err(e) => e.into(),
    }
}

/// Approves a pending request: it opens from now for its length. Needs a fresh password
/// and code.
pub async fn approve(state: &AppState, staff: &Staff, id: Uuid) -> Result<GrantView, ApiError> {
    require(staff, Permission::ManageStaff)?;
    require_fresh(state, staff)?;
    let mut tx = state.db.begin(staff.tenant).await?;
    if !db::access::approve(&mut tx, id, staff.staff_id.as_uuid(), state.clock.now()).await? {
        return Err(refused(
            &mut tx,
            id,
            "This request is no longer waiting: decided, withdrawn or lapsed.",
        )
        .await);
    }
    let view = decided(state, &mut tx, staff, id, "grant.approve", "approved").await?;
    tx.commit().await?;
    Ok(view)
}

/// Denies a pending request.
pub async fn deny(state: &AppState, staff: &Staff, id: Uuid) -> Result<GrantView, ApiError> {
    require(staff, Permission::ManageStaff)?;
    let mut tx = state.db.begin(staff.tenant).await?;
    if !db::access::deny(&mut tx, id, staff.staff_id.as_uuid(), state.clock.now()).await? {
        return Err(refused(
            &mut tx,
            id,
            "This request is no longer waiting: decided, withdrawn or lapsed.",
        )
        .await);
    }
    let view = decided(state, &mut tx, staff, id, "grant.deny", "denied").await?;
    tx.commit().await?;
    Ok(view)
}

/// Ends an active grant now: the operator's next request is refused.
pub async fn end(state: &AppState, staff: &Staff, id: Uuid) -> Result<GrantView, ApiError> {
    require(staff, Permission::ManageStaff)?;
    let mut tx = state.db.begin(staff.tenant).await?;
    if !db::access::end(&mut tx, id, staff.staff_id.as_uuid(), state.clock.now()).await? {
        return Err(refused(&mut tx, id, "This grant is not active.").await);
    }
    let view = decided(state, &mut tx, staff, id, "grant.end", "ended").await?;
    tx.commit().await?;
    Ok(view)
}

/// The mail to the owners about a grant: `None` when there is nothing to say (no owner,
/// no such grant).
pub async fn write_notice(
    state: &AppState,
    tx: &mut TenantTx,
    shop_name: &str,
    notice: &db::access::Notice,
) -> Result<Option<(Vec<String>, String, String)>, ApiError> {
    let owners = crate::app::team::owner_addresses(state, tx).await?;
    if owners.is_empty() {
        return Ok(None);
    }
    if let (Some(period), "monthly") = (notice.period, notice.kind.as_str()) {
        return Ok(Some(
            summary(tx, shop_name, period, &state.console_url, owners).await?,
        ));
    }
    if let Some(id) = notice.disclosure_id {
        let Some(d) = db::access::disclosures(tx, Some(id)).await?.pop() else {
            return Ok(None);
        };
        let (subject, body) = disclosure_text(shop_name, &DisclosureView::of(d));
        let link = format!("{}/access", state.console_url);
        return Ok(Some((owners, subject, format!("{body}\n{link}\n"))));
    }
    let Some(id) = notice.grant_id else {
        return Ok(None);
    };
    let Some(g) = db::access::find(tx, id).await? else {
        return Ok(None);
    };
    let g = GrantView::of(g);
    let who = format!("operator {} ({}, {})", g.operator, g.role_label(), g.entity);
    let what = format!(
        "{} for {} ({}{}): {}",
        g.classes.join(", "),
        g.length(),
        g.purpose_label(),
        g.ticket
            .as_deref()
            .map(|t| format!(", ticket {t}"))
            .unwrap_or_default(),
        g.reason
    );
    let link = format!("{}/access", state.console_url);
    let (subject, lead) = match notice.kind.as_str() {
        "requested" => (
            format!("{shop_name}: the platform asks for access to personal data"),
            format!(
                "{who} asks to see {what}.\n\nApprove or deny it (nothing opens until an owner approves; the request lapses on {}):",
                g.pending_until.format("%Y-%m-%d %H:%M UTC")
            ),
        ),
        "approved" => (
            format!("{shop_name}: platform access approved"),
            format!(
                "An owner approved access for {who} to {what}. It ends on {}. End it earlier here:",
                g.ends_at
                    .map(|e| e.format("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_default()
            ),
        ),
        "denied" => (
            format!("{shop_name}: platform access denied"),
            format!("An owner denied the request of {who} for {what}."),
        ),
        "withdrawn" => (
            format!("{shop_name}: platform access request withdrawn"),
            format!("{who} withdrew the request for {what}."),
        ),
        "first_use" => (
            format!("{shop_name}: the platform used its access for the first time"),
            format!(
                "{who} used the approved access to {what} for the first time. Every look is in your audit log:"
            ),
        ),
        "break_glass" => (
            format!("URGENT {shop_name}: emergency access to personal data opened"),
            format!(
                "A second security officer of the platform approved emergency (break-glass) access for {who} to {what}, incident {}. It ends on {}. You can end it now:",
                g.incident_id.as_deref().unwrap_or("-"),
                g.ends_at
                    .map(|e| e.format("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_default()
            ),
        ),
        "ended" => (
            format!("{shop_name}: platform access ended"),
            format!("The access of {who} to {what} ended before its time."),
        ),
        "expired" => (
            format!("{shop_name}: platform access ran out"),
            format!("The access of {who} to {what} is closed: its time ran out."),
        ),
        _ => return Ok(None),
    };
    Ok(Some((
        owners,
        subject,
        format!("{lead}\n\n{link}\n\nGrant {}.\n", g.id),
    )))
}
