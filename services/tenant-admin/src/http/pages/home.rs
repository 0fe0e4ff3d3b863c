//! The console's home page: the shop's address, what to do next (each step done or a link
//! to it, as far as the member's roles reach), and the newest orders for those who handle
//! them.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};
use platform_auth::extract::PageSession;
use platform_domain::{Money, Permission, PolicyStatus};
use platform_orders_api::OrderListQuery;

use super::layout::{layout, page};
use crate::app::AppState;
use crate::app::order_view::OrderListView;
use crate::app::staff::Staff;
use crate::app::{checkout, collections, look, orders, policies, products, shops};
use crate::error::ApiError;

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}

/// Orders shown on the home page.
const RECENT: u32 = 5;

/// One step of setting up the shop.
struct Step {
    done: bool,
    text: String,
    href: &'static str,
    action: &'static str,
}

async fn home(
    State(state): State<AppState>,
    PageSession(staff): PageSession<Staff>,
) -> Result<Response, ApiError> {
    let shop = shops::overview(&state, staff.tenant).await?;
    let may = |p: Permission| staff.roles.may(p);
    let mut steps = vec![Step {
        done: !staff.mfa_missing,
        text: "Your second factor protects your account".to_owned(),
        href: "/account/security",
        action: "Set up your second factor",
    }];
    if may(Permission::ManageCatalog) {
        let count = products::list(&state, staff.tenant, None).await?.len();
        steps.push(Step {
            done: count > 0,
            text: match count {
                1 => "1 product in your catalog".to_owned(),
                n => format!("{n} products in your catalog"),
            },
            href: "/products/new",
            action: "Add your first product",
        });
        let in_menu = collections::list(&state, staff.tenant)
            .await?
            .iter()
            .filter(|c| c.in_menu)
            .count();
        steps.push(Step {
            done: in_menu > 0,
            text: match in_menu {
                1 => "Your shop's menu links 1 collection".to_owned(),
                n => format!("Your shop's menu links {n} collections"),
            },
            href: "/collections",
            action: "Group products in collections for your shop's menu",
        });
    }
    if may(Permission::ManageShop) {
        let published = policies::versions(&state, staff.tenant)
            .await?
            .iter()
            .any(|v| v.status == PolicyStatus::Published);
        steps.push(Step {
            done: published,
            text: "Your privacy policy is published".to_owned(),
            href: "/privacy",
            action: "Publish your privacy policy",
        });
        let look = look::get(&state, staff.tenant).await?;
        steps.push(Step {
            done: look.logo.is_some() || !look.banner_title.is_empty(),
            text: "Your shop has its own look".to_owned(),
            href: "/settings/look",
            action: "Give your shop its look: a logo, a colour, a banner",
        });
        let rates = checkout::get(&state, staff.tenant)
            .await?
            .shipping_rates
            .len();
        steps.push(Step {
            done: rates > 0,
            text: format!(
                "You ship to {rates} {}",
                if rates == 1 { "country" } else { "countries" }
            ),
            href: "/settings/checkout",
            action: "Choose where you ship, and at which rates",
        });
    }
    let recent = if may(Permission::ViewOrders) {
        let query = OrderListQuery {
            limit: Some(RECENT),
            ..OrderListQuery::default()
        };
        Some(orders::list(&state, &staff, &query).await)
    } else {
        None
    };
    Ok(page(
        StatusCode::OK,
        markup(&staff, &shop, &steps, recent.as_ref()),
    ))
}

fn markup(
    staff: &Staff,
    shop: &shops::Overview,
    steps: &[Step],
    recent: Option<&Result<OrderListView, ApiError>>,
) -> Markup {
    layout(
        "Home",
        Some(staff),
        html! {
            h1 { (shop.display_name) }
            @if let Some(url) = &shop.url {
                p { "Your shop is online at " a href=(url) { (url) } "." }
            }
            h2 { "Next steps" }
            ul.steps {
                @for step in steps {
                    li {
                        @if step.done {
                            span.done aria-hidden="true" { "✓ " }
                            (step.text)
                        } @else {
                            a href=(step.href) { (step.action) }
                        }
                    }
                }
            }
            @if let Some(recent) = recent {
                h2 { "Recent orders" }
                @match recent {
                    Ok(list) if list.orders.is_empty() => p { "No orders yet." },
                    Ok(list) => {
                        table tabindex="0" {
                            thead { tr { th scope="col" { "Order" } th scope="col" { "Placed" } th scope="col" { "Items" } th scope="col" { "Total" } } }
                            tbody {
                                @for o in &list.orders {
                                    tr {
                                        td { a href={ "/orders/" (o.id) } { (o.reference) } }
                                        td { (o.created_at.format("%Y-%m-%d %H:%M UTC")) }
                                        td { (o.item_count) }
                                        td {
                                            @match &o.total_minor {
                                                platform_domain::Shown::Clear(t) => (Money::new(*t, o.currency)),
                                                platform_domain::Shown::Masked => (platform_domain::MASK),
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        p { a href="/orders" { "All orders →" } }
                    },
                    Err(_) => p.small { "Orders cannot be shown right now; try again in a moment." },
                }
            }
        },
    )
}
