//! What SRE works with (O8, O23): health, readiness and aggregate figures across shops,
//! never a class of personal data and never a shop's rows. The figures are counts of the
//! platform's own records (shops by status, platform staff by role, open sessions), taken
//! without naming any operator, so no grant is visible to the query either.

use serde::Serialize;
use utoipa::ToSchema;

use crate::app::AppState;
use crate::db;
use crate::error::ApiError;

/// A count with its label.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Count {
    /// What is counted.
    pub label: String,
    /// How many.
    pub count: i64,
}

/// The platform's aggregate figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Metrics {
    /// The database answers.
    pub database: bool,
    /// Shops by status.
    pub shops: Vec<Count>,
    /// Platform staff by role.
    pub staff_roles: Vec<Count>,
    /// Platform staff sessions active in the last 30 minutes.
    pub open_sessions: i64,
}

fn counts(c: db::metrics::Counts) -> Vec<Count> {
    c.into_iter()
        .map(|(label, count)| Count { label, count })
        .collect()
}

/// The figures now.
pub async fn now(
    state: &AppState,
    operator: &crate::app::operator::Operator,
) -> Result<Metrics, ApiError> {
    let mut tx = state.db.platform().await?;
    let used: Vec<&str> = operator
        .roles
        .iter()
        .filter(|r| matches!(r, platform_domain::PlatformRole::Sre))
        .map(platform_domain::PlatformRole::as_str)
        .collect();
    db::staff::touch_roles(&mut tx, operator.id, &used, state.clock.now()).await?;
    let metrics = Metrics {
        database: true,
        shops: counts(db::metrics::shops(&mut tx).await?),
        staff_roles: counts(db::metrics::staff_roles(&mut tx).await?),
        open_sessions: db::metrics::open_sessions(&mut tx).await?,
    };
    tx.commit().await?;
    Ok(metrics)
}
