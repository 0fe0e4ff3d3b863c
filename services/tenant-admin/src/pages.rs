//! The merchant console: server-rendered pages that work without JavaScript.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{DOCTYPE, Markup, html};
use platform_auth::Token;
use platform_web::{ClientIp, FormBody, QueryParams};
use secrecy::SecretString;
use serde::Deserialize;
use uuid::Uuid;

use crate::catalog::{self, ProductInput, VariantInput};
use crate::session::{
    self, FORM_CSRF_COOKIE, LoginInput, SignupInput, Staff, StaffForm, check_form_csrf,
};
use crate::{ApiError, AppState};

const CSS: &str = include_str!("admin.css");

/// Routes of the console.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/assets/admin.css", get(css))
        .route("/signup", get(signup_page).post(signup_submit))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", axum::routing::post(logout_submit))
        .route("/products", get(products_page))
        .route(
            "/products/new",
            get(new_product_page).post(new_product_submit),
        )
        .merge(more::routes())
        .merge(catalog_pages::routes())
}

async fn css() -> Response {
    let mut r = CSS.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

fn layout(title: &str, staff: Option<&Staff>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Shop admin" }
                link rel="stylesheet" href="/assets/admin.css";
            }
            body {
                header.top {
                    a.brand href="/" { "Shop admin" }
                    @if let Some(staff) = staff {
                        nav {
                            a href="/products" { "Products" }
                            a href="/products/new" { "New product" }
                            a href="/collections" { "Collections" }
                            a href="/catalog" { "Import/export" }
                            a href="/settings" { "Settings" }
                            a href="/privacy" { "Privacy policy" }
                            form method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(staff.csrf);
                                button type="submit" { "Log out" }
                            }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

fn error_box(message: Option<&str>) -> Markup {
    html! {
        @if let Some(m) = message {
            p.error role="alert" { (m) }
        }
    }
}

/// A fresh double-submit token: set as a cookie and rendered in the form.
fn form_token() -> (String, HeaderValue) {
    let token = Token::generate().as_str().to_owned();
    let cookie = format!("{FORM_CSRF_COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict");
    let value = HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""));
    (token, value)
}

fn page_with_token(status: StatusCode, render: impl FnOnce(&str) -> Markup) -> Response {
    let (token, cookie) = form_token();
    let mut r = (status, Html(render(&token).into_string())).into_response();
    r.headers_mut().insert(header::SET_COOKIE, cookie);
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn message_of(e: &ApiError) -> String {
    match e {
        ApiError::Invalid(i) => i.message.clone(),
        ApiError::Conflict(_, m) => m.clone(),
        ApiError::InvalidRows(_) => "Some rows are invalid.".to_owned(),
        other => {
            let web = match other {
                ApiError::InvalidCredentials => "The shop, email or password is not right.",
                ApiError::Throttled(..) => "Too many attempts. Please wait a moment and try again.",
                ApiError::Busy => {
                    "We are handling many logins right now. Please try again in a moment."
                }
                ApiError::Csrf => "This form has expired. Please try again.",
                _ => "Something went wrong on our side. Please try again.",
            };
            web.to_owned()
        }
    }
}

fn status_of(e: &ApiError) -> StatusCode {
    match e {
        ApiError::Invalid(_) | ApiError::InvalidRows(_) => StatusCode::UNPROCESSABLE_ENTITY,
        ApiError::Conflict(..) => StatusCode::CONFLICT,
        ApiError::InvalidCredentials | ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
        ApiError::Throttled(..) => StatusCode::TOO_MANY_REQUESTS,
        ApiError::Busy => StatusCode::SERVICE_UNAVAILABLE,
        ApiError::Csrf | ApiError::Forbidden => StatusCode::FORBIDDEN,
        ApiError::NotFound => StatusCode::NOT_FOUND,
        ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match session_of(&state, &headers).await {
        Some(_) => Redirect::to("/products").into_response(),
        None => Redirect::to("/login").into_response(),
    }
}

/// The staff member of a page request, if logged in (pages redirect to /login otherwise).
async fn session_of(state: &AppState, headers: &HeaderMap) -> Option<Staff> {
    session::authenticate(headers, state).await.ok()
}

crate::session::csrf_forms!(CsrfOnly, NewProductForm);

#[derive(Deserialize, Default)]
struct SignupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    handle: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

fn signup_form(token: &str, domain: &str, form: &SignupForm, error: Option<&str>) -> Markup {
    layout(
        "Open your shop",
        None,
        html! {
            h1 { "Open your shop" }
            (error_box(error))
            form.card method="post" action="/signup" {
                input type="hidden" name="csrf" value=(token);
                label for="handle" { "Shop handle" }
                input #handle name="handle" required minlength="3" maxlength="40" pattern="[a-z0-9-]+" value=(form.handle) aria-describedby="handle-help";
                small #handle-help { "Your shop will live at " code { "<handle>." (domain) } ". Letters a–z, digits and hyphens." }
                label for="display_name" { "Shop name" }
                input #display_name name="display_name" required maxlength="100" value=(form.display_name);
                label for="currency" { "Currency (ISO 4217)" }
                input #currency name="currency" required minlength="3" maxlength="3" value=(if form.currency.is_empty() { "EUR" } else { &form.currency });
                label for="email" { "Your email" }
                input #email name="email" type="email" required autocomplete="email" value=(form.email);
                label for="password" { "Password (at least 12 characters)" }
                input #password name="password" type="password" required minlength="12" autocomplete="new-password";
                button type="submit" { "Open shop" }
            }
            p { "Already have a shop? " a href="/login" { "Log in" } }
        },
    )
}

async fn signup_page(State(state): State<AppState>) -> Response {
    page_with_token(StatusCode::OK, |t| {
        signup_form(t, &state.shop_domain, &SignupForm::default(), None)
    })
}

async fn signup_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    FormBody(form): FormBody<SignupForm>,
) -> Response {
    if let Err(e) = check_form_csrf(&headers, &form.csrf) {
        return page_with_token(status_of(&e), |t| {
            signup_form(t, &state.shop_domain, &form, Some(&message_of(&e)))
        });
    }
    let input = SignupInput {
        handle: form.handle.clone(),
        display_name: form.display_name.clone(),
        currency: form.currency.clone(),
        email: form.email.clone(),
        password: SecretString::from(form.password.clone()),
    };
    match session::signup(&state, input).await {
        Ok(created) => {
            Redirect::to(&format!("/login?shop={}&created=1", created.handle)).into_response()
        }
        Err(e) => {
            if matches!(e, ApiError::Internal(_)) {
                tracing::error!(error = %e, "sign-up failed");
            }
            page_with_token(status_of(&e), |t| {
                signup_form(t, &state.shop_domain, &form, Some(&message_of(&e)))
            })
        }
    }
}

#[derive(Deserialize, Default)]
struct LoginQuery {
    shop: Option<String>,
    created: Option<String>,
}

#[derive(Deserialize, Default)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    shop: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

fn login_form(
    token: &str,
    shop: &str,
    email: &str,
    notice: Option<&str>,
    error: Option<&str>,
) -> Markup {
    layout(
        "Log in",
        None,
        html! {
            h1 { "Log in to your shop" }
            @if let Some(n) = notice { p.notice role="status" { (n) } }
            (error_box(error))
            form.card method="post" action="/login" {
                input type="hidden" name="csrf" value=(token);
                label for="shop" { "Shop handle" }
                input #shop name="shop" required value=(shop);
                label for="email" { "Email" }
                input #email name="email" type="email" required autocomplete="username" value=(email);
                label for="password" { "Password" }
                input #password name="password" type="password" required autocomplete="current-password";
                button type="submit" { "Log in" }
            }
            p { "New here? " a href="/signup" { "Open a shop" } }
        },
    )
}

async fn login_page(QueryParams(q): QueryParams<LoginQuery>) -> Response {
    let notice = q
        .created
        .is_some()
        .then_some("Your shop is ready. Log in to add products.");
    page_with_token(StatusCode::OK, |t| {
        login_form(t, q.shop.as_deref().unwrap_or(""), "", notice, None)
    })
}

async fn login_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    FormBody(form): FormBody<LoginForm>,
) -> Response {
    if let Err(e) = check_form_csrf(&headers, &form.csrf) {
        return page_with_token(status_of(&e), |t| {
            login_form(t, &form.shop, &form.email, None, Some(&message_of(&e)))
        });
    }
    let input = LoginInput {
        shop: form.shop.clone(),
        email: form.email.clone(),
        password: SecretString::from(form.password.clone()),
    };
    match session::login(&state, ip, input).await {
        Ok(s) => {
            let mut r = Redirect::to("/products").into_response();
            r.headers_mut()
                .insert(header::SET_COOKIE, session::session_cookie(&s.cookie));
            r
        }
        Err(e) => page_with_token(status_of(&e), |t| {
            login_form(t, &form.shop, &form.email, None, Some(&message_of(&e)))
        }),
    }
}

#[derive(Deserialize)]
struct CsrfOnly {
    csrf: String,
}

async fn logout_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    StaffForm(staff, _): StaffForm<CsrfOnly>,
) -> Result<Response, ApiError> {
    session::logout(&state, &headers, &staff).await?;
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, session::clear_session_cookie());
    Ok(r)
}

fn money(minor: i64, currency: &str) -> String {
    format!("{}.{:02} {currency}", minor / 100, (minor % 100).abs())
}

async fn products_page(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Some(staff) = session_of(&state, &headers).await else {
        return Ok(Redirect::to("/login").into_response());
    };
    let mut tx = state.db.begin(staff.tenant).await?;
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "select id from products where tenant_id = $1 order by created_at desc, id desc limit 200",
    )
    .bind(staff.tenant)
    .fetch_all(&mut tx)
    .await?;
    let mut products = Vec::new();
    for id in ids {
        products.push(catalog::load(&mut tx, id).await?);
    }
    let (name, hosts): (String, Vec<String>) =
        sqlx::query_as("select display_name, host_names from tenants where id = $1")
            .bind(staff.tenant)
            .fetch_one(&mut tx)
            .await?;
    tx.commit().await?;
    let shop_url = hosts.first().map(|h| {
        if state.storefront_port == 443 {
            format!("https://{h}/")
        } else {
            format!("https://{h}:{}/", state.storefront_port)
        }
    });
    let page = layout(
        "Products",
        Some(&staff),
        html! {
            h1 { (name) ": products" }
            @if let Some(url) = shop_url { p { "Your shop: " a href=(url) { (url) } } }
            @if products.is_empty() {
                p { "No products yet. " a href="/products/new" { "Add your first product" } "." }
            } @else {
                table {
                    thead { tr { th scope="col" { "Title" } th scope="col" { "Status" } th scope="col" { "Variants" } th scope="col" { "Price" } th scope="col" { "Stock" } } }
                    tbody {
                        @for p in &products {
                            tr {
                                td { a href={ "/products/" (p.id) } { (p.title) } br; small { (p.handle) } }
                                td { (p.status) }
                                td { (p.variants.len()) }
                                td { @if let Some(v) = p.variants.first() { (money(v.price_minor, &v.currency)) } }
                                td { (p.variants.iter().map(|v| i64::from(v.stock)).sum::<i64>()) }
                            }
                        }
                    }
                }
            }
        },
    );
    Ok(Html(page.into_string()).into_response())
}

#[derive(Deserialize, Default)]
struct NewProductForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    image_url: String,
    #[serde(default)]
    sku: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    stock: String,
}

fn new_product_form(staff: &Staff, form: &NewProductForm, error: Option<&str>) -> Markup {
    layout(
        "New product",
        Some(staff),
        html! {
            h1 { "New product" }
            (error_box(error))
            form.card method="post" action="/products/new" {
                input type="hidden" name="csrf" value=(staff.csrf);
                label for="title" { "Title" }
                input #title name="title" required maxlength="200" value=(form.title);
                label for="description" { "Description" }
                textarea #description name="description" rows="5" maxlength="20000" { (form.description) }
                label for="image_url" { "Image URL (optional)" }
                input #image_url name="image_url" type="url" value=(form.image_url);
                label for="sku" { "SKU" }
                input #sku name="sku" required maxlength="64" value=(form.sku);
                label for="price" { "Price (for example 12.50)" }
                input #price name="price" required inputmode="decimal" value=(form.price);
                label for="stock" { "Stock" }
                input #stock name="stock" type="number" min="0" value=(if form.stock.is_empty() { "0" } else { &form.stock });
                fieldset {
                    legend { "Status" }
                    label { input type="radio" name="status" value="active" checked[form.status != "draft"]; " Active (visible in the shop)" }
                    label { input type="radio" name="status" value="draft" checked[form.status == "draft"]; " Draft" }
                }
                button type="submit" { "Save product" }
            }
        },
    )
}

async fn new_product_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match session_of(&state, &headers).await {
        Some(staff) => {
            Html(new_product_form(&staff, &NewProductForm::default(), None).into_string())
                .into_response()
        }
        None => Redirect::to("/login").into_response(),
    }
}

/// Parses "12.5", "12.50" or "12" into minor units (two decimals).
fn parse_price(text: &str) -> Option<i64> {
    let t = text.trim();
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty()
        || frac.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = format!("{frac:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(frac)
}

async fn new_product_submit(
    State(state): State<AppState>,
    StaffForm(staff, form): StaffForm<NewProductForm>,
) -> Result<Response, ApiError> {
    staff.require_owner()?;
    let Some(price_minor) = parse_price(&form.price) else {
        let page = new_product_form(
            &staff,
            &form,
            Some("Please enter the price as a number, such as 12.50."),
        );
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.into_string())).into_response());
    };
    let input = ProductInput {
        title: form.title.clone(),
        handle: None,
        description: Some(form.description.clone()),
        status: Some(if form.status == "draft" {
            "draft".into()
        } else {
            "active".into()
        }),
        featured: Some(true),
        image_urls: Some(if form.image_url.trim().is_empty() {
            vec![]
        } else {
            vec![form.image_url.clone()]
        }),
        variants: Some(vec![VariantInput {
            sku: form.sku.clone(),
            title: None,
            price_minor,
            currency: None,
            stock: Some(form.stock.trim().parse().unwrap_or(0)),
            options: None,
        }]),
    };
    let mut tx = state.db.begin(staff.tenant).await?;
    match catalog::create(&mut tx, input).await {
        Ok(_) => {
            tx.commit().await?;
            Ok(Redirect::to("/products").into_response())
        }
        Err(e @ (ApiError::Invalid(_) | ApiError::Conflict(..))) => {
            let page = new_product_form(&staff, &form, Some(&message_of(&e)));
            Ok((status_of(&e), Html(page.into_string())).into_response())
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_price;

    #[test]
    fn prices_parse_to_minor_units() {
        assert_eq!(parse_price("12.50"), Some(1250));
        assert_eq!(parse_price("12.5"), Some(1250));
        assert_eq!(parse_price("12"), Some(1200));
        assert_eq!(parse_price("0.05"), Some(5));
        assert_eq!(parse_price("-1"), None);
        assert_eq!(parse_price("1.234"), None);
        assert_eq!(parse_price("abc"), None);
    }
}

/// Console pages for settings, the privacy policy and CSV import/export.
pub(crate) mod more {
    crate::session::csrf_forms!(SettingsForm, DraftForm, PublishForm);

    use axum::Router;
    use axum::extract::{Multipart, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::{Html, IntoResponse, Redirect, Response};
    use axum::routing::{get, post};
    use maud::{Markup, html};
    use serde::Deserialize;
    use serde_json::{Value, json};

    use super::{error_box, layout, message_of, session_of, status_of};
    use crate::session::{Staff, StaffForm};
    use crate::settings::{self, CHECKOUT_FIELDS, Settings};
    use crate::{ApiError, AppState, csv_io};

    pub(crate) fn routes() -> Router<AppState> {
        Router::new()
            .route("/settings", get(settings_page).post(settings_submit))
            .route("/privacy", get(privacy_page))
            .route("/privacy/draft", post(draft_submit))
            .route("/privacy/publish", post(publish_submit))
            .route("/catalog", get(catalog_page).post(import_submit))
    }

    async fn current_settings(state: &AppState, staff: &Staff) -> Result<Settings, ApiError> {
        let axum::Json(s) = settings::get_settings(State(state.clone()), staff.clone()).await?;
        Ok(s)
    }

    fn settings_form(
        staff: &Staff,
        s: &Settings,
        notice: Option<&str>,
        error: Option<&str>,
    ) -> Markup {
        layout(
            "Settings",
            Some(staff),
            html! {
                h1 { "Store settings" }
                @if let Some(n) = notice { p.notice role="status" { (n) } }
                (error_box(error))
                form.card method="post" action="/settings" {
                    input type="hidden" name="csrf" value=(staff.csrf);
                    label for="display_name" { "Shop name" }
                    input #display_name name="display_name" required maxlength="100" value=(s.display_name);
                    label for="contact_email" { "Contact email (shown to visitors)" }
                    input #contact_email name="contact_email" type="email" required value=(s.contact_email);
                    label for="currency" { "Currency (ISO 4217)" }
                    input #currency name="currency" required minlength="3" maxlength="3" value=(s.currency);
                    label for="host_names" { "Host names (one per line)" }
                    textarea #host_names name="host_names" rows="3" { (s.host_names.join("\n")) }
                    label for="cart_ttl_days" { "Keep visitors' carts for (days without activity, 1–90)" }
                    input #cart_ttl_days name="cart_ttl_days" type="number" min="1" max="90" required value=(s.cart_ttl_days);
                    fieldset {
                        legend { "Checkout fields: what buyers are asked for" }
                        @for f in CHECKOUT_FIELDS {
                            @let current = s.checkout_fields.get(f).and_then(Value::as_str).unwrap_or("optional");
                            label for={ "field-" (f) } { (f) }
                            select #{ "field-" (f) } name=(f) {
                                @for opt in ["required", "optional", "hidden"] {
                                    option value=(opt) selected[opt == current] { (opt) }
                                }
                            }
                        }
                    }
                    button type="submit" { "Save settings" }
                }
            },
        )
    }

    async fn settings_page(
        State(state): State<AppState>,
        headers: HeaderMap,
    ) -> Result<Response, ApiError> {
        let Some(staff) = session_of(&state, &headers).await else {
            return Ok(Redirect::to("/login").into_response());
        };
        let s = current_settings(&state, &staff).await?;
        Ok(Html(settings_form(&staff, &s, None, None).into_string()).into_response())
    }

    #[derive(Deserialize)]
    struct SettingsForm {
        csrf: String,
        display_name: String,
        contact_email: String,
        currency: String,
        host_names: String,
        cart_ttl_days: i32,
        name: String,
        email: String,
        phone: String,
        address: String,
    }

    async fn settings_submit(
        State(state): State<AppState>,
        StaffForm(staff, f): StaffForm<SettingsForm>,
    ) -> Result<Response, ApiError> {
        let input = Settings {
            display_name: f.display_name,
            contact_email: f.contact_email,
            currency: f.currency,
            host_names: f
                .host_names
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            checkout_fields: json!({ "name": f.name, "email": f.email, "phone": f.phone, "address": f.address }),
            cart_ttl_days: f.cart_ttl_days,
        };
        match settings::save_settings(&state, &staff, input).await {
            Ok(saved) => Ok(Html(
                settings_form(&staff, &saved, Some("Settings saved."), None).into_string(),
            )
            .into_response()),
            Err(e @ (ApiError::Invalid(_) | ApiError::Conflict(..))) => {
                let s = current_settings(&state, &staff).await?;
                Ok((
                    status_of(&e),
                    Html(settings_form(&staff, &s, None, Some(&message_of(&e))).into_string()),
                )
                    .into_response())
            }
            Err(e) => Err(e),
        }
    }

    fn privacy_view(
        staff: &Staff,
        versions: &[settings::PolicyVersion],
        notice: Option<&str>,
        error: Option<&str>,
    ) -> Markup {
        let draft = versions.iter().find(|v| v.status == "draft");
        layout(
            "Privacy policy",
            Some(staff),
            html! {
                h1 { "Privacy policy" }
                @if let Some(n) = notice { p.notice role="status" { (n) } }
                (error_box(error))
                form.card method="post" action="/privacy/draft" {
                    input type="hidden" name="csrf" value=(staff.csrf);
                    label for="body" { @if let Some(d) = draft { "Draft of version " (d.version) } @else { "New version" } }
                    textarea #body name="body" rows="12" required { @if let Some(d) = draft { (d.body) } }
                    button type="submit" { "Save draft" }
                }
                @if draft.is_some() {
                    form.card method="post" action="/privacy/publish" {
                        input type="hidden" name="csrf" value=(staff.csrf);
                        label for="effective_on" { "Takes effect on (leave empty for now; a later date announces the change first)" }
                        input #effective_on name="effective_on" type="date";
                        button type="submit" { "Publish" }
                    }
                }
                h2 { "Published versions" }
                ul {
                    @for v in versions.iter().filter(|v| v.status == "published") {
                        li { "Version " (v.version) @if let Some(at) = v.effective_at { ", effective " (at.format("%Y-%m-%d %H:%M UTC")) } }
                    }
                }
            },
        )
    }

    async fn privacy_page(
        State(state): State<AppState>,
        headers: HeaderMap,
    ) -> Result<Response, ApiError> {
        let Some(staff) = session_of(&state, &headers).await else {
            return Ok(Redirect::to("/login").into_response());
        };
        let versions = settings::versions(&state, &staff).await?;
        Ok(Html(privacy_view(&staff, &versions, None, None).into_string()).into_response())
    }

    #[derive(Deserialize)]
    struct DraftForm {
        csrf: String,
        body: String,
    }

    async fn draft_submit(
        State(state): State<AppState>,
        StaffForm(staff, f): StaffForm<DraftForm>,
    ) -> Result<Response, ApiError> {
        staff.require_owner()?;
        let outcome = settings::save_draft_body(&state, &staff, &f.body).await;
        let versions = settings::versions(&state, &staff).await?;
        Ok(match outcome {
            Ok(_) => {
                Html(privacy_view(&staff, &versions, Some("Draft saved."), None).into_string())
                    .into_response()
            }
            Err(e @ ApiError::Invalid(_)) => (
                status_of(&e),
                Html(privacy_view(&staff, &versions, None, Some(&message_of(&e))).into_string()),
            )
                .into_response(),
            Err(e) => return Err(e),
        })
    }

    #[derive(Deserialize)]
    struct PublishForm {
        csrf: String,
        #[serde(default)]
        effective_on: String,
    }

    async fn publish_submit(
        State(state): State<AppState>,
        StaffForm(staff, f): StaffForm<PublishForm>,
    ) -> Result<Response, ApiError> {
        let effective = match f.effective_on.trim() {
            "" => None,
            day => Some(
                chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
                    .ok()
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(|d| d.and_utc())
                    .ok_or(ApiError::Invalid(crate::domain::Invalid {
                        code: "policy.date_invalid",
                        message: "Please give the date as YYYY-MM-DD.".to_owned(),
                    }))?,
            ),
        };
        let outcome = settings::publish(&state, &staff, effective).await;
        let versions = settings::versions(&state, &staff).await?;
        Ok(match outcome {
            Ok((_, version, _)) => Html(
                privacy_view(
                    &staff,
                    &versions,
                    Some(&format!("Version {version} published.")),
                    None,
                )
                .into_string(),
            )
            .into_response(),
            Err(e @ (ApiError::Invalid(_) | ApiError::Conflict(..))) => (
                status_of(&e),
                Html(privacy_view(&staff, &versions, None, Some(&message_of(&e))).into_string()),
            )
                .into_response(),
            Err(e) => return Err(e),
        })
    }

    fn catalog_view(staff: &Staff, notice: Option<&str>, errors: &[String]) -> Markup {
        layout(
            "Catalog CSV",
            Some(staff),
            html! {
                h1 { "Catalog import and export" }
                @if let Some(n) = notice { p.notice role="status" { (n) } }
                @if !errors.is_empty() {
                    div.error role="alert" {
                        p { "Nothing was imported. Please fix these lines and try again:" }
                        ul { @for e in errors { li { (e) } } }
                    }
                }
                p { a href="/api/v1/catalog.csv" download="catalog.csv" { "Download the catalog as CSV" } }
                form.card method="post" action="/catalog" enctype="multipart/form-data" {
                    input type="hidden" name="csrf" value=(staff.csrf);
                    label for="file" { "CSV file to import (one row per variant)" }
                    input #file name="file" type="file" accept=".csv,text/csv" required;
                    button type="submit" { "Import" }
                }
            },
        )
    }

    async fn catalog_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
        match session_of(&state, &headers).await {
            Some(staff) => Html(catalog_view(&staff, None, &[]).into_string()).into_response(),
            None => Redirect::to("/login").into_response(),
        }
    }

    async fn import_submit(
        State(state): State<AppState>,
        headers: HeaderMap,
        mut form: Multipart,
    ) -> Result<Response, ApiError> {
        let staff = session_of(&state, &headers)
            .await
            .ok_or(ApiError::Unauthenticated)?;
        let (mut csrf, mut file) = (String::new(), Vec::new());
        while let Some(field) = form.next_field().await.map_err(|_| ApiError::Csrf)? {
            match field.name() {
                Some("csrf") => csrf = field.text().await.map_err(|_| ApiError::Csrf)?,
                Some("file") => {
                    file = field
                        .bytes()
                        .await
                        .map_err(|_| {
                            ApiError::Invalid(crate::domain::Invalid {
                                code: "catalog.csv_unreadable",
                                message: "The file could not be read.".to_owned(),
                            })
                        })?
                        .to_vec()
                }
                _ => {}
            }
        }
        if !platform_auth::secrets_equal(&csrf, &staff.csrf) {
            return Err(ApiError::Csrf);
        }
        Ok(match csv_io::import(&state, &staff, &file).await {
            Ok(summary) => {
                let notice = format!(
                    "Imported {} products ({} new) with {} variants.",
                    summary["products"], summary["products_created"], summary["variants"]
                );
                Html(catalog_view(&staff, Some(&notice), &[]).into_string()).into_response()
            }
            Err(ApiError::InvalidRows(rows)) => {
                let errors: Vec<String> = rows
                    .iter()
                    .map(|(line, i)| format!("Line {line}: {}", i.message))
                    .collect();
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Html(catalog_view(&staff, None, &errors).into_string()),
                )
                    .into_response()
            }
            Err(e @ (ApiError::Invalid(_) | ApiError::Conflict(..))) => (
                status_of(&e),
                Html(catalog_view(&staff, None, &[message_of(&e)]).into_string()),
            )
                .into_response(),
            Err(e) => return Err(e),
        })
    }
}

/// Console pages for editing products and variants and for collections.
pub(crate) mod catalog_pages {
    crate::session::csrf_forms!(
        EditForm,
        VariantForm,
        VariantEditForm,
        CollectionForm,
        MembershipForm
    );

    use axum::Router;
    use axum::extract::State;
    use axum::http::HeaderMap;
    use axum::response::{Html, IntoResponse, Redirect, Response};
    use axum::routing::{get, post};
    use maud::{Markup, html};
    use platform_web::{JsonBody, PathParams};
    use serde::Deserialize;
    use serde_json::Value;
    use uuid::Uuid;

    use super::{
        CsrfOnly, error_box, layout, message_of, money, parse_price, session_of, status_of,
    };
    use crate::catalog::{self, Collection, Product, ProductPatch, VariantInput, VariantPatch};
    use crate::session::{Staff, StaffForm};
    use crate::{ApiError, AppState};

    pub(crate) fn routes() -> Router<AppState> {
        Router::new()
            .route("/products/{id}", get(edit_page).post(edit_submit))
            .route("/products/{id}/variants", post(add_variant))
            .route("/products/{id}/delete", post(delete_submit))
            .route("/variants/{id}", post(variant_submit))
            .route(
                "/collections",
                get(collections_page).post(collection_create),
            )
            .route("/collections/{id}", get(collection_page))
            .route("/collections/{id}/products", post(collection_membership))
    }

    fn invalid(code: &'static str, message: &str) -> ApiError {
        ApiError::Invalid(crate::domain::Invalid {
            code,
            message: message.to_owned(),
        })
    }

    fn edit_view(staff: &Staff, p: &Product, error: Option<&str>) -> Markup {
        layout(
            &p.title,
            Some(staff),
            html! {
                h1 { "Edit " (p.title) }
                (error_box(error))
                form.card method="post" action={ "/products/" (p.id) } {
                    input type="hidden" name="csrf" value=(staff.csrf);
                    label for="title" { "Title" }
                    input #title name="title" required maxlength="200" value=(p.title);
                    label for="handle" { "Handle (URL)" }
                    input #handle name="handle" required maxlength="100" value=(p.handle);
                    label for="description" { "Description" }
                    textarea #description name="description" rows="5" { (p.description) }
                    label for="image_urls" { "Image URLs (one per line)" }
                    textarea #image_urls name="image_urls" rows="3" { (p.image_urls.join("\n")) }
                    fieldset {
                        legend { "Status" }
                        @for s in ["active", "draft", "archived"] {
                            label { input type="radio" name="status" value=(s) checked[p.status == s]; " " (s) }
                        }
                    }
                    label { input type="checkbox" name="featured" value="true" checked[p.featured]; " Featured on the home page" }
                    button type="submit" { "Save product" }
                }
                h2 { "Variants" }
                table {
                    thead { tr { th scope="col" { "SKU" } th scope="col" { "Title" } th scope="col" { "Price" } th scope="col" { "Stock" } th scope="col" { span.visually-hidden { "Save" } } } }
                    tbody {
                        @for v in &p.variants {
                            tr {
                                td { (v.sku) }
                                td { (v.title) }
                                td colspan="3" {
                                    form.inline method="post" action={ "/variants/" (v.id) } {
                                        input type="hidden" name="csrf" value=(staff.csrf);
                                        input type="hidden" name="product_id" value=(p.id);
                                        label { "Price " input name="price" inputmode="decimal" size="8" value=(money(v.price_minor, "").trim()); }
                                        " " (v.currency) " "
                                        label { "Stock " input name="stock" type="number" min="0" value=(v.stock); }
                                        button type="submit" { "Save" }
                                    }
                                }
                            }
                        }
                    }
                }
                form.card method="post" action={ "/products/" (p.id) "/variants" } {
                    input type="hidden" name="csrf" value=(staff.csrf);
                    h3 { "Add a variant" }
                    label for="v-sku" { "SKU" } input #v-sku name="sku" required maxlength="64";
                    label for="v-title" { "Title (for example Large / Blue)" } input #v-title name="title" maxlength="200";
                    label for="v-price" { "Price" } input #v-price name="price" required inputmode="decimal";
                    label for="v-stock" { "Stock" } input #v-stock name="stock" type="number" min="0" value="0";
                    label for="v-options" { "Options (name=value;name=value)" } input #v-options name="options" placeholder="size=L;colour=blue";
                    button type="submit" { "Add variant" }
                }
                form method="post" action={ "/products/" (p.id) "/delete" } {
                    input type="hidden" name="csrf" value=(staff.csrf);
                    button.danger type="submit" { "Delete this product" }
                }
            },
        )
    }

    async fn load(state: &AppState, staff: &Staff, id: Uuid) -> Result<Product, ApiError> {
        let axum::Json(p) =
            catalog::get_product(State(state.clone()), staff.clone(), PathParams(id)).await?;
        Ok(p)
    }

    async fn edit_page(
        State(state): State<AppState>,
        headers: HeaderMap,
        PathParams(id): PathParams<Uuid>,
    ) -> Result<Response, ApiError> {
        let Some(staff) = session_of(&state, &headers).await else {
            return Ok(Redirect::to("/login").into_response());
        };
        let p = load(&state, &staff, id).await?;
        Ok(Html(edit_view(&staff, &p, None).into_string()).into_response())
    }

    #[derive(Deserialize)]
    struct EditForm {
        csrf: String,
        title: String,
        handle: String,
        #[serde(default)]
        description: String,
        #[serde(default)]
        image_urls: String,
        status: String,
        featured: Option<String>,
    }

    /// Re-renders the edit page with a validation message, or passes other errors on.
    async fn or_rerender(
        state: &AppState,
        staff: &Staff,
        id: Uuid,
        outcome: Result<(), ApiError>,
    ) -> Result<Response, ApiError> {
        match outcome {
            Ok(()) => Ok(Redirect::to(&format!("/products/{id}")).into_response()),
            Err(e @ (ApiError::Invalid(_) | ApiError::Conflict(..))) => {
                let p = load(state, staff, id).await?;
                Ok((
                    status_of(&e),
                    Html(edit_view(staff, &p, Some(&message_of(&e))).into_string()),
                )
                    .into_response())
            }
            Err(e) => Err(e),
        }
    }

    async fn edit_submit(
        State(state): State<AppState>,
        PathParams(id): PathParams<Uuid>,
        StaffForm(staff, f): StaffForm<EditForm>,
    ) -> Result<Response, ApiError> {
        let patch = ProductPatch {
            title: Some(f.title),
            handle: Some(f.handle),
            description: Some(f.description),
            status: Some(f.status),
            featured: Some(f.featured.is_some()),
            image_urls: Some(
                f.image_urls
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
        };
        let outcome = catalog::update_product(
            State(state.clone()),
            staff.clone(),
            PathParams(id),
            JsonBody(patch),
        )
        .await
        .map(|_| ());
        or_rerender(&state, &staff, id, outcome).await
    }

    #[derive(Deserialize)]
    struct VariantForm {
        csrf: String,
        sku: String,
        #[serde(default)]
        title: String,
        price: String,
        #[serde(default)]
        stock: String,
        #[serde(default)]
        options: String,
    }

    fn options_of(text: &str) -> Result<Value, ApiError> {
        let mut map = serde_json::Map::new();
        for pair in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').ok_or_else(|| {
                invalid(
                    "variant.options_invalid",
                    "Options are written name=value;name=value.",
                )
            })?;
            map.insert(k.trim().to_owned(), Value::from(v.trim()));
        }
        Ok(Value::Object(map))
    }

    async fn add_variant(
        State(state): State<AppState>,
        PathParams(id): PathParams<Uuid>,
        StaffForm(staff, f): StaffForm<VariantForm>,
    ) -> Result<Response, ApiError> {
        let outcome = async {
            let price_minor = parse_price(&f.price).ok_or_else(|| {
                invalid(
                    "variant.price_invalid",
                    "Please enter the price as a number, such as 12.50.",
                )
            })?;
            let input = VariantInput {
                sku: f.sku,
                title: Some(f.title).filter(|t| !t.trim().is_empty()),
                price_minor,
                currency: None,
                stock: Some(f.stock.trim().parse().unwrap_or(0)),
                options: Some(options_of(&f.options)?),
            };
            catalog::create_variant(
                State(state.clone()),
                staff.clone(),
                PathParams(id),
                JsonBody(input),
            )
            .await
            .map(|_| ())
        }
        .await;
        or_rerender(&state, &staff, id, outcome).await
    }

    #[derive(Deserialize)]
    struct VariantEditForm {
        csrf: String,
        product_id: Uuid,
        price: String,
        stock: String,
    }

    async fn variant_submit(
        State(state): State<AppState>,
        PathParams(id): PathParams<Uuid>,
        StaffForm(staff, f): StaffForm<VariantEditForm>,
    ) -> Result<Response, ApiError> {
        let outcome = async {
            let price_minor = parse_price(&f.price).ok_or_else(|| {
                invalid(
                    "variant.price_invalid",
                    "Please enter the price as a number, such as 12.50.",
                )
            })?;
            let stock = f
                .stock
                .trim()
                .parse()
                .map_err(|_| invalid("variant.stock_invalid", "Stock is a whole number."))?;
            let patch = VariantPatch {
                sku: None,
                title: None,
                price_minor: Some(price_minor),
                stock: Some(stock),
                options: None,
            };
            catalog::update_variant(
                State(state.clone()),
                staff.clone(),
                PathParams(id),
                JsonBody(patch),
            )
            .await
            .map(|_| ())
        }
        .await;
        or_rerender(&state, &staff, f.product_id, outcome).await
    }

    async fn delete_submit(
        State(state): State<AppState>,
        PathParams(id): PathParams<Uuid>,
        StaffForm(staff, _): StaffForm<CsrfOnly>,
    ) -> Result<Response, ApiError> {
        catalog::delete_product(State(state), staff, PathParams(id)).await?;
        Ok(Redirect::to("/products").into_response())
    }

    fn collections_view(staff: &Staff, collections: &[Collection], error: Option<&str>) -> Markup {
        layout(
            "Collections",
            Some(staff),
            html! {
                h1 { "Collections" }
                (error_box(error))
                @if collections.is_empty() { p { "No collections yet." } }
                ul { @for c in collections { li { a href={ "/collections/" (c.id) } { (c.title) } " (" (c.product_ids.len()) " products)" } } }
                form.card method="post" action="/collections" {
                    input type="hidden" name="csrf" value=(staff.csrf);
                    label for="c-title" { "New collection" }
                    input #c-title name="title" required maxlength="200";
                    button type="submit" { "Create" }
                }
            },
        )
    }

    async fn collections_page(
        State(state): State<AppState>,
        headers: HeaderMap,
    ) -> Result<Response, ApiError> {
        let Some(staff) = session_of(&state, &headers).await else {
            return Ok(Redirect::to("/login").into_response());
        };
        let axum::Json(list) =
            catalog::list_collections(State(state.clone()), staff.clone()).await?;
        Ok(Html(collections_view(&staff, &list, None).into_string()).into_response())
    }

    #[derive(Deserialize)]
    struct CollectionForm {
        csrf: String,
        title: String,
    }

    async fn collection_create(
        State(state): State<AppState>,
        StaffForm(staff, f): StaffForm<CollectionForm>,
    ) -> Result<Response, ApiError> {
        let input = catalog::CollectionInput {
            title: f.title,
            handle: None,
            description: None,
        };
        match catalog::create_collection(State(state.clone()), staff.clone(), JsonBody(input)).await
        {
            Ok((_, axum::Json(c))) => {
                Ok(Redirect::to(&format!("/collections/{}", c.id)).into_response())
            }
            Err(e @ (ApiError::Invalid(_) | ApiError::Conflict(..))) => {
                let axum::Json(list) =
                    catalog::list_collections(State(state.clone()), staff.clone()).await?;
                Ok((
                    status_of(&e),
                    Html(collections_view(&staff, &list, Some(&message_of(&e))).into_string()),
                )
                    .into_response())
            }
            Err(e) => Err(e),
        }
    }

    async fn collection_page(
        State(state): State<AppState>,
        headers: HeaderMap,
        PathParams(id): PathParams<Uuid>,
    ) -> Result<Response, ApiError> {
        let Some(staff) = session_of(&state, &headers).await else {
            return Ok(Redirect::to("/login").into_response());
        };
        let axum::Json(c) =
            catalog::get_collection(State(state.clone()), staff.clone(), PathParams(id)).await?;
        let axum::Json(products) = catalog::list_products(
            State(state.clone()),
            staff.clone(),
            platform_web::QueryParams(catalog::ListQuery { status: None }),
        )
        .await?;
        let page = layout(
            &c.title,
            Some(&staff),
            html! {
                h1 { (c.title) }
                table {
                    thead { tr { th scope="col" { "Product" } th scope="col" { "In this collection" } } }
                    tbody {
                        @for p in &products {
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
            },
        );
        Ok(Html(page.into_string()).into_response())
    }

    #[derive(Deserialize)]
    struct MembershipForm {
        csrf: String,
        product_id: Uuid,
        member: bool,
    }

    async fn collection_membership(
        State(state): State<AppState>,
        PathParams(id): PathParams<Uuid>,
        StaffForm(staff, f): StaffForm<MembershipForm>,
    ) -> Result<Response, ApiError> {
        if f.member {
            let _collection =
                catalog::add_to_collection(State(state), staff, PathParams((id, f.product_id)))
                    .await?;
        } else {
            let _collection = catalog::remove_from_collection(
                State(state),
                staff,
                PathParams((id, f.product_id)),
            )
            .await?;
        }
        Ok(Redirect::to(&format!("/collections/{id}")).into_response())
    }
}
