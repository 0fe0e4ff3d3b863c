//! "Your data" on the privacy page (O13, O14): a visitor asks for a copy, a correction or
//! erasure; a link mailed to them confirms it (a GET only shows the button: mail scanners
//! open links); the export opens from its link as a page, with the JSON beside it. The
//! storefront holds none of it: the orders service keeps requests, and the answer to the
//! form is the same whether or not the shop knows the address.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use platform_domain::{Money, RequestKind};
use platform_orders_api::{ErrorCode, ExportView, OrdersCallError, SubjectExport, SubmitRequest};
use platform_web::{ClientIp, FormBody, PathParams};
use serde::Deserialize;

use super::layout::{private_page, too_many_requests};
use crate::db::catalog::Frame;
use crate::error::ShopError;
use crate::http::links::Links;
use crate::{AppState, Shop};

/// Routes; posts only from the shop's own pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/privacy/requests", post(submit))
        .route("/privacy/confirm/{token}", get(confirm_page).post(confirm))
        .route("/privacy/export/{token}", get(export_page))
        .route("/privacy/export/{token}/json", get(export_json))
        .route_layer(axum::middleware::from_fn(super::cart::same_site_only))
}

/// The form as it was sent, to show again with a message.
#[derive(Deserialize, Default, Clone)]
pub(super) struct RequestForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    details: String,
}

/// The "Your data" section of the privacy page, with the form (and a message next to
/// the field a previous try got wrong).
pub(super) fn your_data(shop: &Shop, form: &RequestForm, problem: Option<&str>) -> Markup {
    let kind = RequestKind::parse(&form.kind).unwrap_or(RequestKind::Access);
    let choice = |k: RequestKind, label: &str, hint: &str| {
        html! {
            label.choice {
                input type="radio" name="kind" value=(k.as_str()) checked[k == kind];
                strong { (label) } br; span.small { (hint) }
            }
        }
    };
    html! {
        section #your-data aria-labelledby="your-data-title" {
            h2 #your-data-title { "Your data" }
            p {
                (shop.display_name) " never sells your data and passes it to nobody for their own use. "
                "Only the payment processor (the amount and order reference) and the carrier (the delivery address of shipped orders) receive what they need for your order; "
                "the platform that runs this shop processes the rest only on " (shop.display_name) "'s behalf."
            }
            p {
                "News and offers come by email only if you ask for them (at checkout or on the "
                a href="/newsletter" { "newsletter page" }
                ") and confirm by the link we send; every newsletter has a one-click unsubscribe link."
            }
            p { "You can ask for a copy of everything held about you, have it corrected, or have it erased. We send a link to the address you give, to make sure it is yours; nothing happens until you open it." }
            form method="post" action="/privacy/requests" {
                fieldset {
                    legend { "What would you like?" }
                    (choice(RequestKind::Access, "Send me my data", "A copy of everything held about you, by a link that works for 3 days."))
                    (choice(RequestKind::Correction, "Correct my data", "Tell us below what is wrong and what it should be."))
                    (choice(RequestKind::Erasure, "Delete my data", "Your details are removed; order records the shop must keep for its accounts stay without your name or address."))
                }
                label for="request-email" { "Your email address (the one you ordered with)" }
                input #request-email type="email" name="email" required autocomplete="email" value=(form.email)
                    aria-invalid=[problem.map(|_| "true")] aria-describedby=[problem.map(|_| "request-problem")];
                @if let Some(message) = problem {
                    p #request-problem.error role="alert" { (message) }
                }
                label for="request-details" { "For a correction: what is wrong, and what should it be?" }
                textarea #request-details name="details" rows="3" maxlength="2000" { (form.details) }
                button type="submit" { "Send request" }
            }
        }
    }
}

async fn frame(state: &AppState, shop: &Shop) -> Result<Frame, ShopError> {
    Ok(state.settings.of(shop.id).await?.frame.clone())
}

async fn submit(
    State(state): State<AppState>,
    shop: Shop,
    links: Links,
    ClientIp(ip): ClientIp,
    FormBody(form): FormBody<RequestForm>,
) -> Result<Response, ShopError> {
    let frame = frame(&state, &shop).await?;
    if let Err(wait) = state.requests.check(ip) {
        return Ok(too_many_requests(&shop, links, &frame, wait));
    }
    let kind = RequestKind::parse(&form.kind);
    let result = match kind {
        None => Err("Please choose what you would like.".to_owned()),
        Some(kind) => match state
            .orders
            .submit_request(
                shop.id,
                &SubmitRequest {
                    kind,
                    email: form.email.clone(),
                    details: form.details.clone(),
                },
            )
            .await
        {
            Ok(()) => Ok(()),
            Err(OrdersCallError::Refused { message, .. }) => Err(message),
            Err(e) => return Err(e.into()),
        },
    };
    Ok(match result {
        Ok(()) => private_page(
            StatusCode::OK,
            &shop,
            links,
            "Check your inbox",
            &frame,
            html! {
                h1 { "Check your inbox" }
                p.notice role="status" { "If this address can receive mail, a message with a link is on its way. Open it within 24 hours to confirm your request; nothing happens until you do." }
                p { "Nothing arrived after a few minutes? Look in your spam folder, or ask again." }
                p { a href=(links.to("/policies/privacy")) { "Back to the privacy policy" } }
            },
        ),
        Err(message) => private_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &shop,
            links,
            "Your data",
            &frame,
            html! {
                h1 { "Your data" }
                (your_data(&shop, &form, Some(&message)))
            },
        ),
    })
}

async fn confirm_page(
    State(state): State<AppState>,
    shop: Shop,
    links: Links,
    PathParams(token): PathParams<String>,
) -> Result<Response, ShopError> {
    let frame = frame(&state, &shop).await?;
    Ok(private_page(
        StatusCode::OK,
        &shop,
        links,
        "Confirm your request",
        &frame,
        html! {
            h1 { "Confirm your request" }
            p { "Press the button to confirm the request you made to " (shop.display_name) ". If you did not make it, close this page: nothing happens." }
            form method="post" action={ "/privacy/confirm/" (token) } {
                button type="submit" { "Confirm my request" }
            }
        },
    ))
}

fn invalid_link(shop: &Shop, links: Links, frame: &Frame, message: &str) -> Response {
    private_page(
        StatusCode::NOT_FOUND,
        shop,
        links,
        "This link does not work any more",
        frame,
        html! {
            h1 { "This link does not work any more" }
            p { (message) }
            p { a href=(links.to("/policies/privacy#your-data")) { "Ask again" } }
        },
    )
}

async fn confirm(
    State(state): State<AppState>,
    shop: Shop,
    links: Links,
    PathParams(token): PathParams<String>,
) -> Result<Response, ShopError> {
    let frame = frame(&state, &shop).await?;
    match state.orders.confirm_request(shop.id, &token).await {
        Ok(confirmed) => Ok(private_page(
            StatusCode::OK,
            &shop,
            links,
            "Request confirmed",
            &frame,
            html! {
                h1 { "Request confirmed" }
                p.notice role="status" {
                    "Thank you. " (shop.display_name) " will answer your request for "
                    (match confirmed.kind {
                        RequestKind::Access => "a copy of your data",
                        RequestKind::Correction => "a correction",
                        RequestKind::Erasure => "erasure",
                    })
                    " by " (confirmed.due_on.format("%-d %B %Y")) " at the latest, by email."
                }
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

async fn fetch_export(
    state: &AppState,
    shop: &Shop,
    token: &str,
) -> Result<Result<ExportView, String>, ShopError> {
    match state.orders.export_by_token(shop.id, token).await {
        Ok(view) => Ok(Ok(view)),
        Err(OrdersCallError::Refused {
            code: ErrorCode::LinkInvalid,
            message,
            ..
        }) => Ok(Err(message)),
        Err(e) => Err(e.into()),
    }
}

async fn export_json(
    State(state): State<AppState>,
    shop: Shop,
    links: Links,
    PathParams(token): PathParams<String>,
) -> Result<Response, ShopError> {
    match fetch_export(&state, &shop, &token).await? {
        Ok(view) => {
            let body = serde_json::to_vec_pretty(&view.document).unwrap_or_default();
            let mut response = (StatusCode::OK, body).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            headers.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"my-data.json\""),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(response)
        }
        Err(message) => {
            let frame = frame(&state, &shop).await?;
            Ok(invalid_link(&shop, links, &frame, &message))
        }
    }
}

async fn export_page(
    State(state): State<AppState>,
    shop: Shop,
    links: Links,
    PathParams(token): PathParams<String>,
) -> Result<Response, ShopError> {
    let frame = frame(&state, &shop).await?;
    Ok(match fetch_export(&state, &shop, &token).await? {
        Ok(view) => private_page(
            StatusCode::OK,
            &shop,
            links,
            "Your data",
            &frame,
            export_markup(&view, &token),
        ),
        Err(message) => invalid_link(&shop, links, &frame, &message),
    })
}

fn total(o: &platform_orders_api::ExportedOrder) -> String {
    match o.currency.parse::<platform_domain::Currency>() {
        Ok(c) => Money::new(o.total_minor, c).to_string(),
        Err(_) => format!("{} {}", o.total_minor, o.currency),
    }
}

fn export_markup(view: &ExportView, token: &str) -> Markup {
    let d: &SubjectExport = &view.document;
    html! {
        h1 { "Your data at " (d.shop.name) }
        p {
            "Everything " (d.shop.name) " holds about " strong { (d.email) } ", as of "
            (d.generated_at.format("%-d %B %Y %H:%M UTC")) ". "
            a href={ "/privacy/export/" (token) "/json" } download="my-data.json" { "Download it as JSON" }
            " (machine-readable). This page works until " (view.expires_at.format("%-d %B %Y %H:%M UTC")) "."
        }
        h2 { "Orders (" (d.orders.len()) ")" }
        @if d.orders.is_empty() { p { "No orders under this address." } }
        @for o in &d.orders {
            section.card {
                h3 { "Order " (o.reference) " · " (o.placed_at.format("%Y-%m-%d")) " · " (o.status.as_str()) }
                dl {
                    @if let Some(c) = &o.contact {
                        dt { "Contact" } dd { (c.name) " · " (c.email) @if !c.phone.is_empty() { " · " (c.phone) } }
                    }
                    @if let Some(a) = &o.shipping {
                        dt { "Delivery address" }
                        dd { (a.name) ", " (a.line1) @if !a.line2.is_empty() { ", " (a.line2) } ", " (a.postal_code) " " (a.city) ", " (a.country) }
                    }
                    @if let Some(ip) = &o.buyer_ip { dt { "Ordered from (IP address)" } dd { (ip) } }
                    @if let Some(p) = &o.payment {
                        @if let Some(last4) = &p.card_last4 {
                            dt { "Card" } dd { (p.card_brand.as_deref().unwrap_or("card")) " ending in " (last4) }
                        }
                    }
                    @if let Some(s) = &o.shipment { dt { "Shipment" } dd { (s.carrier) " " (s.tracking_number) } }
                    dt { "Total" }
                    dd { (total(o)) }
                }
                ul { @for l in &o.lines { li { (l.quantity) " × " (l.product_title) } } }
            }
        }
        h2 { "Mail sent to you" }
        @if d.mails.is_empty() { p { "None." } }
        ul { @for m in &d.mails { li { (m.sent_at.format("%Y-%m-%d %H:%M")) ": " (m.kind.replace('_', " ")) ", " (m.about) } } }
        h2 { "Your requests" }
        ul { @for r in &d.requests { li { (r.received_at.format("%Y-%m-%d")) ": " (r.kind.as_str()) ", " (r.status.as_str()) } } }
        h2 { "Marketing consents" }
        @if d.consents.is_empty() { p { "None: you receive no promotional mail from this shop." } }
        ul { @for c in &d.consents { li { (c.purpose) ", given " (c.given_at.format("%Y-%m-%d")) " (" (c.source) ")" @if let Some(w) = c.withdrawn_at { ", withdrawn " (w.format("%Y-%m-%d")) } } } }
        h2 { "Who looked at your data" }
        @if d.reads.is_empty() { p { "Nobody has opened your details." } }
        ul { @for r in &d.reads { li { (r.at.format("%Y-%m-%d %H:%M")) ": " (r.who) ", " (r.classes.join(", ")) " (" (r.purpose) ")" } } }
        h2 { "Why, who, how long" }
        @for (title, items) in [("Purposes", &d.about.purposes), ("What is held", &d.about.categories), ("Who receives it", &d.about.recipients), ("How long it is kept", &d.about.retention)] {
            h3 { (title) }
            dl { @for s in items { dt { (s.topic) } dd { (s.text) } } }
        }
        h3 { "Where it came from" } p { (d.about.source) }
        h3 { "Automated decisions" } p { (d.about.automated_decisions) }
        h3 { "Transfers" } p { (d.about.transfers) }
        h3 { "Your rights" } ul { @for r in &d.about.rights { li { (r) } } }
    }
}
