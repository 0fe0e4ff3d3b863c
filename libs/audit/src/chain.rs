//! Events, their hashes and the chain they form.

use chrono::{DateTime, Utc};
use platform_domain::DataClass;
use platform_tenancy::{TenantId, TenantTx};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;
use uuid::Uuid;

use crate::AuditError;

/// The `prev_hash` of a shop's first event.
pub const GENESIS: [u8; 32] = [0; 32];

/// Most objects one event may name (a larger export writes several events).
const MAX_OBJECTS: usize = 5000;

/// Who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// A member of the shop's staff.
    Staff,
    /// A member of the platform's staff, under a grant.
    Platform,
    /// The platform itself (a sweep, a scheduled job).
    System,
}

impl ActorKind {
    fn as_str(self) -> &'static str {
        match self {
            ActorKind::Staff => "staff",
            ActorKind::Platform => "platform",
            ActorKind::System => "system",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "staff" => Some(ActorKind::Staff),
            "platform" => Some(ActorKind::Platform),
            "system" => Some(ActorKind::System),
            _ => None,
        }
    }
}

/// Who acted, with the roles they acted in: the person, never a service account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// Staff, platform staff or the platform.
    pub kind: ActorKind,
    /// The person's id (none for the platform itself).
    pub id: Option<Uuid>,
    /// The roles held when acting.
    pub roles: Vec<String>,
    /// A platform actor's employing entity (none for shop staff and the platform).
    pub entity: Option<String>,
}

impl Actor {
    /// A member of the shop's staff holding `roles`.
    pub fn staff(id: Uuid, roles: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Actor {
            kind: ActorKind::Staff,
            id: Some(id),
            roles: roles.into_iter().map(Into::into).collect(),
            entity: None,
        }
    }

    /// A member of the platform's staff, named by their stable pseudonym (never their
    /// account id or name), acting in `role` for `entity`, their employer.
    pub fn operator(pseudonym: Uuid, role: impl Into<String>, entity: impl Into<String>) -> Self {
        Actor {
            kind: ActorKind::Platform,
            id: Some(pseudonym),
            roles: vec![role.into()],
            entity: Some(entity.into()),
        }
    }

    /// The platform itself.
    pub fn system() -> Self {
        Actor {
            kind: ActorKind::System,
            id: None,
            roles: Vec::new(),
            entity: None,
        }
    }
}

/// What happened, before it is appended.
#[derive(Debug, Clone)]
pub struct Event {
    /// Who.
    pub actor: Actor,
    /// What, as `area.verb` (`order.view`, `staff.invite`).
    pub action: String,
    /// The objects touched, as `kind:id` (`order:<uuid>`); never a personal value.
    pub objects: Vec<String>,
    /// The classes of personal data revealed to the actor (empty for a change that
    /// showed nothing).
    pub classes: Vec<DataClass>,
    /// Why (the job: `fulfilment`, `refund`, `staff administration`).
    pub purpose: String,
    /// The request that did it, to find it in traces.
    pub request_id: Option<String>,
}

impl Event {
    fn check(&self) -> Result<(), AuditError> {
        let word =
            |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        let mut parts = self.action.split('.');
        if !(parts.clone().count() >= 2 && parts.all(word)) {
            return Err(AuditError::Invalid("action must be area.verb"));
        }
        if self.objects.len() > MAX_OBJECTS
            || !self.objects.iter().all(|o| {
                o.len() <= 100
                    && o.split_once(':').is_some_and(|(k, id)| {
                        word(k)
                            && !id.is_empty()
                            && id
                                .bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                    })
            })
        {
            return Err(AuditError::Invalid("objects must be kind:id"));
        }
        if self.purpose.is_empty() || self.purpose.len() > 200 {
            return Err(AuditError::Invalid("purpose must be 1 to 200 bytes"));
        }
        if self.request_id.as_ref().is_some_and(|r| r.len() > 100) {
            return Err(AuditError::Invalid("request id too long"));
        }
        Ok(())
    }
}

/// An event as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// Position in the shop's chain, from 1.
    pub seq: i64,
    /// When (microseconds).
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: Actor,
    /// What.
    pub action: String,
    /// The objects touched.
    pub objects: Vec<String>,
    /// The classes revealed.
    pub classes: Vec<DataClass>,
    /// Why.
    pub purpose: String,
    /// The request.
    pub request_id: Option<String>,
    /// The previous event's hash (hex in JSON).
    #[serde(serialize_with = "hex_bytes")]
    pub prev_hash: Vec<u8>,
    /// This event's hash.
    #[serde(serialize_with = "hex_bytes")]
    pub hash: Vec<u8>,
}

fn hex_bytes<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    s.serialize_str(&out)
}

impl Record {
    /// The hash this record's fields and `prev_hash` give (equal to `hash` unless the row
    /// was changed).
    pub fn computed_hash(&self, tenant: TenantId) -> [u8; 32] {
        digest(Fields {
            tenant,
            seq: self.seq,
            at: self.at,
            actor: &self.actor,
            action: &self.action,
            objects: &self.objects,
            classes: &self.classes,
            purpose: &self.purpose,
            request_id: self.request_id.as_deref(),
            prev_hash: &self.prev_hash,
        })
    }
}

struct Fields<'a> {
    tenant: TenantId,
    seq: i64,
    at: DateTime<Utc>,
    actor: &'a Actor,
    action: &'a str,
    objects: &'a [String],
    classes: &'a [DataClass],
    purpose: &'a str,
    request_id: Option<&'a str>,
    prev_hash: &'a [u8],
}

/// SHA-256 over every field, each length-prefixed so that no two different events
/// encode alike.
fn digest(f: Fields<'_>) -> [u8; 32] {
    fn put(h: &mut Sha256, bytes: &[u8]) {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    }
    fn list<'a>(h: &mut Sha256, items: impl ExactSizeIterator<Item = &'a str>) {
        h.update((items.len() as u64).to_be_bytes());
        for i in items {
            put(h, i.as_bytes());
        }
    }
    let mut h = Sha256::new();
    put(&mut h, b"platform-audit/v1");
    put(&mut h, f.tenant.as_uuid().as_bytes());
    put(&mut h, &f.seq.to_be_bytes());
    put(&mut h, &f.at.timestamp_micros().to_be_bytes());
    put(&mut h, f.actor.kind.as_str().as_bytes());
    put(
        &mut h,
        f.actor.id.as_ref().map_or(&[][..], |id| id.as_bytes()),
    );
    list(&mut h, f.actor.roles.iter().map(String::as_str));
    // Only platform actors have an employer, so the kind (hashed above) fixes whether
    // this field is present: no two events encode alike.
    if f.actor.kind == ActorKind::Platform {
        put(&mut h, f.actor.entity.as_deref().unwrap_or("").as_bytes());
    }
    put(&mut h, f.action.as_bytes());
    list(&mut h, f.objects.iter().map(String::as_str));
    list(&mut h, f.classes.iter().map(|c| c.as_str()));
    put(&mut h, f.purpose.as_bytes());
    match f.request_id {
        None => h.update([0]),
        Some(r) => {
            h.update([1]);
            put(&mut h, r.as_bytes());
        }
    }
    put(&mut h, f.prev_hash);
    h.finalize().into()
}

/// Where an append left the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// The new event's position.
    pub seq: i64,
    /// Its hash: the chain's new head.
    pub hash: [u8; 32],
}

/// The shop's chain head: the last event's position and hash (`(0, GENESIS)` when empty).
pub async fn head(tx: &mut TenantTx) -> Result<(i64, [u8; 32]), AuditError> {
    let row = sqlx::query(
        "select seq, hash from audit.events where tenant_id = $1 order by seq desc limit 1",
    )
    .bind(tx.tenant())
    .fetch_optional(&mut *tx)
    .await?;
    match row {
        None => Ok((0, GENESIS)),
        Some(row) => {
            let hash: Vec<u8> = row.try_get("hash")?;
            Ok((
                row.try_get("seq")?,
                hash.try_into()
                    .map_err(|_| AuditError::Invalid("stored hash"))?,
            ))
        }
    }
}

/// Appends `event` at `at` to the shop's chain, in the caller's transaction: it commits
/// or rolls back with what it records. Appends of one shop queue on its advisory lock.
#[tracing::instrument(name = "audit.append", skip_all, fields(tenant_id = %tx.tenant(), action = %event.action))]
pub async fn append(
    tx: &mut TenantTx,
    at: DateTime<Utc>,
    event: &Event,
) -> Result<Appended, AuditError> {
    event.check()?;
    // Stored with microsecond precision: hash what will be read back.
    let at = DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at);
    sqlx::query("select pg_advisory_xact_lock(hashtextextended('audit.events:' || $1::text, 0))")
        .bind(tx.tenant())
        .execute(&mut *tx)
        .await?;
    let (last, prev) = head(tx).await?;
    let seq = last + 1;
    let hash = digest(Fields {
        tenant: tx.tenant(),
        seq,
        at,
        actor: &event.actor,
        action: &event.action,
        objects: &event.objects,
        classes: &event.classes,
        purpose: &event.purpose,
        request_id: event.request_id.as_deref(),
        prev_hash: &prev,
    });
    let classes: Vec<&str> = event.classes.iter().map(|c| c.as_str()).collect();
    sqlx::query(
        "insert into audit.events (tenant_id, seq, at, actor_kind, actor_id, actor_roles, \
         actor_entity, action, objects, classes, purpose, request_id, prev_hash, hash) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(tx.tenant())
    .bind(seq)
    .bind(at)
    .bind(event.actor.kind.as_str())
    .bind(event.actor.id)
    .bind(&event.actor.roles)
    .bind(&event.actor.entity)
    .bind(&event.action)
    .bind(&event.objects)
    .bind(&classes)
    .bind(&event.purpose)
    .bind(&event.request_id)
    .bind(&prev[..])
    .bind(&hash[..])
    .execute(&mut *tx)
    .await?;
    Ok(Appended { seq, hash })
}

/// Which events to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this actor's.
    pub actor: Option<Uuid>,
    /// Only events naming this object (`order:<uuid>`).
    pub object: Option<String>,
    /// From this time on.
    pub from: Option<DateTime<Utc>>,
    /// Before this time.
    pub until: Option<DateTime<Utc>>,
    /// Only events before this position (paging, newest first).
    pub before_seq: Option<i64>,
    /// At most this many (`None`: all, oldest first, for verification and exports).
    pub limit: Option<i64>,
}

fn record(row: &sqlx::postgres::PgRow) -> Result<Record, AuditError> {
    let kind: String = row.try_get("actor_kind")?;
    let classes: Vec<String> = row.try_get("classes")?;
    Ok(Record {
        seq: row.try_get("seq")?,
        at: row.try_get("at")?,
        actor: Actor {
            kind: ActorKind::parse(&kind).ok_or(AuditError::Invalid("stored actor kind"))?,
            id: row.try_get("actor_id")?,
            roles: row.try_get("actor_roles")?,
            entity: row.try_get("actor_entity")?,
        },
        action: row.try_get("action")?,
        objects: row.try_get("objects")?,
        classes: classes
            .iter()
            .map(|c| DataClass::parse(c).ok_or(AuditError::Invalid("stored class")))
            .collect::<Result<_, _>>()?,
        purpose: row.try_get("purpose")?,
        request_id: row.try_get("request_id")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// The shop's events matching `filter`: newest first with a limit, else every match
/// oldest first.
pub async fn list(tx: &mut TenantTx, filter: &Filter) -> Result<Vec<Record>, AuditError> {
    let rows = sqlx::query(
        "select seq, at, actor_kind, actor_id, actor_roles, actor_entity, action, objects, \
                classes, purpose, request_id, prev_hash, hash \
           from audit.events \
          where tenant_id = $1 \
            and ($2::uuid is null or actor_id = $2) \
            and ($3::text is null or objects @> array[$3::text]) \
            and ($4::timestamptz is null or at >= $4) \
            and ($5::timestamptz is null or at < $5) \
            and ($6::int8 is null or seq < $6) \
          order by case when $7::int8 is null then seq else -seq end \
          limit $7",
    )
    .bind(tx.tenant())
    .bind(filter.actor)
    .bind(&filter.object)
    .bind(filter.from)
    .bind(filter.until)
    .bind(filter.before_seq)
    .bind(filter.limit)
    .fetch_all(&mut *tx)
    .await?;
    rows.iter().map(record).collect()
}
