//! The scheduled worker: back up and prune every shop, every interval, until stopped.

use chrono::Utc;

use crate::Backups;

/// Every interval: back up every active tenant, then prune it. A failing tenant is
/// logged and does not stop the others. `shutdown` stops the worker at once, also in the
/// middle of a run: an upload cut short has no manifest, so it never counts as a backup,
/// and the next prune removes it.
pub async fn run(backups: &Backups, interval_secs: u64, shutdown: impl Future<Output = ()>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(interval_secs.max(60)));
    let mut stop = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = &mut stop => return,
        }
        tokio::select! {
            () = run_all(backups) => {}
            () = &mut stop => {
                tracing::info!("stopping in the middle of a run");
                return;
            }
        }
    }
}

/// Backs up and prunes every active tenant once.
async fn run_all(backups: &Backups) {
    let tenants = match backups.active_tenants().await {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(code = e.code(), error = %e, "listing tenants failed");
            return;
        }
    };
    for tenant in tenants {
        if let Err(e) = backups.run(tenant).await {
            tracing::error!(tenant_id = %tenant, code = e.code(), error = %e, "scheduled backup failed");
            continue;
        }
        if let Err(e) = backups.prune(tenant, Utc::now(), false).await {
            tracing::error!(tenant_id = %tenant, code = e.code(), error = %e, "scheduled prune failed");
        }
    }
}

/// Seals the shops' audit chain heads every `secs` (O22): the checkpointer decides per
/// shop whether enough events or time passed.
pub async fn seal_forever(
    db: platform_tenancy::TenantDb,
    checkpointer: platform_audit::Checkpointer<platform_audit::S3Checkpoints>,
    secs: u64,
) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(secs.max(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match checkpointer.run(&db, Utc::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(checkpoints = n, "audit chains sealed"),
            Err(e) => tracing::error!(error = &e as &dyn std::error::Error, "audit sealing failed"),
        }
    }
}

/// Every `check_secs`: closes the shops whose closure is due, mails the certificates not
/// sent yet, and deletes the expired backups of closed shops. A failing shop is logged and
/// does not stop the others.
pub async fn close_forever(backups: Backups, closing: crate::Closing) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(closing.check_secs.max(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        close_due(&backups, &closing).await;
    }
}

/// One pass of [`close_forever`].
pub async fn close_due(backups: &Backups, closing: &crate::Closing) {
    let now = Utc::now();
    match backups.due_closures(now).await {
        Ok(due) => {
            for tenant in due {
                if let Err(e) = backups.close(tenant, now, &closing.key).await {
                    tracing::error!(tenant_id = %tenant, code = e.code(), error = %e, "closing a shop failed");
                }
            }
        }
        Err(e) => tracing::error!(code = e.code(), error = %e, "listing due closures failed"),
    }
    if let Some(mailer) = &closing.mailer
        && let Err(e) = backups.send_certificates(mailer).await
    {
        tracing::error!(code = e.code(), error = %e, "mailing deletion certificates failed");
    }
    if let Err(e) = backups.prune_closed(now).await {
        tracing::error!(code = e.code(), error = %e, "pruning closed shops' backups failed");
    }
}
