//! Newsletters (O17) as the merchant sends them, through the orders service that keeps
//! the subscriptions: how many people are subscribed (never who), the newsletters sent
//! and how their copies fared, and a new one to every confirmed subscriber. Owners and
//! catalog managers send; each send is written to the audit log.

use platform_domain::Permission;
use platform_orders_api::{NewNewsletter, NewsletterSummary, Newsletters};

use crate::app::AppState;
use crate::app::audit::{self, Entry};
use crate::app::orders::{client, failed, require};
use crate::app::staff::Staff;
use crate::error::ApiError;

/// Subscriber counts and the newsletters sent.
pub async fn overview(state: &AppState, staff: &Staff) -> Result<Newsletters, ApiError> {
    require(staff, Permission::SendNewsletter)?;
    client(state)?
        .newsletters(staff.tenant)
        .await
        .map_err(failed)
}

/// Sends a newsletter to every confirmed subscriber, then logs who sent it.
pub async fn send(
    state: &AppState,
    staff: &Staff,
    subject: &str,
    body: &str,
) -> Result<NewsletterSummary, ApiError> {
    require(staff, Permission::SendNewsletter)?;
    let sent = client(state)?
        .send_newsletter(
            staff.tenant,
            &NewNewsletter {
                subject: subject.to_owned(),
                body: body.to_owned(),
                staff_id: staff.staff_id,
            },
        )
        .await
        .map_err(failed)?;
    audit::record_read(
        state,
        staff,
        Entry {
            action: "newsletter.send",
            objects: vec![format!("newsletter:{}", sent.id)],
            classes: Vec::new(),
            purpose: "newsletter to confirmed subscribers",
        },
    )
    .await?;
    Ok(sent)
}
