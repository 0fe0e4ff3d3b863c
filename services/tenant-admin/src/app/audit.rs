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

/// Records a read in its own transaction, before the data is shown: if the event cannot
/// be written, nothing is shown.
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
