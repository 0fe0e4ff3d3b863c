//! Collections in the console.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use platform_auth::extract::{CheckedForm, PageSession};
use platform_domain::{CollectionId, ProductId};
use platform_web::PathParams;
use serde::Deserialize;

use super::layout::{error_box, input_problem, layout, page};
use crate::app::AppState;
use crate::app::collections::{self, CollectionInput};
use crate::app::products;
use crate::app::staff::Staff;
use crate::db::collections::Collection;
use crate::error::ApiError;
use crate::http::auth::{CatalogEditor, csrf_forms};

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/collections", get(list_page).post(create_submit))
        .route("/collections/{id}", get(collection_page))
        .route("/collections/{id}/products", post(membership_submit))
}

#[derive(Deserialize)]
struct CollectionForm {
    csrf: String,
    title: String,
}

#[derive(Deserialize)]
struct MembershipForm {
    csrf: String,
    product_id: ProductId,
    member: bool,
}

csrf_forms!(CollectionForm, MembershipForm);

fn list_view(staff: &Staff, list: &[Collection], error: Option<&str>) -> Markup {
    layout(
        "Collections",
        Some(staff),
        html! {
            h1 { "Collections" }
            (error_box(error))
            @if list.is_empty() { p { "No collections yet." } }
            ul { @for c in list { li { a href={ "/collections/" (c.id) } { (c.title) } " (" (c.product_ids.len()) " products)" } } }
            form.card method="post" action="/collections" {
                input type="hidden" name="csrf" value=(staff.csrf);
                label for="c-title" { "New collection" }
                input #c-title name="title" required maxlength="200";
                button type="submit" { "Create" }
            }
        },
    )
}

async fn list_page(
    State(state): State<AppState>,
    PageSession(staff): PageSession<Staff>,
) -> Result<Response, ApiError> {
    let list = collections::list(&state, staff.tenant).await?;
    Ok(page(StatusCode::OK, list_view(&staff, &list, None)))
}

async fn create_submit(
    State(state): State<AppState>,
    CheckedForm(staff, f, _): CheckedForm<Staff, CollectionForm, CatalogEditor>,
) -> Result<Response, ApiError> {
    let input = CollectionInput {
        title: f.title,
        handle: None,
        description: None,
    };
    match collections::create(&state, staff.tenant, input).await {
        Ok(c) => Ok(axum::response::IntoResponse::into_response(Redirect::to(
            &format!("/collections/{}", c.id),
        ))),
        Err(e) => {
            let (status, message) = input_problem(e)?;
            let list = collections::list(&state, staff.tenant).await?;
            Ok(page(status, list_view(&staff, &list, Some(&message))))
        }
    }
}

async fn collection_page(
    State(state): State<AppState>,
    PageSession(staff): PageSession<Staff>,
    PathParams(id): PathParams<CollectionId>,
) -> Result<Response, ApiError> {
    let c = collections::get(&state, staff.tenant, id).await?;
    let all = products::list(&state, staff.tenant, None).await?;
    let shop = crate::app::shops::overview(&state, staff.tenant).await?;
    let address = shop.url.map(|u| format!("{}collections/{}", u, c.handle));
    let body = html! {
        h1 { (c.title) }
        @if let Some(address) = &address {
            p { "In your shop at " a href=(address) { (address) } }
        }
        table {
            thead { tr { th scope="col" { "Product" } th scope="col" { "In this collection" } } }
            tbody {
                @for p in &all {
                    @let member = c.product_ids.contains(&p.id);
                    tr {
                        td { (p.title) }
                        td {
                            form.inline method="post" action={ "/collections/" (c.id) "/products" } {
                                input type="hidden" name="csrf" value=(staff.csrf);
                                input type="hidden" name="product_id" value=(p.id);
                                input type="hidden" name="member" value=(if member { "false" } else { "true" });
                                button type="submit" { @if member { "Remove" } @else { "Add" } }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(StatusCode::OK, layout(&c.title, Some(&staff), body)))
}

async fn membership_submit(
    State(state): State<AppState>,
    PathParams(id): PathParams<CollectionId>,
    CheckedForm(staff, f, _): CheckedForm<Staff, MembershipForm, CatalogEditor>,
) -> Result<Redirect, ApiError> {
    collections::set_member(&state, staff.tenant, id, f.product_id, f.member).await?;
    Ok(Redirect::to(&format!("/collections/{id}")))
}
