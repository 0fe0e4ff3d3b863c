//! Paying: the buyer is sent to the payment processor's hosted page (a redirect: the card
//! is typed there and never reaches the shop, O3) and comes back to the order page, which
//! asks orders to confirm with the processor. Without online payment configured the
//! order simply waits, unpaid.

use axum::extract::State;
use axum::http::{HeaderMap, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use platform_orders_api::{ErrorCode, OrdersCallError};
use platform_web::{PathParams, WebError};

use crate::error::ShopError;
use crate::{AppState, Shop};

/// The origin the buyer reached the shop at (`https://alpine.shop.localhost:8443`),
/// where the processor's page sends them back to.
fn origin(headers: &HeaderMap, uri: &Uri) -> Option<String> {
    let raw = match uri.authority() {
        Some(authority) => authority.as_str(),
        None => headers.get(header::HOST).and_then(|h| h.to_str().ok())?,
    };
    let authority: axum::http::uri::Authority = raw.parse().ok()?;
    Some(format!("https://{authority}"))
}

/// Sets the checkout page policy that lets its forms end on the processor's page.
pub(crate) fn allow_pay_forms(state: &AppState, mut response: Response) -> Response {
    if let Some(csp) = &state.pay_csp {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp.clone());
    }
    response
}

/// Opens the payment and sends the buyer to the processor; if that cannot be done now,
/// to the order page, which offers to pay again.
pub(super) async fn to_payment(
    state: &AppState,
    shop: &Shop,
    headers: &HeaderMap,
    uri: &Uri,
    code: &str,
) -> Response {
    let order_page = format!("/orders/{code}?placed=1");
    if state.pay_csp.is_none() {
        return Redirect::to(&order_page).into_response();
    }
    let Some(origin) = origin(headers, uri) else {
        return Redirect::to(&order_page).into_response();
    };
    let back = format!("{origin}/orders/{code}/return");
    match state.orders.start_payment(shop.id, code, &back).await {
        Ok(start) => Redirect::to(&start.pay_url).into_response(),
        Err(e) => {
            tracing::warn!(error = &e as &dyn std::error::Error, "payment not started");
            Redirect::to(&order_page).into_response()
        }
    }
}

/// The order page's "Pay now".
pub(super) async fn pay(
    State(state): State<AppState>,
    shop: Shop,
    headers: HeaderMap,
    uri: Uri,
    PathParams(code): PathParams<String>,
) -> Result<Response, ShopError> {
    if state.pay_csp.is_none() {
        return Ok(Redirect::to(&format!("/orders/{code}")).into_response());
    }
    let origin = origin(&headers, &uri).ok_or_else(|| {
        WebError::bad_request("request.host_invalid", "The shop's address is not valid.")
    })?;
    let back = format!("{origin}/orders/{code}/return");
    match state.orders.start_payment(shop.id, &code, &back).await {
        Ok(start) => Ok(Redirect::to(&start.pay_url).into_response()),
        Err(OrdersCallError::Refused {
            code: ErrorCode::NotFound,
            ..
        }) => Err(WebError::not_found("order.not_found", "There is no such order.").into()),
        Err(OrdersCallError::Refused {
            code: ErrorCode::NotPayable,
            ..
        }) => Ok(Redirect::to(&format!("/orders/{code}")).into_response()),
        Err(e) => {
            tracing::warn!(error = &e as &dyn std::error::Error, "payment not started");
            Ok(Redirect::to(&format!("/orders/{code}?payment=unavailable")).into_response())
        }
    }
}

/// Back from the processor's page: orders asks the processor (the return itself proves
/// nothing) and the buyer sees the order as it now stands.
pub(super) async fn returned(
    State(state): State<AppState>,
    shop: Shop,
    PathParams(code): PathParams<String>,
) -> Result<Response, ShopError> {
    match state.orders.confirm_payment(shop.id, &code).await {
        Ok(order) if order.status != platform_orders_api::OrderStatus::PendingPayment => {
            Ok(Redirect::to(&format!("/orders/{code}?paid=1")).into_response())
        }
        Ok(_) => Ok(Redirect::to(&format!("/orders/{code}")).into_response()),
        Err(OrdersCallError::Refused {
            code: ErrorCode::NotFound,
            ..
        }) => Err(WebError::not_found("order.not_found", "There is no such order.").into()),
        Err(e) => {
            // The webhook will still arrive; the order page shows where it stands.
            tracing::warn!(
                error = &e as &dyn std::error::Error,
                "payment not confirmed on return"
            );
            Ok(Redirect::to(&format!("/orders/{code}")).into_response())
        }
    }
}
