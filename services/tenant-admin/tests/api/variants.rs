//! Options and variants (issue 16, point 2): named options with a value per variant,
//! every variant editable and deletable but the last, combinations unique.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{App, Session};

async fn product(s: &Session, id: &str) -> Value {
    let (status, p) = s.get(&format!("/api/v1/products/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    p
}

fn csrf(s: &Session) -> (&'static str, String) {
    ("csrf", s.csrf.clone())
}

#[tokio::test]
async fn options_are_named_every_variant_is_editable_and_deletable_but_the_last() {
    let app = App::start().await;
    let s = app.shop("options-shop").await;
    let (status, p) = s
        .post(
            "/api/v1/products",
            json!({ "title": "Field Shirt", "status": "active",
                    "variants": [{ "sku": "SHIRT-1", "price_minor": 3900, "stock": 4 }] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let id = p["id"].as_str().unwrap().to_owned();
    assert_eq!(p["option_names"], json!([]));
    let first = p["variants"][0]["id"].as_str().unwrap().to_owned();

    // Naming an option asks the value the current variant has; its title follows.
    let (status, page) = s
        .post_form(
            &format!("/products/{id}/options"),
            &[csrf(&s), ("name1", "Size".into())],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("Give the value your current variants have for “Size”"),
        "{page}"
    );
    let (status, _) = s
        .post_form(
            &format!("/products/{id}/options"),
            &[csrf(&s), ("name1", "Size".into()), ("first1", "M".into())],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let p = product(&s, &id).await;
    assert_eq!(p["option_names"], json!(["Size"]));
    assert_eq!(p["variants"][0]["options"], json!({ "Size": "M" }));
    assert_eq!(p["variants"][0]["title"], "M");

    // A variant per size; the same size twice, or none, is refused beside the form.
    let add = |sku: &'static str, size: &'static str| {
        let s = &s;
        let id = id.clone();
        async move {
            s.post_form(
                &format!("/products/{id}/variants"),
                &[
                    csrf(s),
                    ("sku", sku.into()),
                    ("opt1", size.into()),
                    ("price", "41,00".into()),
                    ("stock", "2".into()),
                ],
            )
            .await
        }
    };
    assert_eq!(add("SHIRT-L", "L").await.0, StatusCode::SEE_OTHER);
    let (status, page) = add("SHIRT-M2", "m").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Said under the option's value in the form that adds a variant, which keeps what
    // was typed.
    assert!(
        page.contains("id=\"v-opt1-error\" role=\"alert\">Another variant is already m")
            && page
                .contains("id=\"v-sku\" name=\"sku\" required maxlength=\"64\" value=\"SHIRT-M2\"")
            && page.contains("value=\"41,00\""),
        "{page}"
    );
    let (status, page) = add("SHIRT-X", "").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("needs a value for “Size”"), "{page}");

    // A second option: every variant takes the value given; titles follow.
    let (status, _) = s
        .post_form(
            &format!("/products/{id}/options"),
            &[
                csrf(&s),
                ("name1", "Size".into()),
                ("name2", "Colour".into()),
                ("first2", "Blue".into()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let p = product(&s, &id).await;
    assert_eq!(p["option_names"], json!(["Size", "Colour"]));
    let titles: Vec<&str> = p["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["M / Blue", "L / Blue"]);

    // The first variant is as editable as any: SKU, values, price, stock.
    let (status, _) = s
        .post_form(
            &format!("/variants/{first}"),
            &[
                csrf(&s),
                ("product_id", id.clone()),
                ("sku", "SHIRT-M-RED".into()),
                ("title", "M / Blue".into()),
                ("opt1", "M".into()),
                ("opt2", "Red".into()),
                ("price", "39.00".into()),
                ("stock", "7".into()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let p = product(&s, &id).await;
    let v = &p["variants"][0];
    assert_eq!(v["sku"], "SHIRT-M-RED");
    assert_eq!(
        v["title"], "M / Red",
        "a title that said the values follows them"
    );
    assert_eq!(v["options"], json!({ "Size": "M", "Colour": "Red" }));
    assert_eq!(v["stock"], 7);
    // Renaming an option renames it in every variant; removing one removes it.
    let (status, _) = s
        .post_form(
            &format!("/products/{id}/options"),
            &[csrf(&s), ("name1", "Fit".into()), ("name2", "".into())],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let p = product(&s, &id).await;
    assert_eq!(p["option_names"], json!(["Fit"]));
    assert_eq!(p["variants"][1]["options"], json!({ "Fit": "L" }));
    assert_eq!(p["variants"][1]["title"], "L");

    // Deleting asks first; the last variant stays.
    let second = p["variants"][1]["id"].as_str().unwrap().to_owned();
    let confirm = s.page(&format!("/variants/{second}/delete")).await;
    assert!(confirm.contains("Delete it"), "{confirm}");
    let (status, _) = s
        .post_form(&format!("/variants/{second}/delete"), &[csrf(&s)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let only = s.page(&format!("/variants/{first}/delete")).await;
    assert!(
        only.contains("only variant") && !only.contains("Delete it"),
        "{only}"
    );
    let (status, page) = s
        .post_form(&format!("/variants/{first}/delete"), &[csrf(&s)])
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("at least one variant"), "{page}");
    let (status, body) = s.delete(&format!("/api/v1/variants/{first}")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "variant.last");
    assert_eq!(
        product(&s, &id).await["variants"].as_array().unwrap().len(),
        1
    );
}

#[tokio::test]
async fn the_api_refuses_variants_that_do_not_match_the_products_options() {
    let app = App::start().await;
    let s = app.shop("options-api").await;
    let (status, body) = s
        .post(
            "/api/v1/products",
            json!({ "title": "Mug", "option_names": ["Size"],
                    "variants": [{ "sku": "MUG-1", "price_minor": 900, "options": { "Colour": "Blue" } }] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "variant.option_missing");
    let (status, body) = s
        .post(
            "/api/v1/products",
            json!({ "title": "Mug", "variants": [
                { "sku": "MUG-1", "price_minor": 900, "options": { "Size": "S" } },
                { "sku": "MUG-2", "price_minor": 900, "options": { "Size": "s" } }] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "variant.combination_taken");
    let (status, body) = s
        .post(
            "/api/v1/products",
            json!({ "title": "Mug", "option_names": ["Size", "size"], "variants": [] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "product.option_names_invalid");
    // Named from the variants when not given.
    let (status, p) = s
        .post(
            "/api/v1/products",
            json!({ "title": "Mug", "variants": [
                { "sku": "MUG-1", "price_minor": 900, "options": { "Size": "S" } },
                { "sku": "MUG-2", "price_minor": 900, "options": { "Size": "L" } }] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    assert_eq!(p["option_names"], json!(["Size"]));
    assert_eq!(p["variants"][1]["title"], "L");

    // The API renames, adds and removes options as the console does.
    let id = p["id"].as_str().unwrap().to_owned();
    let options = |body: serde_json::Value| {
        let (s, path) = (&s, format!("/api/v1/products/{id}/options"));
        async move { s.put(&path, body).await }
    };
    let (status, body) = options(json!({ "names": ["Size", "Colour"] })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "variant.option_missing");
    let (status, p) =
        options(json!({ "names": ["Cup size", "Colour"], "values_for_new": ["", "White"] })).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["option_names"], json!(["Cup size", "Colour"]));
    assert_eq!(
        p["variants"][1]["options"],
        json!({ "Cup size": "L", "Colour": "White" })
    );
    assert_eq!(p["variants"][1]["title"], "L / White");
    // Removing the option that tells the variants apart would make them the same.
    let (status, body) = options(json!({ "names": ["", "Colour"] })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "variant.combination_taken");
    let (status, body) = options(json!({ "names": ["a", "b", "c", "d"] })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "product.option_names_invalid");
    let (status, p) = options(json!({ "names": ["Cup size"] })).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["variants"][0]["options"], json!({ "Cup size": "S" }));
}
