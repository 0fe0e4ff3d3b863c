//! The shop's staff (O8): owners invite members by email with one or more roles, change
//! their roles and remove them. Rules that hold whatever the adapter:
//!
//! - only owners manage staff, and nobody grants a role they do not hold (an owner holds
//!   every power, so an owner may grant any role);
//! - the last owner can be neither removed nor demoted (checked under the shop's roles
//!   lock, so two owners removing each other at once cannot both succeed);
//! - an invitation is a single-use link valid 72 hours, mailed through the staff outbox;
//!   only its token's SHA-256 is kept (and the token itself, sealed, until the mail left);
//! - every change and every read of staff accounts is an audit event.

use chrono::{DateTime, Duration, Utc};
use platform_auth::Token;
use platform_domain::{DataClass, Invalid, Permission, RoleSet, StaffId, StaffRole};
use platform_tenancy::{TenantId, TenantTx};
use platform_vault::Sealed;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::app::AppState;
use crate::app::audit::{self, Entry};
use crate::app::domain::Email;
use crate::app::orders::require;
use crate::app::staff::{self, NewSession, Staff};
use crate::db;
use crate::error::ApiError;

/// How long an invitation link works.
pub const INVITATION_LIFETIME: Duration = Duration::hours(72);
/// Sealing context of an invitation's email (sealed under the invitation as subject).
const INVITE_EMAIL: &str = "staff_invitations.email";
/// Sealing context of an invitation's token, kept until its mail leaves.
pub const INVITE_TOKEN: &str = "staff_invitations.token";

/// An invitation to send.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteInput {
    /// Where the link goes.
    pub email: String,
    /// One or more roles.
    #[schema(value_type = Vec<String>)]
    pub roles: Vec<StaffRole>,
}

/// A role and since when it is held.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoleGrant {
    /// The role.
    #[schema(value_type = String)]
    pub role: StaffRole,
    /// Held since.
    pub since: DateTime<Utc>,
}

/// A member of staff as owners see them (staff accounts are owner-only data).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Member {
    /// Id.
    #[schema(value_type = String, format = Uuid)]
    pub staff_id: StaffId,
    /// Login email.
    pub email: String,
    /// Roles with since when.
    pub roles: Vec<RoleGrant>,
    /// Joined.
    pub joined_at: DateTime<Utc>,
    /// A second factor is on.
    pub mfa: bool,
    /// Last login.
    pub last_login_at: Option<DateTime<Utc>>,
    /// Last time shown personal data.
    pub last_pii_read_at: Option<DateTime<Utc>>,
    /// This is the viewer.
    pub is_you: bool,
}

/// An invitation not yet used.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Invitation {
    /// Id.
    pub id: Uuid,
    /// Where it went.
    pub email: String,
    /// Roles it grants.
    #[schema(value_type = Vec<String>)]
    pub roles: Vec<StaffRole>,
    /// Sent.
    pub created_at: DateTime<Utc>,
    /// Works until.
    pub expires_at: DateTime<Utc>,
    /// Lapsed unused.
    pub expired: bool,
}

/// The team: members and open invitations.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Team {
    /// Members, oldest first.
    pub members: Vec<Member>,
    /// Invitations neither used nor withdrawn, newest first.
    pub invitations: Vec<Invitation>,
    /// Every member must have a second factor (owners always must).
    pub mfa_required_for_all: bool,
}

fn parse_roles(roles: &[StaffRole]) -> Result<RoleSet, ApiError> {
    let set: RoleSet = roles.iter().copied().collect();
    if set.is_empty() {
        return Err(
            Invalid::new("staff.roles_required", "Please choose at least one role.").into(),
        );
    }
    Ok(set)
}

/// Refuses to grant roles the granter does not hold.
fn check_grant(staff: &Staff, roles: RoleSet) -> Result<(), ApiError> {
    require(staff, Permission::ManageStaff)?;
    if staff.roles.covers(roles) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

async fn open_text(
    state: &AppState,
    tx: &mut TenantTx,
    context: &str,
    sealed: Vec<u8>,
) -> Result<String, ApiError> {
    let plain = state
        .vault
        .open(tx, context, &Sealed::from_bytes(sealed)?)
        .await?;
    Ok(String::from_utf8_lossy(&plain).into_owned())
}

async fn invitation_view(
    state: &AppState,
    tx: &mut TenantTx,
    row: db::team::InvitationRow,
    now: DateTime<Utc>,
) -> Result<Invitation, ApiError> {
    Ok(Invitation {
        id: row.id,
        email: open_text(state, tx, INVITE_EMAIL, row.email_sealed).await?,
        roles: db::staff::role_set(&row.roles).iter().collect(),
        created_at: row.created_at,
        expires_at: row.expires_at,
        expired: row.expires_at <= now,
    })
}

/// The team as stored, emails opened, for `viewer` (no check, no log: callers do both).
pub async fn team_in(
    state: &AppState,
    tx: &mut TenantTx,
    viewer: Option<StaffId>,
) -> Result<Team, ApiError> {
    let now = state.clock.now();
    let mut members = Vec::new();
    for m in db::team::members(tx).await? {
        let roles = m
            .roles
            .iter()
            .zip(&m.granted_at)
            .filter_map(|(r, at)| StaffRole::parse(r).map(|role| RoleGrant { role, since: *at }))
            .collect();
        members.push(Member {
            staff_id: m.id,
            email: open_text(state, tx, staff::EMAIL_CONTEXT, m.email_sealed).await?,
            roles,
            joined_at: m.created_at,
            mfa: m.mfa_enabled_at.is_some(),
            last_login_at: m.last_login_at,
            last_pii_read_at: m.last_pii_read_at,
            is_you: Some(m.id) == viewer,
        });
    }
    let mut invitations = Vec::new();
    for row in db::team::open_invitations(tx).await? {
        invitations.push(invitation_view(state, tx, row, now).await?);
    }
    let mfa_required_for_all = db::staff::mfa_required_for_all(tx).await?;
    Ok(Team {
        members,
        invitations,
        mfa_required_for_all,
    })
}

/// The objects a team listing shows, for its audit event.
pub fn listed_objects(team: &Team) -> Vec<String> {
    let mut objects: Vec<String> = team
        .members
        .iter()
        .map(|m| format!("staff:{}", m.staff_id))
        .collect();
    objects.extend(
        team.invitations
            .iter()
            .map(|i| format!("invitation:{}", i.id)),
    );
    objects
}

/// The team as an owner sees it; the read of staff accounts is logged.
pub async fn team(state: &AppState, staff: &Staff) -> Result<Team, ApiError> {
    require(staff, Permission::ManageStaff)?;
    let mut tx = state.db.begin(staff.tenant).await?;
    let team = team_in(state, &mut tx, Some(staff.staff_id)).await?;
    audit::record(
        state,
        &mut tx,
        staff,
        Entry {
            action: "staff.list",
            objects: listed_objects(&team),
            classes: vec![DataClass::Account],
            purpose: "staff administration",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(team)
}

/// Invites `input.email` with `input.roles`; the mail leaves through the outbox.
pub async fn invite(
    state: &AppState,
    staff: &Staff,
    input: InviteInput,
) -> Result<Invitation, ApiError> {
    let roles = parse_roles(&input.roles)?;
    check_grant(staff, roles)?;
    staff::require_fresh(state, staff)?;
    let email = Email::parse(&input.email)?;
    let now = state.clock.now();
    let id = Uuid::new_v4();
    let token = Token::generate();
    let mut tx = state.db.begin(staff.tenant).await?;
    let member_index = state
        .vault
        .blind_index(&mut tx, staff::EMAIL_CONTEXT, email.as_str())
        .await?;
    if db::staff::account_for_login(&mut tx, &member_index)
        .await?
        .is_some()
    {
        return Err(ApiError::conflict(
            "staff.already_member",
            "This email already belongs to a member of this shop.",
        ));
    }
    let index = state
        .vault
        .blind_index(&mut tx, INVITE_EMAIL, email.as_str())
        .await?;
    let email_sealed = state
        .vault
        .seal_for_subject(&mut tx, id, INVITE_EMAIL, email.as_str().as_bytes())
        .await?;
    let token_sealed = state
        .vault
        .seal_for_tenant(&mut tx, INVITE_TOKEN, token.as_str().as_bytes())
        .await?;
    db::team::insert_invitation(
        &mut tx,
        db::team::NewInvitation {
            id,
            email_index: &index,
            email_sealed: email_sealed.into_bytes(),
            roles,
            token_hash: &token.digest(),
            token_sealed: token_sealed.into_bytes(),
            invited_by: staff.staff_id,
            created_at: now,
            expires_at: now + INVITATION_LIFETIME,
        },
    )
    .await?;
    audit::record(
        state,
        &mut tx,
        staff,
        Entry {
            action: "staff.invite",
            objects: vec![format!("invitation:{id}")],
            classes: Vec::new(),
            purpose: "staff administration",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Invitation {
        id,
        email: email.as_str().to_owned(),
        roles: roles.iter().collect(),
        created_at: now,
        expires_at: now + INVITATION_LIFETIME,
        expired: false,
    })
}

/// Withdraws an open invitation: its link stops working.
pub async fn revoke_invitation(state: &AppState, staff: &Staff, id: Uuid) -> Result<(), ApiError> {
    require(staff, Permission::ManageStaff)?;
    let mut tx = state.db.begin(staff.tenant).await?;
    if !db::team::revoke_invitation(&mut tx, id, state.clock.now()).await? {
        return Err(ApiError::NotFound);
    }
    audit::record(
        state,
        &mut tx,
        staff,
        Entry {
            action: "staff.invitation_revoke",
            objects: vec![format!("invitation:{id}")],
            classes: Vec::new(),
            purpose: "staff administration",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Refuses when the change would leave the shop without an owner (under the lock).
async fn keep_an_owner(
    tx: &mut TenantTx,
    member_was_owner: bool,
    stays_owner: bool,
) -> Result<(), ApiError> {
    if member_was_owner && !stays_owner && db::team::owner_count(tx).await? <= 1 {
        return Err(ApiError::conflict(
            "staff.last_owner",
            "The shop needs at least one owner. Make someone else an owner first.",
        ));
    }
    Ok(())
}

/// Gives `member` exactly `roles`.
pub async fn set_roles(
    state: &AppState,
    staff: &Staff,
    member: StaffId,
    roles: &[StaffRole],
) -> Result<(), ApiError> {
    let roles = parse_roles(roles)?;
    check_grant(staff, roles)?;
    staff::require_fresh(state, staff)?;
    let mut tx = state.db.begin(staff.tenant).await?;
    db::team::lock_roles(&mut tx).await?;
    if !db::team::member_exists(&mut tx, member).await? {
        return Err(ApiError::NotFound);
    }
    let before = db::staff::roles(&mut tx, member).await?;
    // Taking a role away is granting in reverse: only a holder may.
    check_grant(staff, before)?;
    keep_an_owner(
        &mut tx,
        before.contains(StaffRole::Owner),
        roles.contains(StaffRole::Owner),
    )
    .await?;
    db::team::revoke_roles_except(&mut tx, member, roles).await?;
    db::staff::grant_roles(
        &mut tx,
        member,
        roles,
        Some(staff.staff_id),
        state.clock.now(),
    )
    .await?;
    audit::record(
        state,
        &mut tx,
        staff,
        Entry {
            action: "staff.roles_change",
            objects: vec![format!("staff:{member}")],
            classes: Vec::new(),
            purpose: "staff administration",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes `member`: their sessions end at once.
pub async fn remove(state: &AppState, staff: &Staff, member: StaffId) -> Result<(), ApiError> {
    require(staff, Permission::ManageStaff)?;
    staff::require_fresh(state, staff)?;
    let mut tx = state.db.begin(staff.tenant).await?;
    db::team::lock_roles(&mut tx).await?;
    if !db::team::member_exists(&mut tx, member).await? {
        return Err(ApiError::NotFound);
    }
    let before = db::staff::roles(&mut tx, member).await?;
    check_grant(staff, before)?;
    keep_an_owner(&mut tx, before.contains(StaffRole::Owner), false).await?;
    db::team::delete_member(&mut tx, member).await?;
    audit::record(
        state,
        &mut tx,
        staff,
        Entry {
            action: "staff.remove",
            objects: vec![format!("staff:{member}")],
            classes: Vec::new(),
            purpose: "staff administration",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What the invitation page shows to the holder of a valid link.
#[derive(Debug, Clone)]
pub struct InvitationPreview {
    /// The shop's name.
    pub shop_name: String,
    /// The email the account will log in with.
    pub email: String,
    /// Roles it grants.
    pub roles: Vec<StaffRole>,
}

/// The link's shop and token (`<shop id>.<token>`).
pub fn parse_link(link: &str) -> Option<(TenantId, Token)> {
    let (scope, token) = link.split_once('.')?;
    Some((scope.parse().ok()?, Token::parse(token)?))
}

fn unusable() -> ApiError {
    ApiError::conflict(
        "staff.invitation_unusable",
        "This invitation link was used, withdrawn or has expired. Ask the shop's owner for a new one.",
    )
}

async fn usable_invitation(
    state: &AppState,
    tx: &mut TenantTx,
    token: &Token,
) -> Result<db::team::InvitationRow, ApiError> {
    let row = db::team::invitation_by_token(tx, &token.digest())
        .await?
        .ok_or_else(unusable)?;
    if row.accepted_at.is_some() || row.revoked_at.is_some() || row.expires_at <= state.clock.now()
    {
        return Err(unusable());
    }
    Ok(row)
}

/// The invitation of a link, if it can still be used.
pub async fn preview(state: &AppState, link: &str) -> Result<InvitationPreview, ApiError> {
    let (tenant, token) = parse_link(link).ok_or_else(unusable)?;
    let mut tx = state.db.begin(tenant).await?;
    let row = usable_invitation(state, &mut tx, &token).await?;
    let shop = db::shops::get(&mut tx).await?;
    let email = open_text(state, &mut tx, INVITE_EMAIL, row.email_sealed).await?;
    tx.commit().await?;
    Ok(InvitationPreview {
        shop_name: shop.display_name,
        email,
        roles: db::staff::role_set(&row.roles).iter().collect(),
    })
}

/// Accepts an invitation: creates the account with the invited email, the chosen
/// password and the invitation's roles, uses up the link, and logs the new member in.
pub async fn accept(
    state: &AppState,
    link: &str,
    password: SecretString,
    client: &str,
) -> Result<NewSession, ApiError> {
    let (tenant, token) = parse_link(link).ok_or_else(unusable)?;
    platform_auth::check_password_policy(&password)?;
    let hash = state.hasher.hash(password).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin(tenant).await?;
    let row = usable_invitation(state, &mut tx, &token).await?;
    let email = Email::parse(&open_text(state, &mut tx, INVITE_EMAIL, row.email_sealed).await?)?;
    let id = StaffId::random();
    let roles = db::staff::role_set(&row.roles);
    staff::create_account(
        state,
        &mut tx,
        id,
        &email,
        &hash,
        roles,
        Some(row.invited_by),
    )
    .await?;
    db::team::accept_invitation(&mut tx, row.id, id, now).await?;
    let member = Staff::identified(tenant, id, roles);
    audit::record(
        state,
        &mut tx,
        &member,
        Entry {
            action: "staff.join",
            objects: vec![format!("invitation:{}", row.id), format!("staff:{id}")],
            classes: Vec::new(),
            purpose: "staff administration",
        },
    )
    .await?;
    let session = staff::open_session(state, &mut tx, member, client, false).await?;
    tx.commit().await?;
    Ok(session)
}

/// The owners' email addresses, for mail only owners receive.
pub async fn owner_addresses(state: &AppState, tx: &mut TenantTx) -> Result<Vec<String>, ApiError> {
    let team = team_in(state, tx, None).await?;
    Ok(team
        .members
        .iter()
        .filter(|m| {
            m.roles
                .iter()
                .any(|r| r.role == platform_domain::StaffRole::Owner)
        })
        .map(|m| m.email.clone())
        .collect())
}
