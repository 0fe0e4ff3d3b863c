//! Collections (issue 16): the merchant chooses which the storefront's menu links (at most
//! six), edits a collection's title, address and description in the console with its
//! work kept on a refusal, and deletes one after a confirmation page.

use reqwest::StatusCode;
use serde_json::json;

use crate::App;

#[tokio::test]
async fn a_merchant_puts_at_most_six_collections_in_the_menu_and_edits_them_in_place() {
    let app = App::start().await;
    let s = app.shop("menu-shop").await;

    // Created by API: out of the menu unless asked.
    let mut ids = Vec::new();
    for n in 0..7 {
        let (status, c) = s
            .post(
                "/api/v1/collections",
                json!({ "title": format!("Shelf {n}"), "in_menu": n < 5 }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{c}");
        assert_eq!(c["in_menu"], n < 5);
        ids.push(c["id"].as_str().unwrap().to_owned());
    }
    let (status, c) = s
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/collections/{}", ids[5]),
            Some(json!({ "in_menu": true })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["title"], "Shelf 5", "what the patch leaves out stays");
    // A seventh is refused with its code; nothing changes.
    let (status, body) = s
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/collections/{}", ids[6]),
            Some(json!({ "in_menu": true, "title": "Shelf seven" })),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "collection.menu_full");
    let (_, c) = s.get(&format!("/api/v1/collections/{}", ids[6])).await;
    assert_eq!(
        (c["title"].as_str(), c["in_menu"].as_bool()),
        (Some("Shelf 6"), Some(false))
    );
    // The list says how many are in the menu.
    let list = s.page("/collections").await;
    assert!(list.contains("links 6 of at most 6"), "{list}");

    // In the console: a refused save shows the form again with what was typed.
    let (status, page) = s
        .post_form(
            &format!("/collections/{}", ids[6]),
            &[
                ("csrf", s.csrf.clone()),
                ("title", "Winter boots".into()),
                ("handle", "shelf-0".into()),
                ("description", "Warm.\n\nDry.".into()),
                ("in_menu", "true".into()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        page.contains("value=\"Winter boots\"")
            && page.contains("Warm.\n\nDry.")
            && page.contains("at most six"),
        "{page}"
    );
    // Out of the menu, the address taken by another collection is refused next.
    let (status, page) = s
        .post_form(
            &format!("/collections/{}", ids[6]),
            &[
                ("csrf", s.csrf.clone()),
                ("title", "Winter boots".into()),
                ("handle", "shelf-0".into()),
                ("description", "Warm.".into()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        page.contains("aria-describedby=\"c-handle-error\"")
            && page.contains(
                "id=\"c-handle-error\" role=\"alert\">Another collection already uses this handle"
            ),
        "{page}"
    );
    let (status, location) = s
        .post_form(
            &format!("/collections/{}", ids[6]),
            &[
                ("csrf", s.csrf.clone()),
                ("title", "Winter boots".into()),
                ("handle", "winter-boots".into()),
                ("description", "Warm.".into()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    let page = s.page(&format!("/collections/{}?done=saved", ids[6])).await;
    assert!(
        page.contains("Saved.") && page.contains("/collections/winter-boots\""),
        "{page}"
    );
    let (_, c) = s.get(&format!("/api/v1/collections/{}", ids[6])).await;
    assert_eq!(c["handle"], "winter-boots");
    assert_eq!(c["description"], "Warm.");

    // A new collection refused (no title) keeps the menu choice; a forged form does nothing.
    let (status, page) = s
        .post_form(
            "/collections",
            &[
                ("csrf", s.csrf.clone()),
                ("title", " ".into()),
                ("in_menu", "true".into()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("name=\"in_menu\" value=\"true\" checked"),
        "{page}"
    );
    let (status, _) = s
        .post_form(
            &format!("/collections/{}/delete", ids[0]),
            &[("csrf", "forged".into())],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Deleting asks first; the menu has room again after.
    let confirm = s.page(&format!("/collections/{}/delete", ids[0])).await;
    assert!(
        confirm.contains("Delete it") && confirm.contains("Shelf 0"),
        "{confirm}"
    );
    let (status, _) = s
        .post_form(
            &format!("/collections/{}/delete", ids[0]),
            &[("csrf", s.csrf.clone())],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = s.get(&format!("/api/v1/collections/{}", ids[0])).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = s
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/collections/{}", ids[6]),
            Some(json!({ "in_menu": true })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}
