//! Checkout settings in the console: numbering, hold, shipping rates and tax rates. Rates
//! are rows of a plain form; a row left blank is dropped, and a few blank rows are always
//! offered for new ones, so no JavaScript is needed.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, html};
use platform_auth::extract::{CheckedForm, PageSession};
use platform_web::QueryParams;
use serde::Deserialize;

use super::layout::{Done, Problem, field, form_problem, layout, notice, page};
use crate::app::AppState;
use crate::app::checkout::{self, CheckoutInput, CheckoutSettings, ShippingRate, TaxRate};
use crate::app::staff::Staff;
use crate::error::ApiError;
use crate::http::auth::{ShopAdmin, csrf_forms};

/// Blank rows offered for new rates.
const BLANK_ROWS: usize = 3;

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/settings/checkout",
        get(checkout_page).post(checkout_submit),
    )
}

/// The form's refusals, by the field or the table they are about.
const FIELD_CODES: [(&str, &str); 7] = [
    ("checkout.prefix", "order_number_prefix"),
    ("checkout.number", "next_order_number"),
    ("checkout.hold", "order_hold_minutes"),
    ("checkout.rate", "rates"),
    ("checkout.too_many_rates", "rates"),
    ("checkout.country", "rates"),
    ("checkout.tax", "taxes"),
];

fn form(
    staff: &Staff,
    s: &CheckoutSettings,
    done: Option<&str>,
    problem: Option<&Problem>,
) -> Markup {
    let names = [
        "order_number_prefix",
        "next_order_number",
        "order_hold_minutes",
        "rates",
        "taxes",
    ];
    let [prefix, next, hold, rates_mark, taxes_mark] = names.map(|n| field(problem, n, n));
    let blank_rate = ShippingRate {
        country: String::new(),
        name: String::new(),
        price: String::new(),
    };
    let blank_tax = TaxRate {
        country: String::new(),
        rate: String::new(),
        inclusive: true,
    };
    let rates = s
        .shipping_rates
        .iter()
        .chain(std::iter::repeat_n(&blank_rate, BLANK_ROWS));
    let taxes = s
        .tax_rates
        .iter()
        .chain(std::iter::repeat_n(&blank_tax, BLANK_ROWS));
    layout(
        "Checkout settings",
        Some(staff),
        html! {
            h1 { "Checkout settings" }
            (notice(done))
            (form_problem(problem, &names))
            form.card method="post" action="/settings/checkout" {
                input type="hidden" name="csrf" value=(staff.csrf);
                fieldset {
                    legend { "Order numbers" }
                    label for="order_number_prefix" { "Prefix (capitals, digits and dashes; “A-” makes A-" (s.next_order_number) ")" }
                    input #order_number_prefix name="order_number_prefix" maxlength="12" pattern="[A-Z0-9-]*" value=(s.order_number_prefix)
                        aria-invalid=[prefix.invalid] aria-describedby=[prefix.described_by];
                    (prefix.note)
                    label for="next_order_number" { "Next order number (it only moves on)" }
                    input #next_order_number name="next_order_number" type="number" min=(s.next_order_number) value=(s.next_order_number)
                        aria-invalid=[next.invalid] aria-describedby=[next.described_by];
                    (next.note)
                    label for="order_hold_minutes" { "Unpaid orders hold their stock for (minutes, 5–1440)" }
                    input #order_hold_minutes name="order_hold_minutes" type="number" min="5" max="1440" required value=(s.order_hold_minutes)
                        aria-invalid=[hold.invalid] aria-describedby=[hold.described_by];
                    (hold.note)
                }
                fieldset {
                    legend { "Shipping rates (flat, per destination country)" }
                    (rates_mark.note)
                    table tabindex="0" {
                        thead { tr { th scope="col" { "Country" } th scope="col" { "Name" } th scope="col" { "Price" } } }
                        tbody {
                            @for (i, r) in rates.enumerate() {
                                tr {
                                    td { (country_select(&format!("rate_country_{i}"), &format!("Country of rate {}", i + 1), &r.country)) }
                                    td { input name={ "rate_name_" (i) } aria-label={ "Name of rate " (i + 1) } maxlength="100" value=(r.name); }
                                    td { input name={ "rate_price_" (i) } aria-label={ "Price of rate " (i + 1) } inputmode="decimal" size="8" value=(r.price); }
                                }
                            }
                        }
                    }
                    p.small { "Clear a row to remove that rate. Buyers can only order to the countries listed here." }
                }
                fieldset {
                    legend { "Tax per destination country" }
                    (taxes_mark.note)
                    table tabindex="0" {
                        thead { tr { th scope="col" { "Country" } th scope="col" { "Rate (%)" } th scope="col" { "Included in prices" } } }
                        tbody {
                            @for (i, t) in taxes.enumerate() {
                                tr {
                                    td { (country_select(&format!("tax_country_{i}"), &format!("Country of tax {}", i + 1), &t.country)) }
                                    td { input name={ "tax_rate_" (i) } aria-label={ "Rate of tax " (i + 1) } inputmode="decimal" size="6" value=(t.rate); }
                                    td { input type="checkbox" name={ "tax_inclusive_" (i) } aria-label={ "Tax " (i + 1) " included in prices" } value="on" checked[t.inclusive]; }
                                }
                            }
                        }
                    }
                    p.small { "A country without a row pays no tax. Included: your prices already contain it; otherwise it is added at checkout." }
                }
                button type="submit" { "Save checkout settings" }
            }
        },
    )
}

async fn checkout_page(
    State(state): State<AppState>,
    PageSession(staff): PageSession<Staff>,
    QueryParams(q): QueryParams<Done>,
) -> Result<Response, ApiError> {
    let s = checkout::get(&state, staff.tenant).await?;
    Ok(page(
        StatusCode::OK,
        form(
            &staff,
            &s,
            q.done.is_some().then_some("Checkout settings saved."),
            None,
        ),
    ))
}

/// The form as posted: fixed fields plus numbered rows (`rate_country_0`, …).
#[derive(Deserialize)]
struct CheckoutForm {
    csrf: String,
    #[serde(flatten)]
    fields: std::collections::HashMap<String, String>,
}

csrf_forms!(CheckoutForm);

impl CheckoutForm {
    fn get(&self, key: &str) -> &str {
        self.fields.get(key).map_or("", |v| v.trim())
    }

    fn input(&self) -> CheckoutInput {
        let rows = |lead: &str| {
            (0..400)
                .take_while(|i| self.fields.contains_key(&format!("{lead}{i}")))
                .collect::<Vec<_>>()
        };
        CheckoutInput {
            order_number_prefix: self.get("order_number_prefix").to_uppercase(),
            next_order_number: self.get("next_order_number").parse().ok(),
            order_hold_minutes: self.get("order_hold_minutes").parse().unwrap_or(0),
            shipping_rates: rows("rate_country_")
                .into_iter()
                .map(|i| ShippingRate {
                    country: self.get(&format!("rate_country_{i}")).to_owned(),
                    name: self.get(&format!("rate_name_{i}")).to_owned(),
                    price: self.get(&format!("rate_price_{i}")).to_owned(),
                })
                .filter(|r| !(r.country.is_empty() && r.name.is_empty() && r.price.is_empty()))
                .collect(),
            tax_rates: rows("tax_country_")
                .into_iter()
                .map(|i| TaxRate {
                    country: self.get(&format!("tax_country_{i}")).to_owned(),
                    rate: self.get(&format!("tax_rate_{i}")).to_owned(),
                    inclusive: self.get(&format!("tax_inclusive_{i}")) == "on",
                })
                .filter(|t| !(t.country.is_empty() && t.rate.is_empty()))
                .collect(),
        }
    }
}

async fn checkout_submit(
    State(state): State<AppState>,
    CheckedForm(staff, f, _): CheckedForm<Staff, CheckoutForm, ShopAdmin>,
) -> Result<Response, ApiError> {
    let input = f.input();
    match checkout::save(&state, staff.tenant, input.clone()).await {
        Ok(_) => Ok(Redirect::to("/settings/checkout?done=saved").into_response()),
        Err(e) => {
            // Shown again as typed, the problem beside its field or table.
            let (status, problem) = Problem::of_coded(e, &FIELD_CODES)?;
            let stored = checkout::get(&state, staff.tenant).await?;
            let shown = CheckoutSettings {
                order_number_prefix: input.order_number_prefix,
                next_order_number: input.next_order_number.unwrap_or(stored.next_order_number),
                order_hold_minutes: input.order_hold_minutes,
                shipping_rates: input.shipping_rates,
                tax_rates: input.tax_rates,
            };
            Ok(page(status, form(&staff, &shown, None, Some(&problem))))
        }
    }
}

/// A country picker for a row: every country by its name, none chosen for an empty row.
fn country_select(name: &str, label: &str, chosen: &str) -> Markup {
    let chosen = chosen.trim().to_ascii_uppercase();
    html! {
        select name=(name) aria-label=(label) {
            option value="" { "—" }
            @for (country, country_name) in platform_domain::Country::by_name() {
                option value=(country.as_str()) selected[country.as_str() == chosen] { (country_name) }
            }
        }
    }
}
