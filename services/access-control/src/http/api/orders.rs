//! A shop's orders under the caller's active grant.

use axum::Json;
use axum::extract::State;
use platform_auth::extract::RequireRole;
use platform_web::{ErrorBody, PathParams, QueryParams};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::Paging;
use crate::app::AppState;
use crate::app::operator::Operator;
use crate::app::orders::{self, SeenOrder, SeenPage};
use crate::error::ApiError;
use crate::http::auth::Requester;

/// Routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(detail))
}

/// `GET /api/v1/shops/{shop}/orders`: newest first, masked outside the grant's classes,
/// logged in the shop's audit log.
#[utoipa::path(get, path = "/api/v1/shops/{shop}/orders", tag = "orders",
    params(("shop" = Uuid, Path, description = "The shop's id"), ("before" = Option<i64>, Query, description = "Orders numbered below this")),
    responses((status = 200, body = SeenPage), (status = 400, description = "Malformed query", body = ErrorBody), (status = 401, description = "No session", body = ErrorBody),
        (status = 403, description = "No active grant for this shop, or a role that asks for none", body = ErrorBody),
        (status = 404, description = "Not a shop id", body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    RequireRole(op, _): RequireRole<Requester, Operator>,
    PathParams(shop): PathParams<Uuid>,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Json<SeenPage>, ApiError> {
    Ok(Json(orders::list(&state, &op, shop, paging.before).await?))
}

/// `GET /api/v1/shops/{shop}/orders/{id}`.
#[utoipa::path(get, path = "/api/v1/shops/{shop}/orders/{id}", tag = "orders",
    params(("shop" = Uuid, Path, description = "The shop's id"), ("id" = Uuid, Path, description = "The order")),
    responses((status = 200, body = SeenOrder), (status = 401, description = "No session", body = ErrorBody),
        (status = 403, description = "No active grant for this shop, or a role that asks for none", body = ErrorBody),
        (status = 404, description = "No such order", body = ErrorBody)))]
async fn detail(
    State(state): State<AppState>,
    RequireRole(op, _): RequireRole<Requester, Operator>,
    PathParams((shop, id)): PathParams<(Uuid, Uuid)>,
) -> Result<Json<SeenOrder>, ApiError> {
    Ok(Json(orders::detail(&state, &op, shop, id).await?))
}
