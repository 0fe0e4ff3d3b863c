//! The hosted payment page: the only place a card number is typed. A plain HTML form (no
//! JavaScript); the buyer is sent back to the shop with a redirect.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use chrono::Datelike;
use http::StatusCode;
use http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY};
use maud::{DOCTYPE, Markup, html};
use platform_processor_api::PaymentStatus;
use serde::Deserialize;

use crate::cards;
use crate::state::{PageView, Sim};

pub(crate) fn router(sim: Arc<Sim>) -> Router {
    Router::new()
        .route("/pay/{id}", get(show).post(pay))
        .with_state(sim)
}

/// What the form posts. Only the outcome survives the handler: never stored, never logged.
#[derive(Deserialize)]
struct CardForm {
    number: String,
    exp: String,
    cvc: String,
}

fn amount(minor: i64, currency: &str) -> String {
    let exponent = match currency {
        "JPY" | "KRW" | "ISK" | "CLP" | "VND" => 0,
        _ => 2,
    };
    if exponent == 0 {
        format!("{minor} {currency}")
    } else {
        format!("{}.{:02} {currency}", minor / 100, minor % 100)
    }
}

/// The `https://host:port` origin of an address.
fn origin(url: &str) -> Option<String> {
    let uri: http::Uri = url.parse().ok()?;
    (uri.scheme_str() == Some("https")).then_some(())?;
    Some(format!("https://{}", uri.authority()?))
}

/// The return address with the payment's id added.
pub(crate) fn back_to(view: &PageView) -> String {
    let join = if view.return_url.contains('?') {
        '&'
    } else {
        '?'
    };
    format!("{}{join}payment={}", view.return_url, view.payment.id)
}

fn failure_text(code: &str) -> &'static str {
    match code {
        "insufficient_funds" => "The card was declined: insufficient funds. Try another card.",
        "invalid_card" => "The card number, expiry or security code is not valid.",
        _ => "The card was declined. Try another card.",
    }
}

fn render(view: &PageView, status: StatusCode) -> Response {
    let body: Markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Pay " (view.description) " — PaySim" }
                style { (STYLE) }
            }
            body {
                main {
                    p.brand { "PaySim" small { " · test processor" } }
                    h1 { "Pay " (amount(view.payment.amount_minor, &view.payment.currency)) }
                    p { (view.description) }
                    @match view.payment.status {
                        PaymentStatus::Captured => {
                            p.ok role="status" { "Paid. Thank you." }
                            a.button href=(back_to(view)) { "Back to the shop" }
                        }
                        PaymentStatus::Expired => {
                            p.error role="alert" { "This payment has expired." }
                            a href=(back_to(view)) { "Back to the shop" }
                        }
                        PaymentStatus::Pending => {
                            @if let Some(code) = &view.payment.last_failure {
                                p.error role="alert" { (failure_text(code)) }
                            }
                            form method="post" autocomplete="off" {
                                label for="number" { "Card number" }
                                input #number name="number" inputmode="numeric" autocomplete="cc-number" required;
                                div.row {
                                    div {
                                        label for="exp" { "Expiry (MM/YY)" }
                                        input #exp name="exp" autocomplete="cc-exp" placeholder="MM/YY" required;
                                    }
                                    div {
                                        label for="cvc" { "Security code" }
                                        input #cvc name="cvc" inputmode="numeric" autocomplete="cc-csc" required;
                                    }
                                }
                                button type="submit" { "Pay " (amount(view.payment.amount_minor, &view.payment.currency)) }
                            }
                            p { a href=(back_to(view)) { "Cancel and go back to the shop" } }
                            details {
                                summary { "Test cards" }
                                ul {
                                    li { code { "4242 4242 4242 4242" } " pays (Visa)" }
                                    li { code { "5555 5555 5555 4444" } " pays (Mastercard)" }
                                    li { code { "4000 0000 0000 0002" } " is declined" }
                                    li { code { "4000 0000 0000 9995" } " has insufficient funds" }
                                }
                                p { "Any future expiry and any three digits as the security code." }
                            }
                        }
                    }
                }
            }
        }
    };
    // The form posts here and is then redirected back to the shop: browsers apply
    // `form-action` to that redirect too, so the shop's origin is allowed as well.
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' {}; frame-ancestors 'none'",
        origin(&view.return_url).unwrap_or_default()
    );
    let mut response = (
        status,
        [
            (CACHE_CONTROL, "no-store"),
            (REFERRER_POLICY, "no-referrer"),
        ],
        Html(body.into_string()),
    )
        .into_response();
    if let Ok(value) = http::HeaderValue::from_str(&csp) {
        response
            .headers_mut()
            .insert(CONTENT_SECURITY_POLICY, value);
    }
    response
}

async fn show(State(sim): State<Arc<Sim>>, Path(id): Path<String>) -> Response {
    match sim.page(&id) {
        Some(view) => render(&view, StatusCode::OK),
        None => (StatusCode::NOT_FOUND, "No such payment.").into_response(),
    }
}

async fn pay(
    State(sim): State<Arc<Sim>>,
    Path(id): Path<String>,
    Form(form): Form<CardForm>,
) -> Response {
    let today = chrono::Utc::now();
    let outcome = cards::charge(
        &form.number,
        &form.exp,
        &form.cvc,
        u16::try_from(today.year()).unwrap_or(u16::MAX),
        u8::try_from(today.month()).unwrap_or(12),
    );
    drop(form);
    let Some((view, event)) = sim.attempt(&id, outcome) else {
        return (StatusCode::NOT_FOUND, "No such payment.").into_response();
    };
    if let Some(event) = event {
        sim.notify(event);
    }
    match view.payment.status {
        PaymentStatus::Captured => Redirect::to(&back_to(&view)).into_response(),
        PaymentStatus::Pending => render(&view, StatusCode::PAYMENT_REQUIRED),
        PaymentStatus::Expired => render(&view, StatusCode::GONE),
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f3f4f8;margin:0;color:#1d1d29}\
main{max-width:26rem;margin:2rem auto;background:#fff;padding:1.5rem;border-radius:10px;box-shadow:0 1px 4px #0002}\
.brand{font-weight:700;color:#4b3fd1}.brand small{font-weight:400;color:#555}\
label{display:block;margin-top:.8rem;font-size:.9rem}\
input{width:100%;box-sizing:border-box;padding:.55rem;border:1px solid #767686;border-radius:6px;font-size:1rem}\
.row{display:flex;gap:.8rem}.row>div{flex:1}\
button,.button{display:inline-block;margin-top:1rem;width:100%;padding:.7rem;border:0;border-radius:6px;background:#4b3fd1;color:#fff;font-size:1rem;text-align:center;text-decoration:none}\
.error{background:#fde8e8;color:#8a1111;padding:.6rem;border-radius:6px}.ok{background:#e6f6ea;color:#135c26;padding:.6rem;border-radius:6px}\
code{font-size:.9rem}";
