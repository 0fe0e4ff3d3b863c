//! The processor's state: merchants and their key sets, payments, refunds. In memory,
//! behind one lock held only for short, non-awaiting sections.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use http::StatusCode;
use platform_msgsign::{KeyState, KeyStore, Keypair, Nonces, PublicKey};
use platform_processor_api::{
    Card, Event, EventKind, KeySet, KeyStatus, NewPayment, NewRefund, PARTNER_KEY_ID, Payment,
    PaymentStatus, Refund,
};

use crate::cards::Outcome;

/// A refusal: its status, a stable code and a sentence.
#[derive(Debug, Clone)]
pub struct SimError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The stable code.
    pub code: &'static str,
    /// For people.
    pub message: String,
}

impl SimError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        SimError {
            status,
            code,
            message: message.into(),
        }
    }
}

/// `n` random bytes, hex.
pub(crate) fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::fill(&mut bytes[..]);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Now, Unix seconds.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

struct Merchant {
    webhook_url: String,
}

struct KeyEntry {
    merchant: String,
    public: PublicKey,
    status: KeyStatus,
}

struct PaymentEntry {
    payment: Payment,
    description: String,
    return_url: String,
    expires_at: i64,
    refunds: Vec<Refund>,
}

#[derive(Default)]
struct Inner {
    merchants: HashMap<String, Merchant>,
    keys: HashMap<String, KeyEntry>,
    payments: HashMap<String, PaymentEntry>,
    by_reference: HashMap<(String, String), String>,
    events: u64,
}

/// What the hosted page shows of a payment.
#[derive(Debug, Clone)]
pub struct PageView {
    /// The payment.
    pub payment: Payment,
    /// The merchant's description.
    pub description: String,
    /// Where the buyer goes back to.
    pub return_url: String,
}

/// The simulator's state and keys.
pub struct Sim {
    inner: Mutex<Inner>,
    public_url: String,
    key: Keypair,
    partner: PublicKey,
    pub(crate) nonces: Nonces,
    pub(crate) http: reqwest::Client,
    pub(crate) copies: usize,
}

/// The merchants' keys, as a verifier sees them.
pub(crate) struct MerchantKeys<'a>(pub &'a Sim);
/// The platform's partner key alone.
pub(crate) struct PartnerKeys<'a>(pub &'a Sim);

impl KeyStore for MerchantKeys<'_> {
    fn state(&self, key_id: &str) -> KeyState {
        match self.0.lock().keys.get(key_id) {
            None => KeyState::Unknown,
            Some(k) if k.status == KeyStatus::Revoked => KeyState::Revoked,
            Some(k) => KeyState::Active(k.public.clone()),
        }
    }
}

impl KeyStore for PartnerKeys<'_> {
    fn state(&self, key_id: &str) -> KeyState {
        if key_id == PARTNER_KEY_ID {
            KeyState::Active(self.0.partner.clone())
        } else {
            KeyState::Unknown
        }
    }
}

impl Sim {
    pub(crate) fn new(
        public_url: String,
        key: Keypair,
        partner: PublicKey,
        http: reqwest::Client,
        copies: usize,
    ) -> Self {
        Sim {
            inner: Mutex::new(Inner::default()),
            public_url,
            key,
            partner,
            nonces: Nonces::default(),
            http,
            copies,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind; keep serving.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The origin merchants sign for.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The processor's signing key.
    pub(crate) fn key(&self) -> &Keypair {
        &self.key
    }

    /// The processor's public key and its id.
    pub fn public_key(&self) -> (String, PublicKey) {
        (self.key.key_id().to_owned(), self.key.public())
    }

    /// The merchant a key belongs to.
    pub(crate) fn merchant_of(&self, key_id: &str) -> Option<String> {
        self.lock().keys.get(key_id).map(|k| k.merchant.clone())
    }

    /// The status of a key as the processor holds it (tests watch revocations land).
    pub fn key_status(&self, key_id: &str) -> Option<KeyStatus> {
        self.lock().keys.get(key_id).map(|k| k.status)
    }

    /// Replaces a merchant's key set. A key id another merchant holds is refused; a key
    /// once revoked stays revoked; a key left out is forgotten.
    pub(crate) fn publish(&self, merchant: &str, set: KeySet) -> Result<(), SimError> {
        let bad = |m: &str| SimError::new(StatusCode::UNPROCESSABLE_ENTITY, "keys.invalid", m);
        if !set.webhook_url.starts_with("https://") {
            return Err(bad("The webhook address must be https."));
        }
        let mut parsed = Vec::with_capacity(set.keys.len());
        for k in &set.keys {
            if k.kid.is_empty() || k.kid.len() > 100 {
                return Err(bad("A key id is empty or too long."));
            }
            let public = PublicKey::from_base64(&k.public)
                .map_err(|_| bad("A key is not a base64url Ed25519 public key."))?;
            parsed.push((k.kid.clone(), public, k.status));
        }
        let mut inner = self.lock();
        if parsed
            .iter()
            .any(|(kid, ..)| inner.keys.get(kid).is_some_and(|k| k.merchant != merchant))
        {
            return Err(SimError::new(
                StatusCode::CONFLICT,
                "keys.kid_taken",
                "A key id belongs to another merchant.",
            ));
        }
        let was_revoked: Vec<String> = inner
            .keys
            .iter()
            .filter(|(_, k)| k.merchant == merchant && k.status == KeyStatus::Revoked)
            .map(|(kid, _)| kid.clone())
            .collect();
        inner.keys.retain(|_, k| k.merchant != merchant);
        for (kid, public, status) in parsed {
            let status = if was_revoked.contains(&kid) {
                KeyStatus::Revoked
            } else {
                status
            };
            inner.keys.insert(
                kid,
                KeyEntry {
                    merchant: merchant.to_owned(),
                    public,
                    status,
                },
            );
        }
        inner.merchants.insert(
            merchant.to_owned(),
            Merchant {
                webhook_url: set.webhook_url,
            },
        );
        Ok(())
    }

    /// Opens a payment, or answers the open one of the same reference.
    pub(crate) fn create_payment(
        &self,
        merchant: &str,
        new: NewPayment,
    ) -> Result<(Payment, bool), SimError> {
        let bad = |m: &str| SimError::new(StatusCode::UNPROCESSABLE_ENTITY, "payment.invalid", m);
        if new.amount_minor <= 0 {
            return Err(bad("The amount must be positive."));
        }
        if new.currency.len() != 3 || !new.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(bad("The currency is not an ISO 4217 code."));
        }
        if !new.return_url.starts_with("https://") || new.reference.is_empty() {
            return Err(bad(
                "The return address must be https and the reference set.",
            ));
        }
        let mut inner = self.lock();
        let key = (merchant.to_owned(), new.reference.clone());
        if let Some(entry) = inner
            .by_reference
            .get(&key)
            .and_then(|id| inner.payments.get(id))
        {
            if entry.payment.amount_minor != new.amount_minor
                || entry.payment.currency != new.currency
            {
                return Err(SimError::new(
                    StatusCode::CONFLICT,
                    "payment.reference_conflict",
                    "A payment with this reference exists for another amount.",
                ));
            }
            return Ok((entry.payment.clone(), false));
        }
        let id = format!("pay_{}", random_hex(12));
        let payment = Payment {
            id: id.clone(),
            merchant: merchant.to_owned(),
            reference: new.reference.clone(),
            status: PaymentStatus::Pending,
            amount_minor: new.amount_minor,
            currency: new.currency,
            refunded_minor: 0,
            pay_url: format!("{}/pay/{id}", self.public_url),
            card: None,
            last_failure: None,
        };
        inner.by_reference.insert(key, id.clone());
        inner.payments.insert(
            id,
            PaymentEntry {
                payment: payment.clone(),
                description: new.description,
                return_url: new.return_url,
                expires_at: new.expires_at,
                refunds: Vec::new(),
            },
        );
        Ok((payment, true))
    }

    /// A payment as the processor holds it (tests compare both sides).
    pub fn find(&self, id: &str) -> Option<Payment> {
        self.lock().payments.get(id).map(|e| e.payment.clone())
    }

    /// A merchant's payment.
    pub(crate) fn payment(&self, merchant: &str, id: &str) -> Result<Payment, SimError> {
        self.lock()
            .payments
            .get(id)
            .filter(|e| e.payment.merchant == merchant)
            .map(|e| e.payment.clone())
            .ok_or_else(not_found)
    }

    /// Refunds part or all of a captured payment; the same reference refunds once.
    pub(crate) fn refund(
        &self,
        merchant: &str,
        id: &str,
        new: &NewRefund,
    ) -> Result<(Refund, Option<Event>), SimError> {
        let mut inner = self.lock();
        let entry = inner
            .payments
            .get_mut(id)
            .filter(|e| e.payment.merchant == merchant)
            .ok_or_else(not_found)?;
        if let Some(done) = entry.refunds.iter().find(|r| r.reference == new.reference) {
            let mut done = done.clone();
            done.payment = entry.payment.clone();
            return Ok((done, None));
        }
        if entry.payment.status != PaymentStatus::Captured {
            return Err(SimError::new(
                StatusCode::CONFLICT,
                "payment.not_captured",
                "Only a captured payment can be refunded.",
            ));
        }
        let left = entry.payment.amount_minor - entry.payment.refunded_minor;
        if new.amount_minor <= 0 || new.amount_minor > left || new.reference.is_empty() {
            return Err(SimError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "refund.invalid_amount",
                format!("A refund must be between 1 and {left} minor units, with a reference."),
            ));
        }
        entry.payment.refunded_minor += new.amount_minor;
        let refund = Refund {
            id: format!("re_{}", random_hex(12)),
            reference: new.reference.clone(),
            amount_minor: new.amount_minor,
            payment: entry.payment.clone(),
        };
        entry.refunds.push(refund.clone());
        let payment = entry.payment.clone();
        let event = Self::event(&mut inner, EventKind::PaymentRefunded, payment);
        Ok((refund, Some(event)))
    }

    fn event(inner: &mut Inner, kind: EventKind, payment: Payment) -> Event {
        inner.events += 1;
        Event {
            id: format!("evt_{}_{}", inner.events, random_hex(8)),
            kind,
            created: now(),
            payment,
        }
    }

    /// What the hosted page shows.
    pub(crate) fn page(&self, id: &str) -> Option<PageView> {
        let mut inner = self.lock();
        let entry = inner.payments.get_mut(id)?;
        if entry.payment.status == PaymentStatus::Pending && now() > entry.expires_at {
            entry.payment.status = PaymentStatus::Expired;
        }
        Some(PageView {
            payment: entry.payment.clone(),
            description: entry.description.clone(),
            return_url: entry.return_url.clone(),
        })
    }

    /// Records a card attempt on the page: captured once, or a failure the buyer may try
    /// again after. Returns the payment and the event to send (none when nothing changed).
    pub(crate) fn attempt(&self, id: &str, outcome: Outcome) -> Option<(PageView, Option<Event>)> {
        let mut inner = self.lock();
        let entry = inner.payments.get_mut(id)?;
        if entry.payment.status != PaymentStatus::Pending || now() > entry.expires_at {
            drop(inner);
            return self.page(id).map(|v| (v, None));
        }
        let kind = match outcome {
            Outcome::Paid {
                brand,
                last4,
                exp_month,
                exp_year,
            } => {
                entry.payment.status = PaymentStatus::Captured;
                entry.payment.last_failure = None;
                entry.payment.card = Some(Card {
                    brand: brand.to_owned(),
                    last4,
                    exp_month,
                    exp_year,
                    token: format!("tok_{}", random_hex(12)),
                });
                EventKind::PaymentCaptured
            }
            Outcome::Declined(code) => {
                entry.payment.last_failure = Some(code.to_owned());
                EventKind::PaymentFailed
            }
        };
        let view = PageView {
            payment: entry.payment.clone(),
            description: entry.description.clone(),
            return_url: entry.return_url.clone(),
        };
        let event = Self::event(&mut inner, kind, view.payment.clone());
        Some((view, Some(event)))
    }

    /// Where a merchant's webhooks go.
    pub fn webhook_url(&self, merchant: &str) -> Option<String> {
        self.lock()
            .merchants
            .get(merchant)
            .map(|m| m.webhook_url.clone())
    }

    /// Sends `event` to its merchant's webhook address, in the background.
    pub(crate) fn notify(self: &Arc<Self>, event: Event) {
        crate::webhooks::deliver(self.clone(), event);
    }
}

fn not_found() -> SimError {
    SimError::new(
        StatusCode::NOT_FOUND,
        "payment.not_found",
        "No such payment for this merchant.",
    )
}
