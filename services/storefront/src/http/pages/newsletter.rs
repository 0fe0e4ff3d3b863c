//! The shop's news (O17): a sign-up form, the confirmation link's page (a GET only shows
//! the button: mail scanners open links), and the unsubscribe link of every newsletter.
//! The unsubscribe address takes the one-click POST of RFC 8058 from a mail program: no
//! cookie, no login, no token of a form, answered 200 on the spot and never redirected;
//! a GET only shows the button. The storefront keeps none of it: the orders service
//! holds subscriptions.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};
use platform_domain::{ConsentSource, WithdrawalMethod};
use platform_orders_api::{ErrorCode, OrdersCallError, Subscribe, Unsubscribe};
use platform_web::{ClientIp, FormBody, PathParams};
use serde::Deserialize;

use super::layout::{private_page, too_many_requests};
use crate::db::catalog::{self, Frame};
use crate::error::ShopError;
use crate::http::links::Links;
use crate::{AppState, Shop};

/// Routes. The sign-up and confirmation only from the shop's own pages; the unsubscribe
/// address from anywhere (a mail program posts it).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/newsletter", get(signup_page).post(signup))
        .route(
            "/newsletter/confirm/{token}",
            get(confirm_page).post(confirm),
        )
        .route_layer(axum::middleware::from_fn(super::cart::same_site_only))
        .route(
            "/unsubscribe/{token}",
            get(unsubscribe_page).post(unsubscribe),
        )
}

/// The sign-up form as sent.
#[derive(Deserialize, Default)]
struct SignupForm {
    #[serde(default)]
    email: String,
    /// The privacy policy version the page linked to.
    #[serde(default)]
    policy_version: Option<i32>,
}

/// The shop's frame and the privacy policy version in force.
async fn facts(state: &AppState, shop: &Shop) -> Result<(Frame, Option<i32>), ShopError> {
    let settings = state.settings.of(shop.id).await?;
    let mut tx = state.db.begin(shop.id).await?;
    let frame = &settings.frame;
    let (current, _) = catalog::policies(&mut tx, chrono::Utc::now()).await?;
    tx.commit().await?;
    Ok((frame.clone(), current.map(|p| p.version)))
}

fn signup_form(
    shop: &Shop,
    links: Links,
    email: &str,
    policy: Option<i32>,
    problem: Option<&str>,
) -> Markup {
    html! {
        h1 { "News from " (shop.display_name) }
        p { "New products and offers, now and then, by email. We send a link first: nothing arrives until you confirm it. Every newsletter has a one-click unsubscribe link, and your address goes when you use it." }
        form method="post" action=(links.to("/newsletter")) {
            @if let Some(v) = policy { input type="hidden" name="policy_version" value=(v); }
            label for="news-email" { "Your email address" }
            input #news-email type="email" name="email" required autocomplete="email" value=(email)
                aria-invalid=[problem.map(|_| "true")] aria-describedby=[problem.map(|_| "news-problem")];
            @if let Some(message) = problem {
                p #news-problem.error role="alert" { (message) }
            }
            p.small { "Your address is used for this shop's news only and passed to nobody. " a href=(links.to("/policies/privacy")) { "Privacy policy" } }
            button type="submit" { "Subscribe" }
        }
    }
}

async fn signup_page(
    State(state): State<AppState>,
    shop: Shop,
    links: Links,
) -> Result<Response, ShopError> {
    let (frame, policy) = facts(&state, &shop).await?;
    Ok(private_page(
        StatusCode::OK,
        &shop,
        links,
        "Newsletter",
        &frame,
        signup_form(&shop, links, "", policy, None),
    ))
}

async fn signup(
    State(state): State<AppState>,
    shop: Shop,
    links: Links,
    ClientIp(ip): ClientIp,
    FormBody(form): FormBody<SignupForm>,
) -> Result<Response, ShopError> {
    let (frame, policy) = facts(&state, &shop).await?;
    // The same budget as data requests: nobody floods inboxes through a shop.
    if let Err(wait) = state.requests.check(ip) {
        return Ok(too_many_requests(&shop, links, &frame, wait));
    }
    let asked = state
        .orders
        .subscribe(
            shop.id,
            &Subscribe {
                email: form.email.clone(),
                source: ConsentSource::SignupForm,
                policy_version: form.policy_version,
            },
        )
        .await;
    Ok(match asked {
        Ok(()) => private_page(
            StatusCode::OK,
            &shop,
            links,
            "Check your inbox",
            &frame,
            html! {
                h1 { "Check your inbox" }
                p.notice role="status" { "If this address can receive mail, a message with a link is on its way. Open it within 24 hours to confirm; until you do, nothing is sent to you." }
                p { a href=(links.to("/")) { "Back to the shop" } }
            },
        ),
        Err(OrdersCallError::Refused { message, .. }) => private_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &shop,
            links,
            "Newsletter",
            &frame,
            signup_form(&shop, links, &form.email, policy, Some(&message)),
        ),
        Err(e) => return Err(e.into()),
    })
}

fn invalid_link(shop: &Shop, links: Links, frame: &Frame, message: &str) -> Response {
    private_page(
        StatusCode::NOT_FOUND,
        shop,
        links,
        "This link does not work",
        frame,
        html! {
            h1 { "This link does not work" }
            p { (message) }
            p { a href=(links.to("/newsletter")) { "Subscribe again" } }
        },
    )
}

async fn confirm_page(
    State(state): State<AppState>,
    shop: Shop,
    links: Links,
    PathParams(token): PathParams<String>,
) -> Result<Response, ShopError> {
    let (frame, _) = facts(&state, &shop).await?;
    Ok(private_page(
        StatusCode::OK,
        &shop,
        links,
        "Confirm your subscription",
        &frame,
        html! {
            h1 { "Confirm your subscription" }
            p { "Press the button to receive news and offers from " (shop.display_name) " by email. If you did not ask for them, close this page: nothing is sent." }
            form method="post" action={ "/newsletter/confirm/" (token) } {
                button type="submit" { "Yes, send me the news" }
            }
        },
    ))
}

async fn confirm(
    State(state): State<AppState>,
    shop: Shop,
    links: Links,
    PathParams(token): PathParams<String>,
) -> Result<Response, ShopError> {
    let (frame, _) = facts(&state, &shop).await?;
    match state.orders.confirm_subscription(shop.id, &token).await {
        Ok(()) => Ok(private_page(
            StatusCode::OK,
            &shop,
            links,
            "You are subscribed",
            &frame,
            html! {
                h1 { "You are subscribed" }
                p.notice role="status" { "Thank you. News from " (shop.display_name) " will reach you by email. Every newsletter has a link to unsubscribe with one click." }
                p { a href=(links.to("/")) { "Back to the shop" } }
            },
        )),
        Err(OrdersCallError::Refused {
            code: ErrorCode::LinkInvalid,
            message,
            ..
        }) => Ok(invalid_link(&shop, links, &frame, &message)),
        Err(e) => Err(e.into()),
    }
}

async fn unsubscribe_page(
    State(state): State<AppState>,
    shop: Shop,
    links: Links,
    PathParams(token): PathParams<String>,
) -> Result<Response, ShopError> {
    let (frame, _) = facts(&state, &shop).await?;
    Ok(private_page(
        StatusCode::OK,
        &shop,
        links,
        "Unsubscribe",
        &frame,
        html! {
            h1 { "Unsubscribe from " (shop.display_name) "'s news" }
            p { "Press the button and no more newsletters are sent to you; your address is deleted from the list." }
            form method="post" action={ "/unsubscribe/" (token) } {
                button type="submit" { "Unsubscribe" }
            }
        },
    ))
}

/// RFC 8058's body, as a mail program posts it (form-encoded or multipart).
fn is_one_click(body: &[u8]) -> bool {
    let has = |needle: &[u8]| body.windows(needle.len()).any(|w| w == needle);
    has(b"List-Unsubscribe=One-Click") || (has(b"name=\"List-Unsubscribe\"") && has(b"One-Click"))
}

async fn unsubscribe(
    State(state): State<AppState>,
    shop: Shop,
    links: Links,
    PathParams(token): PathParams<String>,
    body: Bytes,
) -> Result<Response, ShopError> {
    let method = if is_one_click(&body) {
        WithdrawalMethod::OneClick
    } else {
        WithdrawalMethod::UnsubscribePage
    };
    let (frame, _) = facts(&state, &shop).await?;
    match state
        .orders
        .unsubscribe(shop.id, &Unsubscribe { token, method })
        .await
    {
        Ok(()) => Ok(private_page(
            StatusCode::OK,
            &shop,
            links,
            "You are unsubscribed",
            &frame,
            html! {
                h1 { "You are unsubscribed" }
                p.notice role="status" { "No more newsletters from " (shop.display_name) " are sent to you, starting with the next one. Your address was deleted from the list." }
            },
        )),
        Err(OrdersCallError::Refused {
            code: ErrorCode::LinkInvalid,
            message,
            ..
        }) => Ok(invalid_link(&shop, links, &frame, &message)),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_one_click_body_is_recognised_in_either_encoding() {
        assert!(is_one_click(b"List-Unsubscribe=One-Click"));
        assert!(is_one_click(
            b"--x\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--x--"
        ));
        assert!(!is_one_click(b""));
        assert!(!is_one_click(b"via=page"));
    }
}
