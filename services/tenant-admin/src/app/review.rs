//! The access review (O10): who holds which roles and since when, when they last logged
//! in and last saw personal data, whether their second factor is on, and the invitations
//! still open; flagged: members unused for more than 30 days, members without a second
//! factor, invitations that lapsed unused. Owners see it in the console (with one click
//! to take access away) and get a summary by mail every month.

use chrono::{DateTime, Duration, Utc};
use platform_domain::{DataClass, Permission, StaffRole};
use platform_tenancy::{TenantId, TenantTx};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::AppState;
use crate::app::audit::{self, Entry};
use crate::app::orders::require;
use crate::app::staff::Staff;
use crate::app::team::{self, Invitation, Member};
use crate::db;
use crate::error::ApiError;

/// A member unused this long is flagged.
pub const UNUSED_AFTER: Duration = Duration::days(30);

/// Why an entry needs a look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// No login and no use for more than 30 days.
    Unused,
    /// No second factor.
    NoMfa,
    /// An invitation that lapsed unused.
    InvitationExpired,
}

impl Flag {
    /// For people.
    pub fn label(self) -> &'static str {
        match self {
            Flag::Unused => "unused for more than 30 days",
            Flag::NoMfa => "no second factor",
            Flag::InvitationExpired => "invitation expired unused",
        }
    }
}

/// A member with their flags.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewedMember {
    /// The member.
    #[serde(flatten)]
    pub member: Member,
    /// What needs a look.
    pub flags: Vec<Flag>,
}

/// An open invitation with its flags.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewedInvitation {
    /// The invitation.
    #[serde(flatten)]
    pub invitation: Invitation,
    /// What needs a look.
    pub flags: Vec<Flag>,
}

/// The report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Review {
    /// As of.
    pub generated_at: DateTime<Utc>,
    /// Every member.
    pub members: Vec<ReviewedMember>,
    /// Open invitations.
    pub invitations: Vec<ReviewedInvitation>,
    /// Entries with at least one flag.
    pub flagged: usize,
}

/// The flags of the team at `now` (pure: the clock is the caller's).
pub fn assess(team: team::Team, now: DateTime<Utc>) -> Review {
    let members: Vec<ReviewedMember> = team
        .members
        .into_iter()
        .map(|m| {
            let last_use = [Some(m.joined_at), m.last_login_at, m.last_pii_read_at]
                .into_iter()
                .flatten()
                .max()
                .unwrap_or(m.joined_at);
            let mut flags = Vec::new();
            if now - last_use > UNUSED_AFTER {
                flags.push(Flag::Unused);
            }
            if !m.mfa {
                flags.push(Flag::NoMfa);
            }
            ReviewedMember { member: m, flags }
        })
        .collect();
    let invitations: Vec<ReviewedInvitation> = team
        .invitations
        .into_iter()
        .map(|i| ReviewedInvitation {
            flags: if i.expires_at <= now {
                vec![Flag::InvitationExpired]
            } else {
                Vec::new()
            },
            invitation: i,
        })
        .collect();
    let flagged = members.iter().filter(|m| !m.flags.is_empty()).count()
        + invitations.iter().filter(|i| !i.flags.is_empty()).count();
    Review {
        generated_at: now,
        members,
        invitations,
        flagged,
    }
}

/// The shop's access review, as an owner sees it (the read is logged like the team's).
pub async fn review(state: &AppState, staff: &Staff) -> Result<Review, ApiError> {
    require(staff, Permission::ManageStaff)?;
    let team = team::team(state, staff).await?;
    Ok(assess(team, state.clock.now()))
}

/// The monthly summary to the owners of the transaction's shop: `None` without owners.
pub async fn write_summary(
    state: &AppState,
    tx: &mut TenantTx,
    shop_name: &str,
    period: &str,
) -> Result<Option<(Vec<String>, String, String)>, ApiError> {
    let team = team::team_in(state, tx, None).await?;
    let review = assess(team, state.clock.now());
    let owners: Vec<String> = review
        .members
        .iter()
        .filter(|m| m.member.roles.iter().any(|g| g.role == StaffRole::Owner))
        .map(|m| m.member.email.clone())
        .collect();
    if owners.is_empty() {
        return Ok(None);
    }
    let mut body = format!(
        "The access review of {shop_name} for {period}.\n\n{} members, {} open invitations, {} to look at.\n\n",
        review.members.len(),
        review.invitations.len(),
        review.flagged
    );
    for m in &review.members {
        let roles: Vec<&str> = m.member.roles.iter().map(|g| g.role.label()).collect();
        body.push_str(&format!(
            "- {} ({}){}\n",
            m.member.email,
            roles.join(", "),
            flags_text(&m.flags)
        ));
    }
    for i in &review.invitations {
        body.push_str(&format!(
            "- invitation to {}{}\n",
            i.invitation.email,
            flags_text(&i.flags)
        ));
    }
    body.push_str(
        "\nOpen Staff → Access review in your shop console to take away access nobody needs.\n",
    );
    // The platform itself reads the accounts to write the owners' mail.
    audit::record_as(
        state,
        tx,
        platform_audit::Actor::system(),
        None,
        Entry {
            action: "staff.review_mail",
            objects: review
                .members
                .iter()
                .map(|m| format!("staff:{}", m.member.staff_id))
                .collect(),
            classes: vec![DataClass::Account],
            purpose: "access review",
        },
    )
    .await?;
    Ok(Some((
        owners,
        format!("Access review of {shop_name}: {period}"),
        body,
    )))
}

fn flags_text(flags: &[Flag]) -> String {
    if flags.is_empty() {
        String::new()
    } else {
        let labels: Vec<&str> = flags.iter().map(|f| f.label()).collect();
        format!(" — {}", labels.join("; "))
    }
}

/// Queues this month's review mail, once, in every open shop that existed before the
/// month began (a shop opened today gets its first review on the 1st of next month).
pub async fn queue_monthly(state: &AppState) -> Result<u64, ApiError> {
    let now = state.clock.now();
    let period = now.format("%Y-%m").to_string();
    let shops: Vec<TenantId> = {
        let mut tx = state.db.platform().await?;
        let shops = sqlx::query_scalar(
            "select id from tenants where status = 'active' \
             and created_at < date_trunc('month', $1::timestamptz at time zone 'UTC') at time zone 'UTC'",
        )
        .bind(now)
        .fetch_all(&mut tx)
        .await?;
        tx.commit().await?;
        shops
    };
    let mut queued = 0;
    for shop in shops {
        let mut tx = state.db.begin(shop).await?;
        if db::team::queue_review(&mut tx, &period, now).await? {
            queued += 1;
        }
        // The month that ended: the summary of the platform's access to the shop.
        if let Some(last) = crate::app::access::last_month(now)
            && db::access::queue_summary(&mut tx, last, now).await?
        {
            queued += 1;
        }
        tx.commit().await?;
    }
    Ok(queued)
}
