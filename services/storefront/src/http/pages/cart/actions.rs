//! The forms that change the cart: add, set a quantity, remove, empty, save or forget the
//! checkout draft. Each answers with a 303 back to the cart, or a problem page.

use super::*;

#[derive(Deserialize)]
pub(super) struct AddForm {
    variant: String,
    #[serde(default = "one")]
    quantity: i64,
    cart_token: Option<String>,
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
    let variant = match variant_id(&form.variant) {
        Ok(v) => v,
        Err(e) => return problem(&shop, links, e),
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
        Err(e) => problem(&shop, links, e),
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
        Err(e) => return Ok(problem(&shop, links, e)),
    };
    Ok(
        match state
            .cart
            .set_quantity(shop.id, cart, visit.mode, variant, form.quantity)
            .await
        {
            Ok(changed) => to_cart(visit, cart, changed.ttl_seconds),
            Err(e) => problem(&shop, links, e),
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
        Err(e) => return Ok(problem(&shop, links, e)),
    };
    Ok(
        match state.cart.remove(shop.id, cart, visit.mode, variant).await {
            // Removing what is already gone (a second tab) is not an error to the visitor.
            Ok(()) | Err(CartCallError::Refused { .. }) => to_cart(visit, cart, 0),
            Err(e) => problem(&shop, links, e),
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
        Err(e) => problem(&shop, links, e),
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
    FormBody(form): FormBody<DetailsForm>,
) -> Result<Response, ShopError> {
    let visit = resolve(visit, form.cart_token.as_deref());
    let links = Links::of(visit);
    let (cart, fresh) = match visit.cart {
        Some(id) => (id, false),
        None => (CartId::random(), true),
    };
    Ok(
        match state
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
            Err(e) => problem(&shop, links, e),
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
            Err(e) => problem(&shop, links, e),
        },
    )
}
