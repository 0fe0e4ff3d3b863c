//! Platform staff accounts: the first security officer (bootstrap), then every other
//! member created by a security officer. Each member logs in with three things: the
//! client certificate registered here (its SHA-256), a password (argon2id) and TOTP.

use chrono::{DateTime, Utc};
use platform_auth::totp::Totp;
use platform_domain::{Invalid, PlatformRole, PlatformRoles};
use platform_tenancy::PlatformTx;
use platform_vault::{DataKey, WrappedKey};
use secrecy::SecretString;
use uuid::Uuid;

use crate::app::AppState;
use crate::app::operator::Operator;
use crate::db;
use crate::error::ApiError;

/// A new member, as a security officer (or the bootstrap command) describes them.
#[derive(Debug)]
pub struct NewMember {
    /// Their login name.
    pub login: String,
    /// Their name, inside the platform only.
    pub name: String,
    /// The company that employs them (merchants see it).
    pub entity: String,
    /// Their first password.
    pub password: SecretString,
    /// The SHA-256 of the client certificate issued to them by the staff CA.
    pub cert_fingerprint: [u8; 32],
    /// Their roles.
    pub roles: PlatformRoles,
}

/// A member just created: the TOTP secret is shown once, to be put in their app.
pub struct Created {
    /// The account.
    pub id: Uuid,
    /// What merchants will see.
    pub pseudonym: Uuid,
    /// The authenticator's key.
    pub totp: Totp,
}

fn check_login(login: &str) -> Result<(), Invalid> {
    let ok = (2..=63).contains(&login.len())
        && login
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && login.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(Invalid::new(
            "staff.login_invalid",
            "A login is 2 to 63 lower-case letters, digits, dots, dashes or underscores.",
        ))
    }
}

fn check_text(text: &str, code: &'static str, what: &'static str) -> Result<(), Invalid> {
    if (1..=200).contains(&text.trim().chars().count()) {
        Ok(())
    } else {
        Err(Invalid::new(code, what))
    }
}

fn totp_aad(id: Uuid) -> Vec<u8> {
    format!("processor.staff.totp:{id}").into_bytes()
}

/// Creates a member. `by` is the security officer (none for the bootstrap).
pub async fn create(
    state: &AppState,
    tx: &mut PlatformTx,
    member: NewMember,
    by: Option<Uuid>,
    at: DateTime<Utc>,
) -> Result<Created, ApiError> {
    check_login(&member.login)?;
    check_text(
        &member.name,
        "staff.name_invalid",
        "A name is 1 to 200 characters.",
    )?;
    check_text(
        &member.entity,
        "staff.entity_invalid",
        "The employing entity is 1 to 200 characters.",
    )?;
    if member.roles.is_empty() {
        return Err(ApiError::invalid(
            "staff.roles_missing",
            "Choose at least one role.",
        ));
    }
    platform_auth::check_password_policy(&member.password)?;
    let hash = state.hasher.hash(member.password).await?;
    let id = Uuid::new_v4();
    let pseudonym = Uuid::new_v4();
    let secret = Totp::generate_secret();
    let totp = Totp::new(&secret, &state.totp_issuer, &member.login).map_err(|_| {
        ApiError::invalid("staff.login_invalid", "This login cannot label a TOTP key.")
    })?;
    let key = DataKey::generate();
    let aad = totp_aad(id);
    let sealed = key.encrypt(&secret, &aad)?;
    let wrapped = state.vault.kek().wrap(&key, &aad).await?;
    let inserted = db::staff::insert(
        tx,
        db::staff::NewAccount {
            id,
            pseudonym,
            login: &member.login,
            name: member.name.trim(),
            entity: member.entity.trim(),
            password_hash: &hash,
            cert_fingerprint: &member.cert_fingerprint,
            totp_sealed: &sealed,
            totp_key: &wrapped.bytes,
            totp_kek_id: &wrapped.kek_id,
            totp_kek_version: wrapped.kek_version,
            created_by: by,
            at,
        },
    )
    .await;
    if let Err(e) = inserted {
        return Err(on_unique(e));
    }
    for role in member.roles.iter() {
        db::staff::grant_role(tx, id, role, by, at).await?;
    }
    let roles: Vec<&str> = member.roles.iter().map(PlatformRole::as_str).collect();
    db::staff::event(
        tx,
        by,
        id,
        "staff.create",
        serde_json::json!({ "roles": roles }),
        at,
    )
    .await?;
    Ok(Created {
        id,
        pseudonym,
        totp,
    })
}

fn on_unique(e: sqlx::Error) -> ApiError {
    if let sqlx::Error::Database(db) = &e
        && db.code().as_deref() == Some("23505")
    {
        return match db.constraint() {
            Some("staff_login_key") => {
                ApiError::conflict("staff.login_taken", "This login is taken.")
            }
            Some("staff_cert_fingerprint_key") => ApiError::conflict(
                "staff.certificate_taken",
                "This certificate belongs to another member already.",
            ),
            _ => ApiError::Database(e),
        };
    }
    ApiError::Database(e)
}

/// The TOTP of a stored account.
pub async fn totp_of(state: &AppState, account: &db::staff::Account) -> Result<Totp, ApiError> {
    let aad = totp_aad(account.id);
    let wrapped = WrappedKey {
        kek_id: account.totp_kek_id.clone(),
        kek_version: account.totp_kek_version,
        bytes: account.totp_key.clone(),
    };
    let key = state.vault.kek().unwrap(&wrapped, &aad).await?;
    let secret = key.decrypt(&account.totp_sealed, &aad)?;
    Totp::new(&secret, &state.totp_issuer, &account.login)
        .map_err(|_| ApiError::Vault(platform_vault::VaultError::Malformed))
}

/// The first security officer, when there is none yet.
pub async fn bootstrap(state: &AppState, member: NewMember) -> Result<Created, ApiError> {
    let mut tx = state.db.platform().await?;
    if db::staff::any_security_officer(&mut tx).await? {
        return Err(ApiError::conflict(
            "staff.bootstrapped",
            "A security officer exists already: they create every other member.",
        ));
    }
    let member = NewMember {
        roles: PlatformRoles::EMPTY.with(PlatformRole::Security),
        ..member
    };
    let created = create(state, &mut tx, member, None, state.clock.now()).await?;
    tx.commit().await?;
    Ok(created)
}

/// A security officer adds a member.
pub async fn add(
    state: &AppState,
    officer: &Operator,
    member: NewMember,
) -> Result<Created, ApiError> {
    if !officer.roles.contains(PlatformRole::Security) {
        return Err(ApiError::Forbidden);
    }
    let mut tx = state.db.operator(officer.id).await?;
    let created = create(state, &mut tx, member, Some(officer.id), state.clock.now()).await?;
    tx.commit().await?;
    crate::app::operator::used(state, officer, PlatformRole::Security).await?;
    Ok(created)
}

/// A member as the staff list shows them.
#[derive(Debug, Clone)]
pub struct Member {
    /// The account.
    pub id: Uuid,
    /// Login.
    pub login: String,
    /// Name.
    pub name: String,
    /// Employer.
    pub entity: String,
    /// Roles, with when each was granted, last re-confirmed and last used.
    pub roles: Vec<db::staff::Held>,
    /// Since when.
    pub created_at: DateTime<Utc>,
    /// Last login.
    pub last_login_at: Option<DateTime<Utc>>,
    /// Disabled.
    pub disabled: bool,
}

/// Every member (security officers only).
pub async fn members(state: &AppState, officer: &Operator) -> Result<Vec<Member>, ApiError> {
    if !officer.roles.contains(PlatformRole::Security) {
        return Err(ApiError::Forbidden);
    }
    let mut tx = state.db.operator(officer.id).await?;
    let mut out = Vec::new();
    for a in db::staff::all(&mut tx).await? {
        let roles = db::staff::roles(&mut tx, a.id).await?;
        out.push(Member {
            id: a.id,
            login: a.login,
            name: a.name,
            entity: a.entity,
            roles,
            created_at: a.created_at,
            last_login_at: a.last_login_at,
            disabled: a.disabled_at.is_some(),
        });
    }
    tx.commit().await?;
    Ok(out)
}
