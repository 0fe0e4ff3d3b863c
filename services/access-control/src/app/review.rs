//! Reviews of platform access (O10): who holds which role since when, when a security
//! officer last confirmed it, when it was last used, and the grants each member asked for
//! and used. A role not re-confirmed within 90 days, or unused for 30, is removed by the
//! sweep; nobody re-confirms their own.

use chrono::{DateTime, Duration, Utc};
use platform_domain::PlatformRole;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::app::AppState;
use crate::app::operator::Operator;
use crate::db;
use crate::error::ApiError;

/// A role must be re-confirmed this often.
pub const CONFIRM_EVERY_DAYS: i64 = 90;
/// A role unused this long is removed.
pub const UNUSED_DAYS: i64 = 30;

/// A role as the review shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoleReview {
    /// The role.
    pub role: PlatformRole,
    /// Granted.
    pub granted_at: DateTime<Utc>,
    /// Last confirmed by a security officer.
    pub confirmed_at: DateTime<Utc>,
    /// Last used.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Removed unless re-confirmed by then.
    pub confirm_by: DateTime<Utc>,
    /// Removed unless used by then.
    pub use_by: DateTime<Utc>,
}

/// A member as the review shows them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberReview {
    /// The account.
    pub id: Uuid,
    /// Login.
    pub login: String,
    /// Employer.
    pub entity: String,
    /// Last login.
    pub last_login_at: Option<DateTime<Utc>>,
    /// Roles.
    pub roles: Vec<RoleReview>,
    /// Grants asked for.
    pub grants_requested: i64,
    /// Grants used at least once.
    pub grants_used: i64,
    /// Last read under a grant.
    pub last_grant_use: Option<DateTime<Utc>>,
}

fn officer(operator: &Operator) -> Result<(), ApiError> {
    if operator.roles.contains(PlatformRole::Security) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// The platform-wide report.
pub async fn report(state: &AppState, operator: &Operator) -> Result<Vec<MemberReview>, ApiError> {
    officer(operator)?;
    let mut tx = state.db.operator(operator.id).await?;
    let usage = db::staff::grant_usage(&mut tx).await?;
    let mut out = Vec::new();
    for a in db::staff::all(&mut tx).await? {
        if a.disabled_at.is_some() {
            continue;
        }
        let roles = db::staff::roles(&mut tx, a.id)
            .await?
            .into_iter()
            .map(|h| RoleReview {
                role: h.role,
                granted_at: h.granted_at,
                confirmed_at: h.confirmed_at,
                last_used_at: h.last_used_at,
                confirm_by: h.confirmed_at + Duration::days(CONFIRM_EVERY_DAYS),
                use_by: h.last_used_at.unwrap_or(h.granted_at) + Duration::days(UNUSED_DAYS),
            })
            .collect();
        let (requested, used, last) = usage
            .iter()
            .find(|u| u.0 == a.id)
            .map_or((0, 0, None), |u| (u.1, u.2, u.3));
        out.push(MemberReview {
            id: a.id,
            login: a.login,
            entity: a.entity,
            last_login_at: a.last_login_at,
            roles,
            grants_requested: requested,
            grants_used: used,
            last_grant_use: last,
        });
    }
    db::staff::touch_roles(
        &mut tx,
        operator.id,
        &[PlatformRole::Security.as_str()],
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// A security officer re-confirms another member's role for 90 more days.
pub async fn confirm(
    state: &AppState,
    operator: &Operator,
    member: Uuid,
    role: PlatformRole,
) -> Result<(), ApiError> {
    officer(operator)?;
    if member == operator.id {
        return Err(ApiError::conflict(
            "review.own",
            "Nobody re-confirms their own access: another security officer must.",
        ));
    }
    let now = state.clock.now();
    let mut tx = state.db.operator(operator.id).await?;
    if !db::staff::confirm_role(&mut tx, member, role, operator.id, now).await? {
        return Err(ApiError::NotFound);
    }
    db::staff::event(
        &mut tx,
        Some(operator.id),
        member,
        "role.confirm",
        serde_json::json!({ "role": role.as_str() }),
        now,
    )
    .await?;
    db::staff::touch_roles(
        &mut tx,
        operator.id,
        &[PlatformRole::Security.as_str()],
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes the roles whose eligibility lapsed; how many.
pub async fn expire(state: &AppState) -> Result<usize, ApiError> {
    let now = state.clock.now();
    let mut tx = state.db.platform().await?;
    let gone = db::staff::expire_roles(
        &mut tx,
        now - Duration::days(CONFIRM_EVERY_DAYS),
        now - Duration::days(UNUSED_DAYS),
    )
    .await?;
    for (member, role, unconfirmed) in &gone {
        db::staff::event(
            &mut tx,
            None,
            *member,
            "role.expire",
            serde_json::json!({ "role": role, "why": if *unconfirmed { "not re-confirmed in 90 days" } else { "unused for 30 days" } }),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(gone.len())
}
