//! Marketing consent and newsletters: the storefront asks for, confirms and withdraws
//! subscriptions; the inbound relay hands over mail to the unsubscribe address; the
//! console sends newsletters and sees how many subscribers there are.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use platform_orders_api::{
    ConfirmRequest, NewNewsletter, NewsletterSummary, Newsletters, Subscribe, Unsubscribe,
    UnsubscribeMail,
};
use platform_web::{JsonBody, PathParams};

use crate::app::Orders;
use crate::error::OrdersError;

/// Consent routes.
pub fn router() -> Router<Orders> {
    Router::new()
        .route("/v1/shops/{tenant}/subscriptions", post(subscribe))
        .route(
            "/v1/shops/{tenant}/subscriptions/confirmations",
            post(confirm),
        )
        .route(
            "/v1/shops/{tenant}/subscriptions/withdrawals",
            post(withdraw),
        )
        .route("/v1/unsubscribe-mail", post(by_mail))
        .route(
            "/v1/shops/{tenant}/newsletters",
            get(newsletters).post(send),
        )
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn subscribe(
    State(orders): State<Orders>,
    PathParams(tenant): PathParams<String>,
    JsonBody(body): JsonBody<Subscribe>,
) -> Result<StatusCode, OrdersError> {
    let tenant = super::tenant(&tenant)?;
    orders.subscribe(tenant, body).await?;
    Ok(StatusCode::ACCEPTED)
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn confirm(
    State(orders): State<Orders>,
    PathParams(tenant): PathParams<String>,
    JsonBody(body): JsonBody<ConfirmRequest>,
) -> Result<StatusCode, OrdersError> {
    let tenant = super::tenant(&tenant)?;
    orders.confirm_subscription(tenant, &body.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn withdraw(
    State(orders): State<Orders>,
    PathParams(tenant): PathParams<String>,
    JsonBody(body): JsonBody<Unsubscribe>,
) -> Result<StatusCode, OrdersError> {
    let tenant = super::tenant(&tenant)?;
    orders.unsubscribe(tenant, body).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[tracing::instrument(skip_all)]
async fn by_mail(
    State(orders): State<Orders>,
    JsonBody(body): JsonBody<UnsubscribeMail>,
) -> Result<StatusCode, OrdersError> {
    orders.unsubscribe_by_mail(body).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn newsletters(
    State(orders): State<Orders>,
    PathParams(tenant): PathParams<String>,
) -> Result<Json<Newsletters>, OrdersError> {
    let tenant = super::tenant(&tenant)?;
    Ok(Json(orders.newsletters(tenant).await?))
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn send(
    State(orders): State<Orders>,
    PathParams(tenant): PathParams<String>,
    JsonBody(body): JsonBody<NewNewsletter>,
) -> Result<(StatusCode, Json<NewsletterSummary>), OrdersError> {
    let tenant = super::tenant(&tenant)?;
    Ok((
        StatusCode::CREATED,
        Json(orders.send_newsletter(tenant, body).await?),
    ))
}
