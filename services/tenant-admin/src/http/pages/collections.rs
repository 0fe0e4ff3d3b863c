//! Collections in the console: create, edit (title, address, description, place in the
//! shop's menu), choose products, delete after a confirmation page. Every form redirects
//! after it succeeds and shows a refused one again with what was typed.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use platform_auth::extract::{CheckedForm, PageRole, PageSession};
use platform_domain::{CollectionId, ProductId};
use platform_web::{PathParams, QueryParams};
use serde::Deserialize;

use super::layout::{Done, Problem, field, form_problem, layout, notice, page};
use crate::app::AppState;
use crate::app::collections::{self, CollectionInput, CollectionPatch, MENU_MAX};
use crate::app::products;
use crate::app::staff::Staff;
use crate::db::collections::Collection;
use crate::error::ApiError;
use crate::http::auth::{CatalogEditor, csrf_forms};

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/collections", get(list_page).post(create_submit))
        .route("/collections/{id}", get(collection_page).post(edit_submit))
        .route("/collections/{id}/products", post(membership_submit))
        .route(
            "/collections/{id}/delete",
            get(delete_page).post(delete_submit),
        )
}

#[derive(Deserialize)]
struct CollectionForm {
    csrf: String,
    #[serde(default)]
    title: String,
    in_menu: Option<String>,
}

#[derive(Deserialize)]
struct EditForm {
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    handle: String,
    #[serde(default)]
    description: String,
    in_menu: Option<String>,
}

#[derive(Deserialize)]
struct MembershipForm {
    csrf: String,
    product_id: ProductId,
    member: bool,
}

#[derive(Deserialize)]
struct CsrfOnly {
    csrf: String,
}

csrf_forms!(CollectionForm, EditForm, MembershipForm, CsrfOnly);

/// The new-collection form as typed, to show again after a refusal.
#[derive(Default)]
struct Draft<'a> {
    title: &'a str,
    in_menu: bool,
}

fn list_view(
    staff: &Staff,
    list: &[Collection],
    done: Option<&str>,
    problem: Option<&Problem>,
    draft: &Draft<'_>,
) -> Markup {
    let in_menu = list.iter().filter(|c| c.in_menu).count();
    let title = field(problem, "title", "c-title");
    layout(
        "Collections",
        Some(staff),
        html! {
            h1 { "Collections" }
            (notice(done))
            p { "Your shop's menu links " (in_menu) " of at most " (MENU_MAX) " collections; all of them are listed on its Collections page." }
            @if list.is_empty() { p { "No collections yet." } }
            ul {
                @for c in list {
                    li {
                        a href={ "/collections/" (c.id) } { (c.title) }
                        " (" (c.product_ids.len()) " products" @if c.in_menu { ", in the menu" } ")"
                    }
                }
            }
            form.card method="post" action="/collections" {
                h2 { "New collection" }
                (form_problem(problem, &["title"]))
                input type="hidden" name="csrf" value=(staff.csrf);
                label for="c-title" { "Title" }
                input #c-title name="title" required maxlength="200" value=(draft.title)
                    aria-invalid=[title.invalid] aria-describedby=[title.described_by];
                (title.note)
                label { input type="checkbox" name="in_menu" value="true" checked[draft.in_menu]; " Link it from the shop's menu" }
                button type="submit" { "Create" }
            }
        },
    )
}

async fn list_page(
    State(state): State<AppState>,
    PageSession(staff): PageSession<Staff>,
    QueryParams(q): QueryParams<Done>,
) -> Result<Response, ApiError> {
    let list = collections::list(&state, staff.tenant).await?;
    let done = q.done.as_deref().map(|d| match d {
        "deleted" => "Deleted. Its products stay in your catalog.",
        _ => "Saved.",
    });
    Ok(page(
        StatusCode::OK,
        list_view(&staff, &list, done, None, &Draft::default()),
    ))
}

async fn create_submit(
    State(state): State<AppState>,
    CheckedForm(staff, f, _): CheckedForm<Staff, CollectionForm, CatalogEditor>,
) -> Result<Response, ApiError> {
    let input = CollectionInput {
        title: f.title.clone(),
        handle: None,
        description: None,
        in_menu: Some(f.in_menu.is_some()),
    };
    match collections::create(&state, staff.tenant, input).await {
        Ok(c) => Ok(Redirect::to(&format!("/collections/{}?done=created", c.id)).into_response()),
        Err(e) => {
            let (status, problem) = Problem::of(e)?;
            let list = collections::list(&state, staff.tenant).await?;
            let draft = Draft {
                title: &f.title,
                in_menu: f.in_menu.is_some(),
            };
            Ok(page(
                status,
                list_view(&staff, &list, None, Some(&problem), &draft),
            ))
        }
    }
}

/// The collection's page: its fields, its public address, its products.
async fn collection_view(
    state: &AppState,
    staff: &Staff,
    c: &Collection,
    shown: &Collection,
    done: Option<&str>,
    problem: Option<&Problem>,
) -> Result<Markup, ApiError> {
    let [title, handle, description, menu] = [
        ("title", "c-title"),
        ("handle", "c-handle"),
        ("description", "c-description"),
        ("menu", "c-menu"),
    ]
    .map(|(name, id)| field(problem, name, id));
    let all = products::list(state, staff.tenant, None).await?;
    let shop = crate::app::shops::overview(state, staff.tenant).await?;
    let address = shop.url.map(|u| format!("{}collections/{}", u, c.handle));
    let body = html! {
        h1 { (c.title) }
        (notice(done))
        @if let Some(address) = &address {
            p { "In your shop at " a href=(address) { (address) } }
        }
        form.card method="post" action={ "/collections/" (c.id) } {
            h2 { "Details" }
            (form_problem(problem, &["title", "handle", "description", "menu"]))
            input type="hidden" name="csrf" value=(staff.csrf);
            label for="c-title" { "Title" }
            input #c-title name="title" required maxlength="200" value=(shown.title)
                aria-invalid=[title.invalid] aria-describedby=[title.described_by];
            (title.note)
            label for="c-handle" { "Address (lowercase letters, digits and dashes; changing it changes the link)" }
            input #c-handle name="handle" required maxlength="100" value=(shown.handle)
                aria-invalid=[handle.invalid] aria-describedby=[handle.described_by];
            (handle.note)
            label for="c-description" { "Description (shown above its products)" }
            textarea #c-description name="description" rows="4" maxlength="20000"
                aria-invalid=[description.invalid] aria-describedby=[description.described_by] { (shown.description) }
            (description.note)
            label { input #c-menu type="checkbox" name="in_menu" value="true" checked[shown.in_menu]
                aria-invalid=[menu.invalid] aria-describedby=[menu.described_by];
                " Link it from the shop's menu (at most " (MENU_MAX) " collections)" }
            (menu.note)
            button type="submit" { "Save" }
        }
        h2 { "Products" }
        @if all.is_empty() { p { "Your catalog has no products yet." } }
        table tabindex="0" {
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
        p { a.danger href={ "/collections/" (c.id) "/delete" } { "Delete this collection" } }
    };
    Ok(layout(&c.title, Some(staff), body))
}

async fn collection_page(
    State(state): State<AppState>,
    PageSession(staff): PageSession<Staff>,
    PathParams(id): PathParams<CollectionId>,
    QueryParams(q): QueryParams<Done>,
) -> Result<Response, ApiError> {
    let c = collections::get(&state, staff.tenant, id).await?;
    let done = q.done.as_deref().map(|d| match d {
        "created" => "Created. Add its products below.",
        "added" => "Added to the collection.",
        "removed" => "Taken out of the collection; the product stays in your catalog.",
        _ => "Saved. Your shop shows it at once.",
    });
    let view = collection_view(&state, &staff, &c, &c, done, None).await?;
    Ok(page(StatusCode::OK, view))
}

async fn edit_submit(
    State(state): State<AppState>,
    PathParams(id): PathParams<CollectionId>,
    CheckedForm(staff, f, _): CheckedForm<Staff, EditForm, CatalogEditor>,
) -> Result<Response, ApiError> {
    let patch = CollectionPatch {
        title: Some(f.title.clone()),
        handle: Some(f.handle.clone()),
        description: Some(f.description.clone()),
        in_menu: Some(f.in_menu.is_some()),
    };
    match collections::update(&state, staff.tenant, id, patch).await {
        Ok(_) => Ok(Redirect::to(&format!("/collections/{id}?done=saved")).into_response()),
        Err(e) => {
            let (status, problem) = Problem::of(e)?;
            let c = collections::get(&state, staff.tenant, id).await?;
            let shown = Collection {
                title: f.title,
                handle: f.handle,
                description: f.description,
                in_menu: f.in_menu.is_some(),
                ..c.clone()
            };
            let view = collection_view(&state, &staff, &c, &shown, None, Some(&problem)).await?;
            Ok(page(status, view))
        }
    }
}

async fn membership_submit(
    State(state): State<AppState>,
    PathParams(id): PathParams<CollectionId>,
    CheckedForm(staff, f, _): CheckedForm<Staff, MembershipForm, CatalogEditor>,
) -> Result<Redirect, ApiError> {
    collections::set_member(&state, staff.tenant, id, f.product_id, f.member).await?;
    let done = if f.member { "added" } else { "removed" };
    Ok(Redirect::to(&format!("/collections/{id}?done={done}")))
}

/// Deleting asks first.
async fn delete_page(
    State(state): State<AppState>,
    PageRole(staff, _): PageRole<CatalogEditor, Staff>,
    PathParams(id): PathParams<CollectionId>,
) -> Result<Response, ApiError> {
    let c = collections::get(&state, staff.tenant, id).await?;
    Ok(page(
        StatusCode::OK,
        layout(
            "Delete collection",
            Some(&staff),
            html! {
                h1 { "Delete the collection “" (c.title) "”?" }
                p { "Its " (c.product_ids.len()) " products stay in your catalog; the collection's page and its place in the menu go. This cannot be undone." }
                form.card method="post" action={ "/collections/" (c.id) "/delete" } {
                    input type="hidden" name="csrf" value=(staff.csrf);
                    button.danger type="submit" { "Delete it" }
                }
                p { a href={ "/collections/" (c.id) } { "Keep it and go back" } }
            },
        ),
    ))
}

async fn delete_submit(
    State(state): State<AppState>,
    PathParams(id): PathParams<CollectionId>,
    CheckedForm(staff, _, _): CheckedForm<Staff, CsrfOnly, CatalogEditor>,
) -> Result<Redirect, ApiError> {
    collections::delete(&state, staff.tenant, id).await?;
    Ok(Redirect::to("/collections?done=deleted"))
}
