//! The forms that change the cart: add, set a quantity, remove, empty, save or forget the
//! checkout draft. Each answers with a 303 back to the cart, or a problem page.

use super::*;
use crate::http::visit::age_cookie;
use platform_domain::{AgeBand, GuardianStatus};

#[derive(Deserialize)]
pub(super) struct AddForm {
    /// The variant, when the page lists variants (or has one).
    variant: Option<String>,
    /// Otherwise the product and the value chosen of each of its options.
    product: Option<String>,
    o1: Option<String>,
    o2: Option<String>,
    o3: Option<String>,
    #[serde(default = "one")]
    quantity: i64,
    cart_token: Option<String>,
}

fn not_sold() -> CartCallError {
    CartCallError::Refused {
        status: reqwest::StatusCode::UNPROCESSABLE_ENTITY,
        code: ErrorCode::VariantUnavailable,
        message: "This combination is not sold. Go back and choose another.".to_owned(),
    }
}

/// The variant a form names: by id, or by its product and the option values chosen.
async fn chosen_variant(
    state: &AppState,
    shop: &Shop,
    form: &AddForm,
) -> Result<Result<VariantId, CartCallError>, ShopError> {
    if let Some(id) = &form.variant {
        return Ok(variant_id(id));
    }
    let Some(handle) = form.product.as_deref() else {
        return Ok(Err(not_sold()));
    };
    let mut tx = state.db.begin(shop.id).await?;
    let detail = crate::db::catalog::by_handle(&mut tx, handle).await?;
    tx.commit().await?;
    let Some(detail) = detail else {
        return Ok(Err(not_sold()));
    };
    let chosen: Vec<&str> = [&form.o1, &form.o2, &form.o3]
        .into_iter()
        .take(detail.option_names.len())
        .map(|o| o.as_deref().unwrap_or(""))
        .collect();
    Ok(
        crate::http::pages::picker::find(&detail.option_names, &detail.variants, &chosen)
            .map(|v| v.id)
            .ok_or_else(not_sold),
    )
}

fn one() -> i64 {
    1
}

pub(super) async fn add(
    State(state): State<AppState>,
    shop: Shop,
    visit: Visit,
    FormBody(form): FormBody<AddForm>,
) -> Response {
    let visit = resolve(visit, form.cart_token.as_deref());
    let links = Links::of(visit);
    let (cart, fresh) = match visit.cart {
        Some(id) => (id, false),
        None => (CartId::random(), true),
    };
    let variant = match chosen_variant(&state, &shop, &form).await {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => return problem(&state, &shop, links, e).await,
        Err(e) => return e.into_response(),
    };
    match state
        .cart
        .add(shop.id, cart, visit.mode, variant, form.quantity)
        .await
    {
        Ok(changed) if fresh => {
            let mut response = Redirect::to(&format!("/cart?new={cart}")).into_response();
            response
                .headers_mut()
                .append(header::SET_COOKIE, cookie(cart, changed.ttl_seconds));
            response
        }
        Ok(changed) => to_cart(visit, cart, changed.ttl_seconds),
        Err(e) => problem(&state, &shop, links, e).await,
    }
}

#[derive(Deserialize)]
pub(super) struct QuantityForm {
    quantity: i64,
    cart_token: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct TokenForm {
    cart_token: Option<String>,
}

/// The visitor's cart (from the cookie or the form's token) and their links, for forms
/// that change a cart that must already exist.
fn existing_cart(visit: Visit, token: Option<&str>) -> Result<(Visit, Links, CartId), ShopError> {
    let visit = resolve(visit, token);
    let cart = visit.cart.ok_or_else(|| {
        ShopError::from(WebError::not_found(
            "cart.not_found",
            "There is no cart here. It may have expired.",
        ))
    })?;
    Ok((visit, Links::of(visit), cart))
}

pub(super) async fn update(
    State(state): State<AppState>,
    shop: Shop,
    visit: Visit,
    PathParams(variant): PathParams<String>,
    FormBody(form): FormBody<QuantityForm>,
) -> Result<Response, ShopError> {
    let (visit, links, cart) = existing_cart(visit, form.cart_token.as_deref())?;
    let variant = match variant_id(&variant) {
        Ok(v) => v,
        Err(e) => return Ok(problem(&state, &shop, links, e).await),
    };
    Ok(
        match state
            .cart
            .set_quantity(shop.id, cart, visit.mode, variant, form.quantity)
            .await
        {
            Ok(changed) => to_cart(visit, cart, changed.ttl_seconds),
            Err(e) => problem(&state, &shop, links, e).await,
        },
    )
}

pub(super) async fn remove(
    State(state): State<AppState>,
    shop: Shop,
    visit: Visit,
    PathParams(variant): PathParams<String>,
    FormBody(form): FormBody<TokenForm>,
) -> Result<Response, ShopError> {
    let (visit, links, cart) = existing_cart(visit, form.cart_token.as_deref())?;
    let variant = match variant_id(&variant) {
        Ok(v) => v,
        Err(e) => return Ok(problem(&state, &shop, links, e).await),
    };
    Ok(
        match state.cart.remove(shop.id, cart, visit.mode, variant).await {
            // Removing what is already gone (a second tab) is not an error to the visitor.
            Ok(()) | Err(CartCallError::Refused { .. }) => to_cart(visit, cart, 0),
            Err(e) => problem(&state, &shop, links, e).await,
        },
    )
}

pub(super) async fn clear(
    State(state): State<AppState>,
    shop: Shop,
    visit: Visit,
    FormBody(form): FormBody<TokenForm>,
) -> Result<Response, ShopError> {
    let (visit, links, cart) = existing_cart(visit, form.cart_token.as_deref())?;
    Ok(match state.cart.clear(shop.id, cart, visit.mode).await {
        Ok(()) => to_cart(visit, cart, 0),
        Err(e) => problem(&state, &shop, links, e).await,
    })
}

#[derive(Deserialize)]
pub(super) struct DetailsForm {
    #[serde(flatten)]
    prefill: Prefill,
    cart_token: Option<String>,
}

pub(super) async fn save_details(
    State(state): State<AppState>,
    shop: Shop,
    visit: Visit,
    FormBody(mut form): FormBody<DetailsForm>,
) -> Result<Response, ShopError> {
    let visit = resolve(visit, form.cart_token.as_deref());
    let links = Links::of(visit);
    let mut tx = state.db.begin(shop.id).await?;
    let minors = catalog::sells_to_minors(&mut tx).await?;
    tx.commit().await?;
    let band = if minors {
        match AgeBand::parse(&form.prefill.age_band) {
            Some(band) => Some(band),
            None => return Ok(age_needed(&state, &shop, links).await),
        }
    } else {
        None
    };
    match band {
        None => {
            form.prefill.age_band.clear();
            form.prefill.guardian.clear();
        }
        Some(AgeBand::ThirteenPlus) => form.prefill.guardian.clear(),
        Some(AgeBand::Under13) => {
            let consented = !form.prefill.guardian.is_empty()
                && matches!(
                    state.orders.guardian_state(shop.id, &form.prefill.guardian).await,
                    Ok(s) if s.status == GuardianStatus::Consented
                );
            if !consented {
                // Under 13 without a guardian's consent: nothing about the child is kept,
                // not even what an earlier visit saved with the cart.
                if let Some(cart) = visit.cart
                    && let Err(e) = state.cart.forget_prefill(shop.id, cart, visit.mode).await
                {
                    tracing::warn!(
                        error = &e as &dyn std::error::Error,
                        "details not forgotten"
                    );
                }
                let mut response = Redirect::to(&links.to("/checkout/guardian")).into_response();
                response
                    .headers_mut()
                    .append(header::SET_COOKIE, age_cookie(AgeBand::Under13));
                return Ok(response);
            }
        }
    }
    let (cart, fresh) = match visit.cart {
        Some(id) => (id, false),
        None => (CartId::random(), true),
    };
    let mut response = match state
        .cart
        .save_prefill(shop.id, cart, visit.mode, &form.prefill)
        .await
    {
        Ok(saved) if fresh => {
            let mut response = Redirect::to(&format!("/cart?new={cart}")).into_response();
            response
                .headers_mut()
                .append(header::SET_COOKIE, cookie(cart, saved.ttl_seconds));
            response
        }
        Ok(saved) => to_cart(visit, cart, saved.ttl_seconds),
        // A mistake in the details: the form again, as typed, with the problem beside
        // the field (nothing was saved).
        Err(CartCallError::Refused {
            status,
            code,
            message,
        }) if status.is_client_error() && details_field(code).is_some() => {
            let sent = super::view::Sent {
                prefill: &form.prefill,
                field: details_field(code).flatten(),
                message: &message,
                status: StatusCode::UNPROCESSABLE_ENTITY,
            };
            let guardian =
                (!form.prefill.guardian.is_empty()).then_some(form.prefill.guardian.as_str());
            super::view::render(&state, &shop, visit, guardian, Some(sent)).await?
        }
        Err(e) => problem(&state, &shop, links, e).await,
    };
    if let Some(band) = band {
        response
            .headers_mut()
            .append(header::SET_COOKIE, age_cookie(band));
    }
    Ok(response)
}

/// The form field a refusal of the details is about: `Some(None)` for the form as a
/// whole, `None` for a refusal that is not about the details.
fn details_field(code: ErrorCode) -> Option<Option<&'static str>> {
    match code {
        ErrorCode::PrefillEmailInvalid => Some(Some("email")),
        ErrorCode::PrefillPhoneInvalid => Some(Some("phone")),
        ErrorCode::PrefillCountryInvalid => Some(Some("country")),
        ErrorCode::PrefillInvalid => Some(None),
        _ => None,
    }
}

/// A shop that sells to minors asks the age band before it keeps any detail.
async fn age_needed(state: &AppState, shop: &Shop, links: Links) -> Response {
    super::super::layout::private_page(
        StatusCode::UNPROCESSABLE_ENTITY,
        shop,
        links,
        "Your age",
        &super::shop_frame(state, shop).await,
        html! {
            h1 { "Please tell us your age" }
            p.notice role="alert" { "This shop sells to children too, so it asks whether you are 13 or older before it keeps your details. Nothing was saved." }
            p { a href={ (links.to("/cart")) "#details" } { "Back to your details" } }
        },
    )
}

pub(super) async fn forget_details(
    State(state): State<AppState>,
    shop: Shop,
    visit: Visit,
    FormBody(form): FormBody<TokenForm>,
) -> Result<Response, ShopError> {
    let (visit, links, cart) = existing_cart(visit, form.cart_token.as_deref())?;
    Ok(
        match state.cart.forget_prefill(shop.id, cart, visit.mode).await {
            Ok(()) => to_cart(visit, cart, 0),
            Err(e) => problem(&state, &shop, links, e).await,
        },
    )
}
