//! Product pictures (issue 16): uploads are checked, resized and kept in the object store
//! under their shop; removing a picture or its product removes its objects; catalog
//! imports fetch pictures by address once.

use platform_images::ImageStore;
use platform_testkit::jpeg;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::catalog::HEADER;
use crate::{App, IMAGES_BUCKET, Session};

fn store() -> ImageStore {
    ImageStore::new(&platform_testkit::images_s3(IMAGES_BUCKET).unwrap())
}

async fn tenant_of(app: &App, handle: &str) -> Uuid {
    let mut db = app.db.superuser().await.unwrap();
    sqlx::query_scalar("select id from tenants where handle = $1")
        .bind(handle)
        .fetch_one(&mut db)
        .await
        .unwrap()
}

async fn product(s: &Session, title: &str, sku: &str) -> String {
    let (status, p) = s
        .post(
            "/api/v1/products",
            json!({ "title": title, "status": "active",
                    "variants": [{ "sku": sku, "price_minor": 1000, "stock": 3 }] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    p["id"].as_str().unwrap().to_owned()
}

async fn upload(
    s: &Session,
    product: &str,
    bytes: Vec<u8>,
    name: &str,
    alt: &str,
    csrf: &str,
) -> (StatusCode, String, String) {
    let form = Form::new()
        .text("csrf", csrf.to_owned())
        .part("picture", Part::bytes(bytes).file_name(name.to_owned()))
        .text("alt", alt.to_owned());
    let res = s
        .client
        .post(format!("{}/products/{product}/images", s.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let location = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, res.text().await.unwrap())
}

#[tokio::test]
async fn o21_pictures_are_checked_resized_kept_under_their_shop_and_removed_with_their_product() {
    let app = App::start().await;
    let s = app.shop("pictures-shop").await;
    let other = app.shop("pictures-other").await;
    let tenant = tenant_of(&app, "pictures-shop").await;
    let id = product(&s, "Trail Boot", "BOOT-1").await;

    let (status, location, _) =
        upload(&s, &id, jpeg(700, 500), "boot.jpg", "A brown boot", &s.csrf).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, format!("/products/{id}?done=uploaded#pictures"));
    let (_, p) = s.get(&format!("/api/v1/products/{id}")).await;
    let img = &p["images"][0];
    assert_eq!(img["alt"], "A brown boot");
    assert_eq!(img["format"], "jpeg");
    assert_eq!(
        (img["width"].as_i64(), img["height"].as_i64()),
        (Some(700), Some(500))
    );
    assert_eq!(img["widths"], json!([320, 640, 700]));
    let image = img["id"].as_str().unwrap().to_owned();
    // Stored in the object store under the shop and the picture, one object per width.
    let prefix_count = store().count_shop(tenant).await.unwrap();
    assert_eq!(prefix_count, 3);
    let edit = s.page(&format!("/products/{id}")).await;
    assert!(
        edit.contains(&format!("src=\"/images/{image}/320.jpg\"")),
        "{edit}"
    );

    // The console shows it to the shop's members, with its type and a private cache.
    let res = s
        .client
        .get(format!("{}/images/{image}/320.jpg", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("private")
    );
    let small = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
    assert_eq!((small.width(), small.height()), (320, 229));
    // Another shop's member gets nothing: not the picture, not its alt text, not a change.
    let res = other
        .client
        .get(format!("{}/images/{image}/320.jpg", other.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (status, _) = other
        .post_form(
            &format!("/images/{image}/alt"),
            &[("csrf", other.csrf.clone()), ("alt", "mine now".into())],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = upload(&other, &id, jpeg(100, 100), "x.jpg", "", &other.csrf).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // What is not a picture is refused beside the form, the alt text kept, nothing stored.
    let (status, _, page) = upload(
        &s,
        &id,
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_vec(),
        "logo.svg",
        "Our logo",
        &s.csrf,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("not a JPEG, PNG or WebP") && page.contains("value=\"Our logo\""),
        "{page}"
    );
    let (status, _, _) = upload(&s, &id, b"GIF89a".to_vec(), "a.jpg", "", &s.csrf).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Without the form's token nothing happens.
    let (status, _, _) = upload(&s, &id, jpeg(50, 50), "a.jpg", "", "forged").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Over 10 MB: refused with its code.
    let (status, _, page) = upload(
        &s,
        &id,
        vec![0xFF; 10 * 1024 * 1024 + 1],
        "big.jpg",
        "",
        &s.csrf,
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{page}");
    assert_eq!(store().count_shop(tenant).await.unwrap(), 3);

    // Alt text and order change; the first picture is the one lists show.
    let (status, _, _) = upload(&s, &id, jpeg(300, 300), "b.jpg", "", &s.csrf).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, p) = s.get(&format!("/api/v1/products/{id}")).await;
    let second = p["images"][1]["id"].as_str().unwrap().to_owned();
    assert_eq!(p["images"][1]["widths"], json!([300]));
    let (status, _) = s
        .post_form(
            &format!("/images/{second}/move"),
            &[("csrf", s.csrf.clone()), ("to", "earlier".into())],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = s
        .post_form(
            &format!("/images/{second}/alt"),
            &[
                ("csrf", s.csrf.clone()),
                ("alt", "  The sole,\r\nfrom below ".into()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, p) = s.get(&format!("/api/v1/products/{id}")).await;
    assert_eq!(p["images"][0]["id"], second.as_str());
    assert_eq!(p["images"][0]["alt"], "The sole, from below");

    // Removing asks first, then removes the picture's objects.
    let confirm = s.page(&format!("/images/{second}/delete")).await;
    assert!(confirm.contains("Remove it"), "{confirm}");
    let (status, _) = s
        .post_form(
            &format!("/images/{second}/delete"),
            &[("csrf", s.csrf.clone())],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(store().count_shop(tenant).await.unwrap(), 3);

    // Deleting the product removes the rest.
    let (status, _) = s
        .post_form(
            &format!("/products/{id}/delete"),
            &[("csrf", s.csrf.clone())],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(store().count_shop(tenant).await.unwrap(), 0);
    let mut db = app.db.superuser().await.unwrap();
    let garbage: i64 =
        sqlx::query_scalar("select count(*) from product_image_garbage where tenant_id = $1")
            .bind(tenant)
            .fetch_one(&mut db)
            .await
            .unwrap();
    assert_eq!(
        garbage, 0,
        "every removed picture's record is forgotten once its objects go"
    );
}

/// Serves `/boot.jpg` (a picture) and `/notes.txt` (not one) on this machine.
async fn picture_server() -> String {
    use axum::routing::get;
    let app = axum::Router::new()
        .route("/boot.jpg", get(|| async { jpeg(900, 600) }))
        .route("/notes.txt", get(|| async { "not a picture" }))
        .route(
            "/moved.jpg",
            get(|| async { axum::response::Redirect::to("/boot.jpg") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_catalog_import_fetches_each_listed_picture_once() {
    let app = App::start().await;
    let s = app.shop("import-pictures").await;
    let tenant = tenant_of(&app, "import-pictures").await;
    let server = picture_server().await;
    let import = |csv: String| {
        let s = &s;
        async move {
            let res = s.import_csv(csv).await;
            assert_eq!(res.status(), StatusCode::OK);
            res.json::<Value>().await.unwrap()
        }
    };
    let csv = format!(
        "{HEADER}boot,Boot,,active,,{server}/boot.jpg {server}/notes.txt {server}/moved.jpg,BOOT-1,,5000,EUR,2,\n"
    );
    let body = import(csv.clone()).await;
    assert_eq!(body["pictures"]["fetched"], 1, "{body}");
    let failed: Vec<&str> = body["pictures"]["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        failed,
        ["image.unsupported_type", "image.fetch_failed"],
        "{body}"
    );
    assert_eq!(store().count_shop(tenant).await.unwrap(), 3);

    // The same file again fetches nothing new; so does the shop's own export.
    let body = import(format!(
        "{HEADER}boot,Boot,,active,,{server}/boot.jpg,BOOT-1,,5000,EUR,2,\n"
    ))
    .await;
    assert_eq!(
        (
            body["pictures"]["fetched"].as_i64(),
            body["pictures"]["kept"].as_i64()
        ),
        (Some(0), Some(1))
    );
    let exported = s.page("/api/v1/catalog.csv").await;
    assert!(
        exported.contains(&format!("{server}/boot.jpg")),
        "{exported}"
    );
    let body = import(exported).await;
    assert_eq!(body["pictures"]["fetched"], 0, "{body}");
    assert_eq!(store().count_shop(tenant).await.unwrap(), 3);

    // The console's import page says which pictures failed, and that the rows are in.
    let form = Form::new().text("csrf", s.csrf.clone()).part(
        "file",
        Part::bytes(csv.into_bytes()).file_name("catalog.csv"),
    );
    let res = s
        .client
        .post(format!("{}/catalog", s.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Pictures: 0 added, 1 already there.")
            && page.contains("these pictures could not be added")
            && page.contains(&format!("{server}/notes.txt")),
        "{page}"
    );
}

#[tokio::test]
async fn a_catalog_import_refuses_to_fetch_from_private_addresses() {
    let app = App::start_with(crate::Options {
        fetch_private_images: false,
        ..crate::Options::default()
    })
    .await;
    let s = app.shop("import-private").await;
    let server = picture_server().await;
    let res = s
        .import_csv(format!(
            "{HEADER}boot,Boot,,active,,{server}/boot.jpg http://169.254.169.254/latest/meta-data,BOOT-1,,5000,EUR,2,\n"
        ))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["pictures"]["fetched"], 0, "{body}");
    for failure in body["pictures"]["failed"].as_array().unwrap() {
        assert_eq!(failure["code"], "image.url_not_public", "{body}");
    }
}

async fn put_shop_picture(
    s: &Session,
    purpose: &str,
    bytes: Vec<u8>,
    alt: &str,
) -> (StatusCode, Value) {
    let res = s
        .client
        .put(format!("{}/api/v1/look/{purpose}?alt={alt}", s.base))
        .header("x-csrf-token", &s.csrf)
        .header("content-type", "image/jpeg")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn o21_a_shops_logo_and_banner_are_its_own_and_a_replaced_one_leaves_no_objects() {
    let app = App::start().await;
    let s = app.shop("logo-shop").await;
    let other = app.shop("logo-other").await;
    let tenant = tenant_of(&app, "logo-shop").await;

    // By API: the logo is checked, resized and named in the look.
    let (status, look) = put_shop_picture(&s, "logo", jpeg(600, 200), "Logo%20Shop").await;
    assert_eq!(status, StatusCode::OK, "{look}");
    assert_eq!(look["logo"]["alt"], "Logo Shop");
    assert_eq!(look["logo"]["widths"], json!([320, 600]));
    assert_eq!(look["banner_image"], Value::Null);
    let first = look["logo"]["id"].as_str().unwrap().to_owned();
    assert_eq!(store().count_shop(tenant).await.unwrap(), 2);
    // What is not a picture is refused and changes nothing.
    let (status, body) = put_shop_picture(&s, "logo", b"<svg/>".to_vec(), "").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(s.get("/api/v1/look").await.1["logo"]["id"], first.as_str());
    // An unknown purpose is no address.
    let (status, _) = put_shop_picture(&s, "favicon", jpeg(10, 10), "").await;
    assert!(status.is_client_error(), "{status}");

    // A new logo replaces the old one, whose objects go.
    let (status, look) = put_shop_picture(&s, "logo", jpeg(300, 100), "Logo%20Shop").await;
    assert_eq!(status, StatusCode::OK, "{look}");
    let logo = look["logo"]["id"].as_str().unwrap().to_owned();
    assert_ne!(logo, first);
    assert_eq!(store().count_shop(tenant).await.unwrap(), 1);
    // The console shows it to its shop only; the old one is gone.
    let res = s
        .client
        .get(format!("{}/images/{logo}/300.jpg", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    for (session, id) in [(&other, &logo), (&s, &first)] {
        let res = session
            .client
            .get(format!("{}/images/{id}/320.jpg", session.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    // Another shop cannot change or remove it: its own look has no logo.
    let (status, _) = other.delete("/api/v1/look/logo").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(s.get("/api/v1/look").await.1["logo"]["id"], logo.as_str());

    // By the console's form: the banner picture, then its alt text.
    let form = Form::new()
        .text("csrf", s.csrf.clone())
        .part(
            "picture",
            Part::bytes(jpeg(1600, 600)).file_name("hills.jpg"),
        )
        .text("alt", "Hills at dawn");
    let res = s
        .client
        .post(format!("{}/settings/look/banner", s.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        "/settings/look?done=saved#banner"
    );
    let page = s.page("/settings/look").await;
    assert!(
        page.contains("alt=\"Hills at dawn\"") && page.contains("alt=\"Logo Shop\""),
        "{page}"
    );
    let (status, _) = s
        .post_form(
            "/settings/look/banner/alt",
            &[("csrf", s.csrf.clone()), ("alt", "x".repeat(301))],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        s.get("/api/v1/look").await.1["banner_image"]["alt"],
        "Hills at dawn"
    );
    assert_eq!(store().count_shop(tenant).await.unwrap(), 1 + 3);

    // Removing asks first, then removes the objects.
    let confirm = s.page("/settings/look/banner/remove").await;
    assert!(confirm.contains("Remove it"), "{confirm}");
    let (status, _) = s
        .post_form("/settings/look/banner/remove", &[("csrf", s.csrf.clone())])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = s.delete("/api/v1/look/logo").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let look = s.get("/api/v1/look").await.1;
    assert_eq!(
        (&look["logo"], &look["banner_image"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(store().count_shop(tenant).await.unwrap(), 0);
}
