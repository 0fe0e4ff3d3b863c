//! The cart page: lines priced now, the checkout draft form, the cookie check after a
//! first add.

use maud::PreEscaped;

use super::*;

#[derive(Deserialize, Default)]
pub(super) struct CartQuery {
    new: Option<String>,
    /// A child back from the guardian's consent, with its handle.
    guardian: Option<String>,
}

/// The age question of a shop that sells to minors (O19), and a child's consent handle.
#[derive(Clone, Copy)]
struct AgeAsk<'a> {
    minors: bool,
    guardian: Option<&'a str>,
}

/// Details the visitor sent that the cart refused: shown again as typed, with the
/// problem above the form and beside its field.
pub(super) struct Sent<'a> {
    /// What the form held.
    pub prefill: &'a Prefill,
    /// The field at fault (`email`, `phone`, `country`), if one is.
    pub field: Option<&'static str>,
    /// What is wrong, in words.
    pub message: &'a str,
    /// The answer's status.
    pub status: StatusCode,
}

fn line_row(line: &LineView, links: Links) -> Markup {
    let variant = line.variant_id.to_string();
    html! {
        tr {
            td {
                // The product's first picture, decorative beside its name (alt="").
                @if let Some(src) = line.image_url.as_deref().filter(|s| s.starts_with("/images/")) {
                    img.thumb src=(src) alt="" width="64" height="64" loading="lazy";
                }
                @if line.product_handle.is_empty() {
                    (line.product_title)
                } @else {
                    a href=(links.to(format_args!("/products/{}", line.product_handle))) { (line.product_title) }
                }
                @if !line.variant_title.is_empty() && line.variant_title != "Default" { br; span.small { (line.variant_title) } }
                @if line.price_changed {
                    @if let (Some(old), Some(new)) = (line.added_price(), line.unit_price()) {
                        p.notice role="status" { "Price changed from " (old) " to " (new) "." }
                    }
                }
                @if !line.available {
                    p.notice role="status" { "No longer available; it is not counted in the total." }
                } @else if line.stock_short {
                    p.notice role="status" { "Only " (line.stock) " left in stock." }
                }
            }
            td {
                @if let Some(price) = line.unit_price() { (price) }
            }
            td {
                form.inline method="post" action=(links.to(format_args!("/cart/lines/{variant}"))) {
                    (links.token_field())
                    label.visually-hidden for={ "q-" (variant) } { "Quantity of " (line.product_title) }
                    input id={ "q-" (variant) } type="number" name="quantity" min="1" max="999" value=(line.quantity) required;
                    button type="submit" { "Update" }
                }
            }
            td { (line.line_total()) }
            td {
                form.inline method="post" action=(links.to(format_args!("/cart/lines/{variant}/remove"))) {
                    (links.token_field())
                    button.secondary type="submit" { "Remove" span.visually-hidden { " " (line.product_title) } }
                }
            }
        }
    }
}

fn details_form(
    fields: &CheckoutFields,
    prefill: &Prefill,
    has_prefill: bool,
    links: Links,
    age: AgeAsk<'_>,
    problem: Option<(Option<&str>, &str)>,
) -> Markup {
    let wrong = |id: &str| problem.is_some_and(|(field, _)| field == Some(id));
    let guardian = age
        .guardian
        .or((!prefill.guardian.is_empty()).then_some(prefill.guardian.as_str()));
    let band = if guardian.is_some() {
        "under_13"
    } else {
        prefill.age_band.as_str()
    };
    let asked = |f: CheckoutField| fields.rule(f).is_collected();
    let required = |f: CheckoutField| fields.rule(f) == FieldRule::Required;
    let input = |id: &str,
                 label: &str,
                 kind: &str,
                 value: &str,
                 autocomplete: &str,
                 required: bool| {
        let bad = wrong(id);
        html! {
            p {
                label for=(id) { (label) @if !required { " (optional)" } }
                @if bad {
                    @if let Some((_, message)) = problem {
                        span.field-error id={ (id) "-error" } { (message) }
                    }
                    input id=(id) name=(id) type=(kind) value=(value) autocomplete=(autocomplete) maxlength="200" aria-invalid="true" aria-describedby={ (id) "-error" };
                } @else {
                    input id=(id) name=(id) type=(kind) value=(value) autocomplete=(autocomplete) maxlength="200";
                }
            }
        }
    };
    html! {
        section aria-labelledby="details" {
            h2 #details { "Your details for checkout" }
            p.small { "Saved with this cart, encrypted, so they are filled in when you come back. Leave out what you like; you can remove them at any time." }
            @if let Some((_, message)) = problem {
                p.error role="alert" { "Please check your details: " (message) }
            }
            form.details method="post" action=(links.to("/cart/details")) {
                (links.token_field())
                @if age.minors {
                    fieldset {
                        legend { "Your age" }
                        p.small { "This shop sells to children too. Under 13, a parent or guardian agrees first, and nothing about you is kept until they do." }
                        label.choice { input type="radio" name="age_band" value="13_plus" required checked[band == "13_plus"]; " 13 or older" }
                        label.choice { input type="radio" name="age_band" value="under_13" required checked[band == "under_13"]; " Under 13" }
                    }
                    @if let Some(g) = guardian { input type="hidden" name="guardian" value=(g); }
                }
                @if asked(CheckoutField::Name) { (input("name", "Full name", "text", &prefill.name, "name", required(CheckoutField::Name))) }
                @if asked(CheckoutField::Email) { (input("email", "Email", "email", &prefill.email, "email", required(CheckoutField::Email))) }
                @if asked(CheckoutField::Phone) { (input("phone", "Phone", "tel", &prefill.phone, "tel", required(CheckoutField::Phone))) }
                @if asked(CheckoutField::Address) {
                    (input("address_line1", "Street and number", "text", &prefill.address_line1, "address-line1", required(CheckoutField::Address)))
                    (input("address_line2", "Apartment, suite", "text", &prefill.address_line2, "address-line2", false))
                    (input("postal_code", "Postal code", "text", &prefill.postal_code, "postal-code", required(CheckoutField::Address)))
                    (input("city", "City", "text", &prefill.city, "address-level2", required(CheckoutField::Address)))
                    (country_picker(&prefill.country, required(CheckoutField::Address), wrong("country").then_some(problem.map_or("", |p| p.1))))
                }
                button type="submit" { "Save my details" }
            }
            @if has_prefill {
                form method="post" action=(links.to("/cart/details/forget")) {
                    (links.token_field())
                    button.secondary type="submit" { "Forget my details" }
                }
            }
        }
    }
}

fn cart_markup(
    view: &CartView,
    fields: &CheckoutFields,
    prefill: &Prefill,
    links: Links,
    age: AgeAsk<'_>,
    problem: Option<(Option<&str>, &str)>,
) -> Markup {
    html! {
        h1 { "Your cart" }
        @if view.lines.is_empty() {
            p { "Your cart is empty." }
            p { a href=(links.to("/products")) { "Browse products →" } }
        } @else {
            @if view.needs_attention {
                p.notice role="status" { "Something in your cart changed since you added it. Please check the items marked below." }
            }
            table.cart {
                caption.visually-hidden { "Items in your cart" }
                thead { tr { th scope="col" { "Item" } th scope="col" { "Price" } th scope="col" { "Quantity" } th scope="col" { "Total" } th scope="col" { span.visually-hidden { "Actions" } } } }
                tbody { @for line in &view.lines { (line_row(line, links)) } }
                tfoot { tr { th scope="row" colspan="3" { "Subtotal (" (view.item_count) " items)" } td { (view.subtotal()) } td {} } }
            }
            p.actions { a.button href=(links.to("/checkout")) { "Continue to checkout" } }
            form method="post" action=(links.to("/cart/clear")) {
                (links.token_field())
                button.secondary type="submit" { "Empty the cart" }
            }
        }
        (details_form(fields, prefill, view.has_prefill, links, age, problem))
        @if view.mode == Mode::Visit {
            p.small { "Your browser does not keep cookies, so this cart lasts for this visit only (two hours without activity)." }
        }
    }
}

pub(super) async fn cart_page(
    State(state): State<AppState>,
    shop: Shop,
    visit: Visit,
    QueryParams(q): QueryParams<CartQuery>,
) -> Result<Response, ShopError> {
    let links = Links::of(visit);
    // The cookie check after a first add: did the cookie come back?
    if let Some(new) = q.new.as_deref().and_then(|n| CartId::parse(n).ok()) {
        if visit.cart == Some(new) {
            return Ok(Redirect::to("/cart").into_response());
        }
        if visit.cart.is_none() {
            return Ok(match state.cart.set_mode(shop.id, new, Mode::Visit).await {
                Ok(_) => Redirect::to(&format!("/c/{new}/cart")).into_response(),
                Err(e) => problem(&state, &shop, links, e).await,
            });
        }
    }
    let guardian = q.guardian.as_deref().filter(|g| {
        g.len() <= 64
            && g.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    render(&state, &shop, visit, guardian, None).await
}

/// The cart page, with the saved details or, after a refusal, the details as sent.
pub(super) async fn render(
    state: &AppState,
    shop: &Shop,
    visit: Visit,
    guardian: Option<&str>,
    sent: Option<Sent<'_>>,
) -> Result<Response, ShopError> {
    let links = Links::of(visit);
    let settings = state.settings.of(shop.id).await?;
    let fields = &settings.checkout_fields;
    let minors = settings.sells_to_minors;
    let shop_currency = settings.currency.unwrap_or(Currency::EUR);
    let frame = &settings.frame;
    let (view, prefill) = match visit.cart {
        None => (
            CartView {
                mode: visit.mode,
                ttl_seconds: 0,
                currency: shop_currency,
                item_count: 0,
                subtotal_minor: 0,
                lines: Vec::new(),
                has_prefill: false,
                needs_attention: false,
            },
            Prefill::default(),
        ),
        Some(cart) => {
            let view = match state.cart.view(shop.id, cart, visit.mode).await {
                Ok(v) => v,
                Err(e) => return Ok(problem(state, shop, links, e).await),
            };
            let prefill = if sent.is_some() {
                Prefill::default()
            } else if view.has_prefill {
                match state.cart.prefill(shop.id, cart, visit.mode).await {
                    Ok(p) => p,
                    Err(e) => return Ok(problem(state, shop, links, e).await),
                }
            } else {
                Prefill::default()
            };
            (view, prefill)
        }
    };
    let shown = sent.as_ref().map_or(&prefill, |s| s.prefill);
    let mut response = (
        sent.as_ref().map_or(StatusCode::OK, |s| s.status),
        axum::response::Html(
            layout(
                shop,
                links,
                "Your cart",
                frame,
                cart_markup(
                    &view,
                    fields,
                    shown,
                    links,
                    AgeAsk { minors, guardian },
                    sent.as_ref().map(|s| (s.field, s.message)),
                ),
            )
            .into_string(),
        ),
    )
        .into_response();
    // Personal data may be on this page: never stored by any cache.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if visit.cart.is_some() {
        response
            .extensions_mut()
            .insert(crate::http::visit::KnownSummary(Summary {
                item_count: view.item_count,
                ttl_seconds: view.ttl_seconds,
            }));
    }
    if let (Some(cart), Mode::Cookie, true) = (visit.cart, visit.mode, view.ttl_seconds > 0) {
        response
            .headers_mut()
            .append(header::SET_COOKIE, cookie(cart, view.ttl_seconds));
    }
    Ok(response)
}

/// The country of the address: every country by its name, the saved one chosen.
fn country_picker(saved: &str, required: bool, problem: Option<&str>) -> Markup {
    let saved = saved.trim().to_ascii_uppercase();
    html! {
        p {
            label for="country" { "Country" @if !required { " (optional)" } }
            @if let Some(message) = problem {
                span.field-error #country-error { (message) }
            }
            select #country name="country" autocomplete="country" aria-invalid=[problem.map(|_| "true")] aria-describedby=[problem.map(|_| "country-error")] {
                option value="" { "Choose a country" }
                @for option in country_options() {
                    @if option.code == saved {
                        option value=(option.code) selected { (option.name) }
                    } @else {
                        (PreEscaped(&option.html))
                    }
                }
            }
        }
    }
}

/// A country's `<option>`, rendered once: the cart page (the hot path of a cart step)
/// only copies the 249 of them instead of escaping and formatting each on every view.
struct CountryOption {
    code: String,
    name: &'static str,
    html: String,
}

fn country_options() -> &'static [CountryOption] {
    static OPTIONS: std::sync::LazyLock<Vec<CountryOption>> = std::sync::LazyLock::new(|| {
        platform_domain::Country::by_name()
            .iter()
            .map(|(country, name)| CountryOption {
                code: country.as_str().to_owned(),
                name,
                html: html! { option value=(country.as_str()) { (name) } }.into_string(),
            })
            .collect()
    });
    &OPTIONS
}
