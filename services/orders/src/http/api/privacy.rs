//! Data-subject requests: the storefront submits and confirms them and fetches exports;
//! the merchant console lists, reads and answers them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use platform_orders_api::{
    CertificateKey, ConfirmRequest, ConfirmedRequest, CorrectOrder, ErrorCode, ExportView,
    ExtendRequest, OpenRequest, OrderId, PolicyNotices, PolicyNoticesQueued, RequestAction,
    RequestDetail, RequestId, RequestList, RequestSummary, RetentionCounts, RetentionRun,
    ShopOrders, SubmitRequest,
};
use platform_web::{JsonBody, PathParams};

use crate::app::Orders;
use crate::error::OrdersError;

/// Request routes.
pub fn router() -> Router<Orders> {
    Router::new()
        .route("/v1/certificate-key", get(certificate_key))
        .route(
            "/v1/shops/{tenant}/privacy/requests",
            get(list).post(submit),
        )
        .route("/v1/shops/{tenant}/privacy/requests/on-behalf", post(open))
        .route("/v1/shops/{tenant}/privacy/confirmations", post(confirm))
        .route("/v1/shops/{tenant}/privacy/exports/open", post(export))
        .route("/v1/shops/{tenant}/privacy/requests/{id}", get(detail))
        .route("/v1/shops/{tenant}/privacy/requests/{id}/{step}", post(act))
        .route(
            "/v1/shops/{tenant}/orders/{order}/correction",
            post(correct),
        )
        .route("/v1/shops/{tenant}/retention", post(retention))
        .route("/v1/shops/{tenant}/export/orders", get(shop_orders))
        .route("/v1/shops/{tenant}/policy-notices", post(policy_notices))
}

fn request_id(text: &str) -> Result<RequestId, OrdersError> {
    text.parse()
        .map_err(|_| OrdersError::refused(ErrorCode::MalformedId, "The request id is malformed."))
}

async fn certificate_key(State(orders): State<Orders>) -> Json<CertificateKey> {
    Json(orders.certificate_key())
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn submit(
    State(orders): State<Orders>,
    PathParams(tenant): PathParams<String>,
    JsonBody(body): JsonBody<SubmitRequest>,
) -> Result<StatusCode, OrdersError> {
    let tenant = super::tenant(&tenant)?;
    orders.submit_request(tenant, body).await?;
    Ok(StatusCode::ACCEPTED)
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn confirm(
    State(orders): State<Orders>,
    PathParams(tenant): PathParams<String>,
    JsonBody(body): JsonBody<ConfirmRequest>,
) -> Result<Json<ConfirmedRequest>, OrdersError> {
    let tenant = super::tenant(&tenant)?;
    Ok(Json(orders.confirm_request(tenant, &body.token).await?))
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn export(
    State(orders): State<Orders>,
    PathParams(tenant): PathParams<String>,
    JsonBody(body): JsonBody<ConfirmRequest>,
) -> Result<Json<ExportView>, OrdersError> {
    let tenant = super::tenant(&tenant)?;
    Ok(Json(orders.export_by_token(tenant, &body.token).await?))
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn list(
    State(orders): State<Orders>,
    PathParams(tenant): PathParams<String>,
) -> Result<Json<RequestList>, OrdersError> {
    let tenant = super::tenant(&tenant)?;
    Ok(Json(orders.requests(tenant).await?))
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn open(
    State(orders): State<Orders>,
    PathParams(tenant): PathParams<String>,
    JsonBody(body): JsonBody<OpenRequest>,
) -> Result<(StatusCode, Json<RequestSummary>), OrdersError> {
    let tenant = super::tenant(&tenant)?;
    Ok((
        StatusCode::CREATED,
        Json(orders.open_request(tenant, body).await?),
    ))
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn detail(
    State(orders): State<Orders>,
    PathParams((tenant, id)): PathParams<(String, String)>,
) -> Result<Json<RequestDetail>, OrdersError> {
    let tenant = super::tenant(&tenant)?;
    Ok(Json(orders.request(tenant, request_id(&id)?).await?))
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant, step = %step))]
async fn act(
    State(orders): State<Orders>,
    PathParams((tenant, id, step)): PathParams<(String, String, String)>,
    JsonBody(body): JsonBody<serde_json::Value>,
) -> Result<Json<RequestDetail>, OrdersError> {
    let tenant = super::tenant(&tenant)?;
    let id = request_id(&id)?;
    let shape = |e: serde_json::Error| {
        OrdersError::refused(
            ErrorCode::RequestInvalid,
            format!("The body is not valid: {e}"),
        )
    };
    if step == "extend" {
        let body: ExtendRequest = serde_json::from_value(body).map_err(shape)?;
        return Ok(Json(orders.extend_request(tenant, id, body).await?));
    }
    let action: RequestAction = serde_json::from_value(body).map_err(shape)?;
    Ok(Json(match step.as_str() {
        "export" => orders.send_export(tenant, id, action).await?,
        "erase" => orders.erase_request(tenant, id, action).await?,
        "complete" => orders.complete_correction(tenant, id, action).await?,
        "refuse" => orders.refuse_request(tenant, id, action).await?,
        _ => {
            return Err(OrdersError::refused(
                ErrorCode::RequestNotFound,
                "There is no such step: export, erase, complete, refuse or extend.",
            ));
        }
    }))
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn correct(
    State(orders): State<Orders>,
    PathParams((tenant, order)): PathParams<(String, String)>,
    JsonBody(body): JsonBody<CorrectOrder>,
) -> Result<StatusCode, OrdersError> {
    let tenant = super::tenant(&tenant)?;
    let order: OrderId = order
        .parse()
        .map_err(|_| OrdersError::refused(ErrorCode::MalformedId, "The order id is malformed."))?;
    orders.correct_order(tenant, order, body).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn retention(
    State(orders): State<Orders>,
    PathParams(tenant): PathParams<String>,
    JsonBody(body): JsonBody<RetentionRun>,
) -> Result<Json<RetentionCounts>, OrdersError> {
    let tenant = super::tenant(&tenant)?;
    Ok(Json(orders.retention(tenant, body).await?))
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn shop_orders(
    State(orders): State<Orders>,
    PathParams(tenant): PathParams<String>,
) -> Result<Json<ShopOrders>, OrdersError> {
    let tenant = super::tenant(&tenant)?;
    Ok(Json(orders.shop_orders(tenant).await?))
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn policy_notices(
    State(orders): State<Orders>,
    PathParams(tenant): PathParams<String>,
    JsonBody(body): JsonBody<PolicyNotices>,
) -> Result<(StatusCode, Json<PolicyNoticesQueued>), OrdersError> {
    let tenant = super::tenant(&tenant)?;
    let queued = orders.policy_notices(tenant, body.version).await?;
    Ok((StatusCode::ACCEPTED, Json(PolicyNoticesQueued { queued })))
}
