//! What the console writes to the shop's audit log (O22): every read of personal data by
//! a member of staff (one event per page or export, naming the objects and the classes
//! shown) and every change, with the person and the roles they acted in.

use platform_audit::{Event, append};
use platform_domain::DataClass;
use platform_tenancy::TenantTx;

use crate::app::AppState;
use crate::app::staff::Staff;
use crate::db;
use crate::error::ApiError;

/// One event to record.
pub struct Entry<'a> {
    /// `area.verb`.
    pub action: &'a str,
    /// `kind:id` of each object.
    pub objects: Vec<String>,
    /// The classes of personal data shown.
    pub classes: Vec<DataClass>,
    /// Why.
    pub purpose: &'a str,
}

/// Appends `entry` by `staff` in `tx` (a change commits with its event); a read of
/// personal data also moves the member's "last read" for the access review.
pub async fn record(
    state: &AppState,
    tx: &mut TenantTx,
    staff: &Staff,
    entry: Entry<'_>,
) -> Result<(), ApiError> {
    if !entry.classes.is_empty() {
        db::staff::mark_pii_read(tx, staff.staff_id, state.clock.now()).await?;
    }
    record_as(state, tx, staff.actor(), staff.request_id.clone(), entry).await
}

/// Appends `entry` by any actor (the platform itself for scheduled work).
pub async fn record_as(
    state: &AppState,
    tx: &mut TenantTx,
    actor: platform_audit::Actor,
    request_id: Option<String>,
    entry: Entry<'_>,
) -> Result<(), ApiError> {
    append(
        tx,
        state.clock.now(),
        &Event {
            actor,
            action: entry.action.to_owned(),
            objects: entry.objects,
            classes: entry.classes,
            purpose: entry.purpose.to_owned(),
            request_id,
        },
    )
    .await?;
    Ok(())
}

/// Records an event in its own transaction. For a read, call it before the data is shown:
/// if the event cannot be written, nothing is shown; for a change made through another
/// service (orders), call it once that service has answered.
pub async fn record_read(
    state: &AppState,
    staff: &Staff,
    entry: Entry<'_>,
) -> Result<(), ApiError> {
    let mut tx = state.db.begin(staff.tenant).await?;
    record(state, &mut tx, staff, entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Which events an owner looks at, as typed in the filter form (empty means any).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct LogQuery {
    /// Only this member's (staff id).
    pub staff: Option<String>,
    /// Only events naming this object (`order:<uuid>`, `staff:<uuid>`).
    pub object: Option<String>,
    /// From this day on (`2026-12-01`, UTC).
    pub from: Option<String>,
    /// Up to and including this day.
    pub until: Option<String>,
    /// Events before this position (the next page).
    pub before: Option<String>,
}

fn given(text: &Option<String>) -> Option<&str> {
    text.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

impl LogQuery {
    /// The member asked for, if any.
    pub fn staff_id(&self) -> Option<uuid::Uuid> {
        given(&self.staff).and_then(|s| s.parse().ok())
    }

    pub(crate) fn filter(&self, limit: Option<i64>) -> Result<platform_audit::Filter, ApiError> {
        let bad = |what: &'static str| {
            ApiError::Invalid(platform_domain::Invalid::new("audit.filter_invalid", what))
        };
        let day = |text: &Option<String>| -> Result<Option<chrono::NaiveDate>, ApiError> {
            given(text)
                .map(|t| t.parse::<chrono::NaiveDate>())
                .transpose()
                .map_err(|_| bad("Dates look like 2026-12-01."))
        };
        let midnight = |d: chrono::NaiveDate| d.and_time(chrono::NaiveTime::MIN).and_utc();
        Ok(platform_audit::Filter {
            actor: given(&self.staff)
                .map(|s| s.parse::<uuid::Uuid>())
                .transpose()
                .map_err(|_| bad("Choose a member from the list."))?,
            object: given(&self.object).map(str::to_owned),
            from: day(&self.from)?.map(midnight),
            until: day(&self.until)?.and_then(|d| d.succ_opt()).map(midnight),
            before_seq: given(&self.before)
                .map(|b| b.parse::<i64>())
                .transpose()
                .map_err(|_| bad("That page does not exist."))?,
            limit,
        })
    }
}

/// A page of the log, newest first, with the members' emails to name actors by.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct LogPage {
    /// Events, newest first.
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<platform_audit::Record>,
    /// The next page's `before`, when there is one.
    pub next_before: Option<i64>,
    /// Staff id → login email, for the actors still on the staff.
    pub names: std::collections::BTreeMap<uuid::Uuid, String>,
}

/// Events on one page.
const PAGE: i64 = 100;

/// A page of the shop's audit log (owners); looking is itself logged.
pub async fn log(state: &AppState, staff: &Staff, query: &LogQuery) -> Result<LogPage, ApiError> {
    crate::app::orders::require(staff, platform_domain::Permission::ManageStaff)?;
    let mut tx = state.db.begin(staff.tenant).await?;
    let events = platform_audit::list(&mut tx, &query.filter(Some(PAGE + 1))?).await?;
    let more = events.len() as i64 > PAGE;
    let events: Vec<_> = events.into_iter().take(PAGE as usize).collect();
    let team = crate::app::team::team_in(state, &mut tx, Some(staff.staff_id)).await?;
    record(
        state,
        &mut tx,
        staff,
        Entry {
            action: "audit.view",
            objects: Vec::new(),
            classes: vec![DataClass::Account],
            purpose: "access monitoring",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(LogPage {
        next_before: if more {
            events.last().map(|e| e.seq)
        } else {
            None
        },
        names: team
            .members
            .into_iter()
            .map(|m| (m.staff_id.as_uuid(), m.email))
            .collect(),
        events,
    })
}

/// Every event matching `query`, oldest first, for an export (logged as one).
pub async fn export(
    state: &AppState,
    staff: &Staff,
    query: &LogQuery,
) -> Result<Vec<platform_audit::Record>, ApiError> {
    crate::app::orders::require(staff, platform_domain::Permission::ManageStaff)?;
    crate::app::staff::require_fresh(state, staff)?;
    let mut tx = state.db.begin(staff.tenant).await?;
    let events = platform_audit::list(
        &mut tx,
        &LogQuery {
            before: None,
            ..query.clone()
        }
        .filter(None)?,
    )
    .await?;
    record(
        state,
        &mut tx,
        staff,
        Entry {
            action: "audit.export",
            objects: Vec::new(),
            classes: vec![DataClass::Account],
            purpose: "access monitoring",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(events)
}

/// The export as CSV: one line per event, lists joined with spaces.
pub fn to_csv(events: &[platform_audit::Record]) -> Result<Vec<u8>, ApiError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "seq",
        "at",
        "actor_kind",
        "actor_id",
        "actor_roles",
        "actor_entity",
        "action",
        "objects",
        "classes",
        "purpose",
        "request_id",
        "prev_hash",
        "hash",
    ])?;
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    for e in events {
        let kind = serde_json::to_value(e.actor.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        w.write_record([
            e.seq.to_string(),
            e.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            kind,
            e.actor.id.map(|i| i.to_string()).unwrap_or_default(),
            e.actor.roles.join(" "),
            e.actor.entity.clone().unwrap_or_default(),
            e.action.clone(),
            e.objects.join(" "),
            e.classes
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            e.purpose.clone(),
            e.request_id.clone().unwrap_or_default(),
            hex(&e.prev_hash),
            hex(&e.hash),
        ])?;
    }
    w.into_inner()
        .map_err(|e| ApiError::Csv(e.into_error().into()))
}
