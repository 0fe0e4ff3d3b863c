//! The merchant sees the shop's orders (O1): a visitor buys through the storefront, the
//! owner opens the console's order list and the order, with the buyer's details to reach
//! them. The console reads orders only through the orders service (mutual TLS, its own
//! `tenant-admin` certificate); its database role has no grant on them.

use std::net::SocketAddr;

use platform_testkit::TestDb;
use platform_web::devcert::DevCa;
use reqwest::StatusCode;
use reqwest::header::{LOCATION, SET_COOKIE};
use serde_json::{Value, json};

pub(crate) const PASSWORD: &str = "a long and lovely password";

/// A shop set up through the console (sign-up, login, shipping to Germany, one product),
/// with the services behind it; with `paysim`, it takes payments.
pub(crate) struct Shop {
    http: reqwest::Client,
    /// The owner's console session (cookies kept).
    owner: reqwest::Client,
    pub(crate) admin: String,
    pub(crate) ca_pem: String,
    shop_port: u16,
    csrf: String,
    /// The owner's authenticator app.
    pub(crate) authenticator: platform_testkit::Authenticator,
    variant: String,
    /// The buyer's address, unique to the test (the mail server is shared).
    buyer_email: String,
    paysim: Option<e2e::PaySim>,
    pub(crate) carrier: Option<e2e::CarrierSim>,
    _db: TestDb,
    _dir: tempfile::TempDir,
}

impl Shop {
    pub(crate) async fn new(payments: bool) -> Shop {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let db = TestDb::new().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ca = DevCa::load_or_create(dir.path()).unwrap();
        let cart = e2e::spawn_cart(&db, &ca, dir.path(), crate::REDIS_URL).unwrap();
        let paysim = payments.then(|| e2e::spawn_paysim(dir.path(), 1).unwrap());
        let carrier = payments.then(|| e2e::spawn_carrier(dir.path(), true).unwrap());
        let orders = e2e::spawn_orders(
            &db,
            &ca,
            dir.path(),
            e2e::OrdersWith {
                paysim: paysim.as_ref(),
                carrier: carrier.as_ref(),
                mail: payments,
            },
        )
        .unwrap();
        let (shop_port, _) = e2e::spawn_storefront(
            &db,
            &ca,
            dir.path(),
            &cart,
            &orders,
            paysim.as_ref().map(|p| p.url.as_str()),
        )
        .unwrap();
        let admin =
            e2e::spawn_tenant_admin(&db, &ca, dir.path(), shop_port, Some(&orders)).unwrap();
        let http = platform_testkit::https_client(ca.cert_pem())
            .unwrap()
            .resolve(
                "alpine.shop.localhost",
                SocketAddr::from(([127, 0, 0, 1], shop_port)),
            )
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();

        // The merchant signs up, logs in, and sets up a product and shipping to Germany.
        let res = http
            .post(format!("{admin}/api/v1/signup"))
            .json(&json!({ "handle": "alpine", "display_name": "Alpine", "currency": "EUR", "email": "owner@alpine.example", "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let owner = platform_testkit::https_client(ca.cert_pem())
            .unwrap()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let login = platform_testkit::console_login(
            &owner,
            &admin,
            "alpine",
            "owner@alpine.example",
            PASSWORD,
            None,
        )
        .await
        .unwrap();
        let mut shop = Shop {
            http,
            owner,
            ca_pem: ca.cert_pem().to_owned(),
            admin,
            shop_port,
            csrf: login.csrf,
            authenticator: login.authenticator,
            variant: String::new(),
            buyer_email: format!("ada-{}@example.org", uuid::Uuid::new_v4().simple()),
            paysim,
            carrier,
            _db: db,
            _dir: dir,
        };
        let res = shop
            .console(reqwest::Method::PUT, "/api/v1/checkout")
            .json(&json!({ "shipping_rates": [{ "country": "DE", "name": "Standard", "price": "4.90" }] }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let res = shop
            .console(reqwest::Method::POST, "/api/v1/products")
            .json(&json!({ "title": "Trail Boots", "status": "active",
                           "variants": [{ "sku": "BOOTS", "price_minor": 11900, "stock": 3 }] }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let product: Value = res.json().await.unwrap();
        shop.variant = product["variants"][0]["id"].as_str().unwrap().to_owned();
        shop
    }

    pub(crate) fn console(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.owner
            .request(method, format!("{}{path}", self.admin))
            .header("x-csrf-token", &self.csrf)
    }

    pub(crate) async fn page(&self, path: &str) -> String {
        self.console(reqwest::Method::GET, path)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Gives the owner's password and code again (sensitive actions ask for them).
    pub(crate) async fn reauth(&self) {
        let reauth = self
            .console(reqwest::Method::POST, "/api/v1/reauth")
            .json(&json!({ "password": PASSWORD, "code": self.authenticator.code().await }))
            .send()
            .await
            .unwrap();
        assert_eq!(reauth.status(), StatusCode::NO_CONTENT);
    }

    /// The owner uploads an 800 × 600 picture of the shop's product through the API;
    /// returns the picture as the API shows it.
    pub(crate) async fn upload_picture(&self) -> serde_json::Value {
        let products: serde_json::Value = self
            .console(reqwest::Method::GET, "/api/v1/products")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = products[0]["id"].as_str().unwrap();
        let res = self
            .console(
                reqwest::Method::POST,
                &format!("/api/v1/products/{id}/images?alt=A%20trail%20boot"),
            )
            .header("x-csrf-token", &self.csrf)
            .header("content-type", "image/jpeg")
            .body(platform_testkit::jpeg(800, 600))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        res.json().await.unwrap()
    }

    /// Posts a console form with the page's CSRF field.
    pub(crate) async fn submit(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let page = self.page("/orders").await;
        let csrf = page
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        self.console(reqwest::Method::POST, path)
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    /// A visitor buys one pair and pays with the mastercard test card; the order's id.
    pub(crate) async fn buy_and_pay(&self) -> String {
        let paysim = self.paysim.as_ref().unwrap();
        let pay_page = self.buy(false).await.headers()[LOCATION]
            .to_str()
            .unwrap()
            .to_owned();
        let sim = platform_testkit::https_client(&std::fs::read_to_string(&paysim.ca).unwrap())
            .unwrap()
            .build()
            .unwrap();
        let res = sim
            .post(&pay_page)
            .form(&[
                ("number", "5555 5555 5555 4444"),
                ("exp", "07/38"),
                ("cvc", "737"),
            ])
            .send()
            .await
            .unwrap();
        let back = res.headers()[LOCATION].to_str().unwrap().to_owned();
        self.http.get(&back).send().await.unwrap();
        let list = self.page("/orders").await;
        assert!(list.contains("Paid"), "{list}");
        first_order(&list)
    }

    /// The owner invites `email` with `roles` (by mail); the person accepts on the
    /// invitation page. Their console session and CSRF token.
    pub(crate) async fn member(&self, email: &str, roles: &[&str]) -> (reqwest::Client, String) {
        let res = self
            .console(reqwest::Method::POST, "/api/v1/staff/invitations")
            .json(&json!({ "email": email, "roles": roles }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "{}",
            res.text().await.unwrap()
        );
        let mail = wait_for_mail(email, 1).await;
        let text = mail[0]["text"].as_str().unwrap();
        let link = text[text.find("https://").unwrap()..]
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned();
        let client = platform_testkit::https_client(&self.ca_pem)
            .unwrap()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let page = client
            .get(&link)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = page
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let res = client
            .post(&link)
            .form(&[
                ("csrf", csrf.as_str()),
                ("password", PASSWORD),
                ("confirm", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let me: Value = client
            .get(format!("{}/api/v1/me", self.admin))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let csrf = me["csrf_token"].as_str().unwrap().to_owned();
        (client, csrf)
    }

    /// The owner's console client (session cookie kept).
    /// Starts the platform's access-control beside this shop's services.
    pub(crate) async fn access_control(&self) -> e2e::AccessControl {
        let ca = DevCa::load_or_create(self._dir.path()).unwrap();
        e2e::spawn_access_control(&self._db, &ca, self._dir.path(), PASSWORD)
            .await
            .unwrap()
    }

    /// The test's database (to move time where an hour cannot be waited for).
    pub(crate) fn db(&self) -> &TestDb {
        &self._db
    }

    pub(crate) fn owner_client(&self) -> &reqwest::Client {
        &self.owner
    }

    /// The buyer's address of this test.
    /// The variant of the shop's one product.
    pub(crate) fn variant(&self) -> &str {
        &self.variant
    }

    /// A visitor's client: no cookie store, no redirects followed.
    pub(crate) fn visitor(&self) -> &reqwest::Client {
        &self.http
    }

    /// The owner's session CSRF token (for API calls).
    pub(crate) fn csrf(&self) -> &str {
        &self.csrf
    }

    pub(crate) fn buyer_email(&self) -> &str {
        &self.buyer_email
    }

    pub(crate) fn shop(&self, path: &str) -> String {
        format!("https://alpine.shop.localhost:{}{path}", self.shop_port)
    }

    /// A visitor buys one pair, ticking the marketing box when `news`; the placement's
    /// answer.
    pub(crate) async fn buy(&self, news: bool) -> reqwest::Response {
        let http = &self.http;
        let res = http
            .post(self.shop("/cart/add"))
            .form(&[("variant", self.variant.as_str())])
            .send()
            .await
            .unwrap();
        let cookie = res.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        http.post(self.shop("/cart/details"))
            .header("cookie", &cookie)
            .form(&[
                ("name", "Ada Lovelace"),
                ("email", self.buyer_email.as_str()),
                ("phone", "+49 30 1234"),
                ("address_line1", "Hauptstraße 1"),
                ("postal_code", "10115"),
                ("city", "Berlin"),
                ("country", "DE"),
            ])
            .send()
            .await
            .unwrap();
        let review = http
            .get(self.shop("/checkout"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let field = |name: &str| {
            let lead = format!("name=\"{name}\" value=\"");
            let start = review
                .find(&lead)
                .unwrap_or_else(|| panic!("{name} in {review}"))
                + lead.len();
            review[start..].split('"').next().unwrap().to_owned()
        };
        // The marketing box is there, and never ticked for the buyer (O17).
        let box_ = review
            .split("<input")
            .find(|i| i.contains("name=\"news\""))
            .unwrap_or_else(|| panic!("no marketing box in {review}"));
        assert!(!box_.contains("checked"), "{box_}");
        let mut form = vec![
            ("key", field("key")),
            ("expected_total", field("expected_total")),
            ("rate", field("rate")),
        ];
        if news {
            form.push(("news", "yes".to_owned()));
        }
        let res = http
            .post(self.shop("/checkout/place"))
            .header("cookie", &cookie)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        res
    }
}

#[tokio::test]
async fn o1_the_merchant_sees_the_order_and_can_reach_the_buyer() {
    let shop = Shop::new(false).await;
    let console = |method: reqwest::Method, path: &str| shop.console(method, path);
    let before = shop.page("/orders").await;
    assert!(before.contains("No orders yet."), "{before}");

    // A visitor buys one pair (this shop takes no online payment: the order waits).
    let res = shop.buy(false).await;
    assert!(
        res.headers()[LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/orders/")
    );

    // The merchant's list shows it without personal data; the order shows the buyer.
    let list = console(reqwest::Method::GET, "/orders")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        list.contains(">1001</a>")
            && list.contains("Waiting for payment")
            && list.contains("123.90 EUR"),
        "{list}"
    );
    assert!(!list.contains("Ada"), "the list holds no personal data");
    let href = first_order(&list);
    let order = console(reqwest::Method::GET, &format!("/orders/{href}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for shown in [
        "Ada Lovelace",
        &format!("mailto:{}", shop.buyer_email),
        "tel:+49 30 1234",
        "Hauptstraße 1",
        "10115 Berlin",
        "127.0.0.1",
        "placed · by buyer",
    ] {
        assert!(order.contains(shown), "{shown} missing: {order}");
    }
    // The buyer never pays: the owner cancels, and the items go back on sale.
    let csrf_field = order
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let res = console(reqwest::Method::POST, &format!("/orders/{href}/cancel"))
        .form(&[("csrf", csrf_field.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let order = console(reqwest::Method::GET, &format!("/orders/{href}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        order.contains("<strong>Cancelled</strong>") && order.contains("cancelled · by staff:"),
        "{order}"
    );
    assert!(!order.contains("Cancel this order"));
    let paid = console(reqwest::Method::GET, "/orders?status=paid")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(paid.contains("No orders yet."));
    let missing = console(
        reqwest::Method::GET,
        "/orders/00000000-0000-4000-8000-000000000000",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn o3_o12_the_owner_sees_the_payment_refunds_it_and_revokes_a_key_in_the_console() {
    let shop = Shop::new(true).await;
    let paysim = shop.paysim.as_ref().unwrap();
    let pay_page = shop.buy(false).await.headers()[LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(pay_page.starts_with(&paysim.url), "{pay_page}");
    let sim = platform_testkit::https_client(&std::fs::read_to_string(&paysim.ca).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let res = sim
        .post(&pay_page)
        .form(&[
            ("number", "5555 5555 5555 4444"),
            ("exp", "07/38"),
            ("cvc", "737"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let back = res.headers()[LOCATION].to_str().unwrap().to_owned();
    let res = shop.http.get(&back).send().await.unwrap();
    assert!(
        res.headers()[LOCATION]
            .to_str()
            .unwrap()
            .ends_with("?paid=1")
    );

    let list = shop.page("/orders").await;
    assert!(list.contains("Paid"), "{list}");
    let href = first_order(&list);
    let order = shop.page(&format!("/orders/{href}")).await;
    for shown in [
        "mastercard ending in 4444, expires 07/2038",
        "Refund through the payment processor",
        "payment captured · by",
    ] {
        assert!(order.contains(shown), "{shown} missing: {order}");
    }
    assert!(!order.contains("5555555555554444") && !order.contains("5555 5555 5555 4444"));

    // Shipped with the platform's carrier: it receives the delivery fields and nothing
    // else (O6; this carrier needs a phone number, so that too).
    let res = shop
        .submit(
            &format!("/orders/{href}/ship"),
            &[("carrier", ""), ("tracking_number", "")],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    let carrier = shop.carrier.as_ref().unwrap();
    let received = carrier.inbox.received();
    assert_eq!(received.len(), 1);
    let body = &received[0].body;
    assert_only_delivery_fields(body);
    assert_eq!(body["recipient"]["name"], "Ada Lovelace");
    assert_eq!(body["recipient"]["phone"], "+49 30 1234");
    assert_eq!(body["reference"], "1001");
    let text = body.to_string();
    assert!(
        !text.contains(&shop.buyer_email) && !text.contains("127.0.0.1") && !text.contains("4444")
    );
    let tracking = received[0].shipment.tracking_number.clone();
    let order = shop.page(&format!("/orders/{href}")).await;
    assert!(
        order.contains("<strong>Shipped</strong>")
            && order.contains(&tracking)
            && order.contains("Parcelsim"),
        "{order}"
    );
    // A second click books nothing more.
    shop.submit(
        &format!("/orders/{href}/ship"),
        &[("carrier", ""), ("tracking_number", "")],
    )
    .await;
    assert_eq!(carrier.inbox.received().len(), 1);
    let res = shop.submit(&format!("/orders/{href}/deliver"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let order = shop.page(&format!("/orders/{href}")).await;
    assert!(
        order.contains("<strong>Delivered</strong>") && order.contains("delivered · by staff:"),
        "{order}"
    );
    let buyer_page = shop
        .http
        .get(
            shop.shop(
                back.split(&format!(":{}", shop.shop_port))
                    .nth(1)
                    .unwrap()
                    .split("/return")
                    .next()
                    .unwrap(),
            ),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        buyer_page.contains("Shipped with Parcelsim, tracking number"),
        "{buyer_page}"
    );

    // The buyer was told twice: the confirmation after payment, the notice on shipping;
    // service mail, with no card data.
    let mails = wait_for_mail(&shop.buyer_email, 2).await;
    let subjects: Vec<&str> = mails
        .iter()
        .map(|m| m["subject"].as_str().unwrap())
        .collect();
    assert!(
        subjects.contains(&"Your order 1001 is confirmed"),
        "{subjects:?}"
    );
    assert!(
        subjects.contains(&"Your order 1001 is on its way"),
        "{subjects:?}"
    );
    for m in &mails {
        let text = m["text"].as_str().unwrap();
        assert!(
            !text.contains("4444") && !text.contains("mastercard"),
            "{text}"
        );
    }
    let shipping = mails
        .iter()
        .find(|m| m["subject"] == "Your order 1001 is on its way")
        .unwrap();
    assert!(shipping["text"].as_str().unwrap().contains(&tracking));

    // A partial refund, then nonsense, then too much, then the rest.
    let refund = format!("/orders/{href}/refund");
    let res = shop.submit(&refund, &[("amount", "20.00")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = shop.submit(&refund, &[("amount", "lots")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("amount to refund"));
    let res = shop.submit(&refund, &[("amount", "500")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let payment_id = pay_page.rsplit('/').next().unwrap();
    assert_eq!(paysim.sim.find(payment_id).unwrap().refunded_minor, 2000);
    let res = shop.submit(&refund, &[("amount", "103.90")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let order = shop.page(&format!("/orders/{href}")).await;
    assert!(
        order.contains("<strong>Refunded</strong>") && order.contains("refunded · by staff:"),
        "{order}"
    );
    assert!(!order.contains("Refund through the payment processor"));
    assert_eq!(paysim.sim.find(payment_id).unwrap().refunded_minor, 12390);

    // The owner revokes the key that signed all this; a new one takes over at once.
    let keys = shop.page("/settings/payments").await;
    assert!(keys.contains("Signing now"), "{keys}");
    let old = keys
        .split("action=\"/settings/payments/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let res = shop
        .submit(&format!("/settings/payments/{old}/revoke"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        paysim.sim.key_status(&old),
        Some(platform_processor_api::KeyStatus::Revoked),
        "the processor refuses the key by the time the page comes back"
    );
    let keys = shop.page("/settings/payments").await;
    assert!(
        keys.contains("Revoked") && keys.contains("Signing now"),
        "{keys}"
    );
}

pub(crate) use platform_testkit::wait_for_mail;

/// The id of the first order linked from the console's order list (not its export links).
pub(crate) fn first_order(list: &str) -> String {
    list.split("href=\"/orders/")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap_or(""))
        .find(|id| !id.starts_with("export"))
        .unwrap_or_else(|| panic!("no order in {list}"))
        .to_owned()
}

/// O6: what a carrier received is the order number and the delivery fields, with the
/// phone (these tests' carrier requires one), and nothing else.
pub(crate) fn assert_only_delivery_fields(body: &Value) {
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort_unstable();
        k
    };
    assert_eq!(keys(body), ["recipient", "reference"]);
    assert_eq!(
        keys(&body["recipient"]),
        [
            "address_line1",
            "address_line2",
            "city",
            "country",
            "name",
            "phone",
            "postal_code",
            "region"
        ]
    );
}
