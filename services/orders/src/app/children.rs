//! Children (O19). A shop that sells to minors asks each buyer's age band at checkout;
//! under 13, the storefront keeps nothing about the child and asks for a parent's or
//! guardian's address instead. The guardian gets a link (7 days) to a page that says what
//! the shop will collect and who receives it, and consents or refuses; after a consent
//! a second mail confirms it (the "email plus" method). The child, waiting with a handle
//! of their own, may then place one order under that consent. Products marked 13+ are
//! never sold under a child's consent.

use platform_auth::Token;
use platform_domain::contact::is_plausible_email;
use platform_domain::{AgeBand, GuardianStatus};
use platform_orders_api::{
    AskGuardian, ErrorCode, GuardianDecision, GuardianHandle, GuardianState,
};
use platform_tenancy::{TenantId, TenantTx};
use uuid::Uuid;

use super::Orders;
use crate::app::privacy::hash_of;
use crate::db::{self, catalog::CatalogVariant, guardians::ConsentRow};
use crate::error::OrdersError;

type Result<T> = std::result::Result<T, OrdersError>;

/// Vault contexts of a consent's sealed fields.
const EMAIL_FIELD: &str = "guardian.email";
const TOKEN_FIELD: &str = "guardian.token";

/// The guardian's link.
pub const ASK: &str = "guardian_consent";
/// The confirmation after a consent (the "plus").
pub const CONFIRMED: &str = "guardian_confirmed";

fn link_invalid() -> OrdersError {
    OrdersError::refused(
        ErrorCode::LinkInvalid,
        "This link is not valid any more: it was used, or more than 7 days passed.",
    )
}

/// Where a consent stands now (a pending or unused one past its time has expired).
fn state_of(row: &ConsentRow) -> GuardianStatus {
    match row.status {
        GuardianStatus::Pending | GuardianStatus::Consented
            if row.expires_at < chrono::Utc::now() =>
        {
            GuardianStatus::Expired
        }
        status => status,
    }
}

/// A mail to a guardian, written.
pub struct GuardianMail {
    /// The shop's name.
    pub shop_name: String,
    /// The guardian.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// Body.
    pub body: String,
    /// Forget the link's token once this has left.
    pub forget_token: Option<Uuid>,
}

/// What the guardian is asked: what the shop keeps about the child, who receives it.
fn ask_text(shop: &str, link: &str) -> (String, String) {
    (
        format!("Your consent is needed: a child wants to order from {shop}"),
        format!(
            "A child who gave your address as their parent's or guardian's wants to order from {shop}.\n\n\
             Nothing about the child has been kept. If you agree, {shop} keeps what it needs for the order \
             (the name, email, phone and delivery address it asks for, and the network address the order \
             comes from) for as long as its privacy policy says, and passes it to nobody except the payment \
             processor (the amount and the order number) and the carrier (the delivery address). \
             It is never sold or used for advertising.\n\n\
             Read what {shop} would collect, then agree or refuse, within 7 days:\n{link}\n\n\
             If you do nothing, nothing happens and your address is forgotten after 7 days.\n\n\
             This is a service message, not advertising.\n"
        ),
    )
}

/// The "plus" of email plus: the consent is confirmed, and how to take it back.
fn confirmed_text(shop: &str, base: &str, at: chrono::DateTime<chrono::Utc>) -> (String, String) {
    (
        format!("You agreed: a child may order from {shop}"),
        format!(
            "On {date} you agreed that a child may place one order with {shop}.\n\n\
             If that was not you, or you change your mind, ask {shop} to erase the child's data on its \
             privacy page:\n{base}/policies/privacy#your-data\n\n\
             This is a service message, not advertising.\n",
            date = at.format("%-d %B %Y %H:%M UTC"),
        ),
    )
}

impl Orders {
    /// A child's checkout asks a guardian: a pending consent, its link mailed; the
    /// child's handle to wait with.
    pub async fn ask_guardian(&self, tenant: TenantId, ask: AskGuardian) -> Result<GuardianHandle> {
        let email = ask.guardian_email.trim();
        if email.len() > 254 || !is_plausible_email(email) {
            return Err(OrdersError::refused(
                ErrorCode::EmailInvalid,
                "Please give your parent's or guardian's email address.",
            ));
        }
        let handle = Token::generate();
        let token = Token::generate();
        let id = Uuid::new_v4();
        let subject = Uuid::new_v4();
        let mut tx = self.db.begin(tenant).await?;
        let policy_version = match ask.policy_version {
            Some(v) if db::subscriptions::published_policy(&mut tx, v).await? => Some(v),
            _ => None,
        };
        let email_sealed = self
            .vault
            .seal_for_subject(&mut tx, subject, EMAIL_FIELD, email.as_bytes())
            .await?;
        let token_sealed = self
            .vault
            .seal_for_subject(&mut tx, subject, TOKEN_FIELD, token.as_str().as_bytes())
            .await?;
        db::guardians::insert(
            &mut tx,
            &db::guardians::NewConsent {
                id,
                subject_id: subject,
                handle_hash: &handle.digest(),
                token: (&token.digest(), token_sealed.as_bytes()),
                guardian_email_sealed: email_sealed.as_bytes(),
                policy_version,
            },
        )
        .await?;
        tx.commit().await?;
        tracing::info!(tenant_id = %tenant, consent_id = %id, "guardian asked for consent");
        Ok(GuardianHandle {
            handle: handle.as_str().to_owned(),
        })
    }

    /// Where the consent behind a child's handle stands.
    pub async fn guardian_state(&self, tenant: TenantId, handle: &str) -> Result<GuardianState> {
        let hash = hash_of(handle).ok_or_else(link_invalid)?;
        let mut tx = self.db.begin(tenant).await?;
        let row = db::guardians::by_handle(&mut tx, &hash).await?;
        tx.commit().await?;
        let row = row.ok_or_else(link_invalid)?;
        Ok(GuardianState {
            status: state_of(&row),
        })
    }

    /// The guardian decides by the link's token. Pressed again, the same answer.
    pub async fn decide_guardian(
        &self,
        tenant: TenantId,
        decision: GuardianDecision,
    ) -> Result<GuardianState> {
        let hash = hash_of(&decision.token).ok_or_else(link_invalid)?;
        let mut tx = self.db.begin(tenant).await?;
        let row = db::guardians::by_token(&mut tx, &hash)
            .await?
            .ok_or_else(link_invalid)?;
        let status = match state_of(&row) {
            GuardianStatus::Pending => {
                db::guardians::decide(&mut tx, row.id, decision.consent).await?;
                if decision.consent {
                    db::guardians::enqueue(&mut tx, row.id, CONFIRMED).await?;
                    GuardianStatus::Consented
                } else {
                    GuardianStatus::Refused
                }
            }
            GuardianStatus::Expired => return Err(link_invalid()),
            decided => decided,
        };
        tx.commit().await?;
        tracing::info!(tenant_id = %tenant, consent_id = %row.id, status = %status, "guardian decided");
        Ok(GuardianState { status })
    }

    /// Checks a placement's age band against the shop and the items; returns the
    /// guardian's consent to use for a child (locked until the order commits).
    pub(crate) async fn age_check(
        &self,
        tx: &mut TenantTx,
        sells_to_minors: bool,
        age_band: Option<AgeBand>,
        guardian: Option<&str>,
        variants: &[CatalogVariant],
    ) -> Result<Option<Uuid>> {
        match (sells_to_minors, age_band) {
            (false, None) => Ok(None),
            (false, Some(_)) => Err(OrdersError::refused(
                ErrorCode::FieldNotAsked,
                "This shop does not ask for an age.",
            )),
            (true, None) => Err(OrdersError::refused(
                ErrorCode::AgeBandRequired,
                "Please say whether you are 13 or older.",
            )),
            (true, Some(AgeBand::ThirteenPlus)) => Ok(None),
            (true, Some(AgeBand::Under13)) => {
                let needed = || {
                    OrdersError::refused(
                        ErrorCode::GuardianConsentRequired,
                        "A parent or guardian must agree before a child under 13 can order.",
                    )
                };
                if variants.iter().any(|v| v.thirteen_plus) {
                    return Err(OrdersError::refused(
                        ErrorCode::AgeRestricted,
                        "An item in the cart is only for buyers of 13 and over.",
                    ));
                }
                let hash = guardian.and_then(hash_of).ok_or_else(needed)?;
                let row = db::guardians::by_handle(tx, &hash)
                    .await?
                    .ok_or_else(needed)?;
                if state_of(&row) != GuardianStatus::Consented {
                    return Err(needed());
                }
                db::guardians::use_for_order(tx, row.id).await?;
                Ok(Some(row.id))
            }
        }
    }

    /// Writes a mail to a guardian; none when the consent or its address is gone.
    pub(crate) async fn guardian_mail(
        &self,
        tx: &mut TenantTx,
        kind: &str,
        consent: Uuid,
    ) -> Result<Option<GuardianMail>> {
        let Some(row) = db::guardians::find(tx, consent).await? else {
            return Ok(None);
        };
        let (shop_name, _, _, _, hosts) = db::subjects::shop_facts(tx).await?;
        let Some(base) = self.shop_url(&hosts) else {
            return Ok(None);
        };
        let Some(to) = self
            .open_text(tx, EMAIL_FIELD, row.guardian_email_sealed.as_deref())
            .await?
        else {
            return Ok(None);
        };
        let (subject, body, forget_token) = match kind {
            ASK => {
                let Some(token) = self
                    .open_text(tx, TOKEN_FIELD, row.token_sealed.as_deref())
                    .await?
                else {
                    return Ok(None);
                };
                let (s, b) = ask_text(&shop_name, &format!("{base}/guardian/{token}"));
                (s, b, Some(row.id))
            }
            CONFIRMED => {
                let Some(at) = row.decided_at else {
                    return Ok(None);
                };
                let (s, b) = confirmed_text(&shop_name, &base, at);
                (s, b, None)
            }
            _ => return Ok(None),
        };
        Ok(Some(GuardianMail {
            shop_name,
            to,
            subject,
            body,
            forget_token,
        }))
    }

    /// After a guardian's mail left: forget the link's token.
    pub(crate) async fn guardian_mail_sent(
        &self,
        tx: &mut TenantTx,
        forget_token: Option<Uuid>,
    ) -> Result<()> {
        if let Some(id) = forget_token {
            db::guardians::token_mailed(tx, id).await?;
        }
        Ok(())
    }

    /// Deletes consents never used before they expired, with their keys.
    pub(crate) async fn purge_expired_consents(&self, tx: &mut TenantTx) -> Result<usize> {
        let subjects = db::guardians::purge_expired(tx).await?;
        for subject in &subjects {
            self.vault.shred_subject(tx, *subject).await?;
        }
        Ok(subjects.len())
    }
}
