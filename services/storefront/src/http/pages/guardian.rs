//! Children's checkout in a shop that sells to minors (O19): a child under 13 gives a
//! parent's or guardian's address and waits; the guardian reads, on the page their
//! mailed link opens, what the shop would keep and who receives it, and agrees or
//! refuses (a GET only shows the page: mail scanners open links). Once they agreed, the
//! child enters their details and orders, once. The storefront keeps none of it.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, html};
use platform_domain::GuardianStatus;
use platform_orders_api::{AskGuardian, ErrorCode, GuardianDecision, OrdersCallError};
use platform_web::{ClientIp, FormBody, PathParams};
use serde::Deserialize;

use super::layout::{private_page, too_many_requests};
use crate::db::catalog::{self, Frame};
use crate::error::ShopError;
use crate::http::links::Links;
use crate::{AppState, Shop};

/// Routes; posts only from the shop's own pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/checkout/guardian", get(ask_page).post(ask))
        .route("/checkout/guardian/{handle}", get(waiting))
        .route("/guardian/{token}", get(consent_page).post(decide))
        .route_layer(axum::middleware::from_fn(super::cart::same_site_only))
}

async fn facts(state: &AppState, shop: &Shop) -> Result<(Frame, Option<i32>), ShopError> {
    let settings = state.settings.of(shop.id).await?;
    let mut tx = state.db.begin(shop.id).await?;
    let frame = &settings.frame;
    let (current, _) = catalog::policies(&mut tx, chrono::Utc::now()).await?;
    tx.commit().await?;
    Ok((frame.clone(), current.map(|p| p.version)))
}

fn ask_form(links: Links, email: &str, policy: Option<i32>, problem: Option<&str>) -> Markup {
    html! {
        h1 { "Ask a parent or guardian" }
        p { "You said you are under 13. Before you can order, a parent or guardian has to agree. We send them an email with a link; nothing about you is kept until they agree." }
        form method="post" action=(links.to("/checkout/guardian")) {
            @if let Some(v) = policy { input type="hidden" name="policy_version" value=(v); }
            label for="guardian-email" { "Your parent's or guardian's email address" }
            input #guardian-email type="email" name="guardian_email" required value=(email)
                aria-invalid=[problem.map(|_| "true")] aria-describedby=[problem.map(|_| "guardian-problem")];
            @if let Some(m) = problem { p #guardian-problem.error role="alert" { (m) } }
            button type="submit" { "Send them the email" }
        }
        p { a href={ (links.to("/cart")) "#details" } { "I am 13 or older" } }
    }
}

async fn ask_page(
    State(state): State<AppState>,
    shop: Shop,
    links: Links,
) -> Result<Response, ShopError> {
    let (frame, policy) = facts(&state, &shop).await?;
    Ok(private_page(
        StatusCode::OK,
        &shop,
        links,
        "Ask a parent or guardian",
        &frame,
        ask_form(links, "", policy, None),
    ))
}

#[derive(Deserialize, Default)]
struct AskForm {
    #[serde(default)]
    guardian_email: String,
    #[serde(default)]
    policy_version: Option<i32>,
}

async fn ask(
    State(state): State<AppState>,
    shop: Shop,
    links: Links,
    ClientIp(ip): ClientIp,
    FormBody(form): FormBody<AskForm>,
) -> Result<Response, ShopError> {
    let (frame, policy) = facts(&state, &shop).await?;
    if let Err(wait) = state.requests.check(ip) {
        return Ok(too_many_requests(&shop, links, &frame, wait));
    }
    match state
        .orders
        .ask_guardian(
            shop.id,
            &AskGuardian {
                guardian_email: form.guardian_email.clone(),
                policy_version: form.policy_version,
            },
        )
        .await
    {
        Ok(handle) => Ok(Redirect::to(
            &links.to(format_args!("/checkout/guardian/{}", handle.handle)),
        )
        .into_response()),
        Err(OrdersCallError::Refused { message, .. }) => Ok(private_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &shop,
            links,
            "Ask a parent or guardian",
            &frame,
            ask_form(links, &form.guardian_email, policy, Some(&message)),
        )),
        Err(e) => Err(e.into()),
    }
}

async fn waiting(
    State(state): State<AppState>,
    shop: Shop,
    links: Links,
    PathParams(handle): PathParams<String>,
) -> Result<Response, ShopError> {
    let (frame, _) = facts(&state, &shop).await?;
    let status = match state.orders.guardian_state(shop.id, &handle).await {
        Ok(s) => s.status,
        Err(OrdersCallError::Refused {
            code: ErrorCode::LinkInvalid,
            ..
        }) => GuardianStatus::Expired,
        Err(e) => return Err(e.into()),
    };
    let here = links.to(format_args!("/checkout/guardian/{handle}"));
    let body = match status {
        GuardianStatus::Pending => html! {
            h1 { "Waiting for your parent or guardian" }
            p.notice role="status" { "We emailed them a link. When they have agreed, press the button below to go on." }
            p { a.button href=(here) { "Check again" } }
        },
        GuardianStatus::Consented => html! {
            h1 { "Your parent or guardian agreed" }
            p.notice role="status" { "Thank you. Now enter your details and place your order." }
            p { a.button href={ (links.to(format_args!("/cart?guardian={handle}"))) "#details" } { "Enter my details" } }
        },
        GuardianStatus::Refused => html! {
            h1 { "Your parent or guardian did not agree" }
            p { "Nothing about you was kept. Talk to them if you think this is a mistake." }
        },
        GuardianStatus::Used | GuardianStatus::Expired => html! {
            h1 { "This page does not work any more" }
            p { "The agreement was used for an order, or more than 7 days passed." }
            p { a href=(links.to("/checkout/guardian")) { "Ask again" } }
        },
    };
    Ok(private_page(
        StatusCode::OK,
        &shop,
        links,
        "Parent or guardian",
        &frame,
        body,
    ))
}

async fn consent_page(
    State(state): State<AppState>,
    shop: Shop,
    links: Links,
    PathParams(token): PathParams<String>,
) -> Result<Response, ShopError> {
    let (frame, _) = facts(&state, &shop).await?;
    let name = &shop.display_name;
    Ok(private_page(
        StatusCode::OK,
        &shop,
        links,
        "Your consent",
        &frame,
        html! {
            h1 { "A child wants to order from " (name) }
            p { "A child gave your address as their parent's or guardian's. Nothing about them has been kept. If you agree, " (name) " keeps, for this one order:" }
            ul {
                li { "the name, email address, phone number and delivery address it asks for at checkout;" }
                li { "the network (IP) address the order is placed from;" }
                li { "what was ordered and paid." }
            }
            p { "It passes them to nobody except the payment processor (the amount and the order number) and the carrier (the delivery address). They are never sold or used for advertising. They are kept as long as " a href=(links.to("/policies/privacy")) { "the privacy policy" } " says, and you can have them erased there at any time." }
            form method="post" action={ "/guardian/" (token) } {
                input type="hidden" name="decision" value="consent";
                button type="submit" { "I agree" }
            }
            form method="post" action={ "/guardian/" (token) } {
                input type="hidden" name="decision" value="refuse";
                button.secondary type="submit" { "I do not agree" }
            }
        },
    ))
}

#[derive(Deserialize)]
struct DecisionForm {
    decision: String,
}

async fn decide(
    State(state): State<AppState>,
    shop: Shop,
    links: Links,
    PathParams(token): PathParams<String>,
    FormBody(form): FormBody<DecisionForm>,
) -> Result<Response, ShopError> {
    let (frame, _) = facts(&state, &shop).await?;
    let consent = form.decision == "consent";
    match state
        .orders
        .decide_guardian(shop.id, &GuardianDecision { token, consent })
        .await
    {
        Ok(s) => Ok(private_page(
            StatusCode::OK,
            &shop,
            links,
            "Your consent",
            &frame,
            html! {
                @if s.status == GuardianStatus::Refused {
                    h1 { "You did not agree" }
                    p.notice role="status" { "Nothing about the child is kept, and your address is forgotten within 7 days." }
                } @else {
                    h1 { "Thank you: you agreed" }
                    p.notice role="status" { "The child can now place one order. We sent you an email to confirm, with how to take it back." }
                }
            },
        )),
        Err(OrdersCallError::Refused {
            code: ErrorCode::LinkInvalid,
            message,
            ..
        }) => Ok(private_page(
            StatusCode::NOT_FOUND,
            &shop,
            links,
            "This link does not work",
            &frame,
            html! { h1 { "This link does not work" } p { (message) } },
        )),
        Err(e) => Err(e.into()),
    }
}
