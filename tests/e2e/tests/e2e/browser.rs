//! End to end in headless Chromium (Debian's `chromium` and `chromium-driver`, which
//! `cargo xtask test` installs): the browser, screenshots (`target/e2e/`) with the
//! accessibility and phone-width checks every browser test uses, and the carts of a
//! visitor with and without cookies. The merchant's and shopper's walk is in
//! `browser_walk.rs`.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use platform_tenancy::TenantDb;
use platform_testkit::TestDb;
use platform_web::devcert::DevCa;
use serde_json::json;

/// A running chromedriver, killed on drop.
pub struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts chromedriver and a headless Chromium session on the profile directory
/// `profile` (the same directory again restores its persistent cookies); with
/// `cookies` false the browser refuses every cookie.
pub async fn start_browser(profile: &std::path::Path, cookies: bool) -> (Driver, Client) {
    start_browser_with(profile, cookies, None).await
}

/// A person's client certificate for the browser: the home directory whose NSS store
/// holds it (see [`certificate_store`]) and the origin it is presented to without asking.
pub struct ClientCertificate<'a> {
    pub home: &'a std::path::Path,
    pub origin: &'a str,
}

/// Puts `cert` and `key` (PEM) into a new NSS store under `home/.pki/nssdb`, as a person
/// imports their certificate into Chromium on Linux (openssl makes the PKCS#12 file,
/// NSS's `certutil` and `pk12util` import it).
pub fn certificate_store(home: &std::path::Path, cert: &std::path::Path, key: &std::path::Path) {
    let nss = home.join(".pki").join("nssdb");
    std::fs::create_dir_all(&nss).unwrap();
    let db = format!("sql:{}", nss.display());
    let p12 = home.join("identity.p12");
    let run = |program: &str, args: &[&std::ffi::OsStr]| {
        let status = Command::new(program)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap_or_else(|e| panic!("{program} (cargo xtask test installs it): {e}"));
        assert!(status.success(), "{program} failed: {status}");
    };
    run(
        "certutil",
        &[
            "-d".as_ref(),
            db.as_ref(),
            "-N".as_ref(),
            "--empty-password".as_ref(),
        ],
    );
    run(
        "openssl",
        &[
            "pkcs12".as_ref(),
            "-export".as_ref(),
            "-in".as_ref(),
            cert.as_os_str(),
            "-inkey".as_ref(),
            key.as_os_str(),
            "-out".as_ref(),
            p12.as_os_str(),
            "-passout".as_ref(),
            "pass:".as_ref(),
        ],
    );
    run(
        "pk12util",
        &[
            "-i".as_ref(),
            p12.as_os_str(),
            "-d".as_ref(),
            db.as_ref(),
            "-W".as_ref(),
            "".as_ref(),
        ],
    );
}

/// As [`start_browser`]; with a client certificate, Chromium runs with that home
/// directory's NSS store and presents the certificate to its origin without a prompt
/// (the per-profile form of Chromium's `AutoSelectCertificateForUrls` setting).
pub async fn start_browser_with(
    profile: &std::path::Path,
    cookies: bool,
    certificate: Option<ClientCertificate<'_>>,
) -> (Driver, Client) {
    let driver_port = free_port();
    let mut command = Command::new("/usr/bin/chromedriver");
    command
        .arg(format!("--port={driver_port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(c) = &certificate {
        command.env("HOME", c.home);
    }
    let driver = Driver(command.spawn().unwrap());
    let mut prefs =
        json!({ "profile.default_content_setting_values.cookies": if cookies { 1 } else { 2 } });
    if let Some(c) = &certificate {
        prefs["profile.content_settings.exceptions.auto_select_certificate"] =
            json!({ format!("{},*", c.origin): { "setting": { "filters": [{}] } } });
    }
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                // The dev CA is not in the browser's store; the test checks content, and
                // TLS itself is tested in libs/web.
                "--ignore-certificate-errors",
                format!("--user-data-dir={}", profile.display()),
            ],
            "prefs": prefs,
        }),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let c = loop {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{driver_port}"))
            .await
        {
            Ok(c) => break c,
            Err(e) if Instant::now() > deadline => panic!("chromedriver did not start: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    };
    (driver, c)
}

pub fn screenshots_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Waits for the element `css` and clicks it.
pub(crate) async fn click(c: &Client, css: &str) {
    c.wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("no {css}"))
        .click()
        .await
        .unwrap();
}

/// The text of the page's `main`.
pub(crate) async fn main_text(c: &Client) -> String {
    c.find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Shows the current page at a phone's width (390 px): fails when the page scrolls
/// sideways there, keeps a screenshot `<name>-390`, and goes back to the desktop width.
pub async fn at_phone_width(c: &Client, name: &str) {
    c.set_window_size(390, 844).await.unwrap();
    // Let the layout settle at the new width.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let widths = c
        .execute(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];",
            vec![],
        )
        .await
        .unwrap();
    let (scroll, client) = (widths[0].as_u64().unwrap(), widths[1].as_u64().unwrap());
    shot(c, &format!("{name}-390")).await;
    if scroll > client {
        // Name the elements that stick out, innermost first, so the fix is obvious.
        let culprits = c
            .execute(
                "const w = document.documentElement.clientWidth; \
                 return [...document.querySelectorAll('body *')] \
                   .filter(e => e.getBoundingClientRect().right > w + 1 \
                             && ![...e.children].some(k => k.getBoundingClientRect().right > w + 1)) \
                   .slice(0, 5) \
                   .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') \
                             + (e.className ? '.' + e.className : '') \
                             + ' (' + Math.round(e.getBoundingClientRect().right) + ' px)');",
                vec![],
            )
            .await
            .unwrap();
        panic!(
            "{name} scrolls sideways at 390 px: {scroll} px of content in {client} px; \
             sticking out: {culprits}"
        );
    }
    c.set_window_size(1280, 900).await.unwrap();
}

/// Keeps a screenshot of the page in `target/e2e/<name>.png`, then checks the page with
/// axe-core: any serious or critical violation fails the test.
pub async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(screenshots_dir().join(format!("{name}.png")), png).unwrap();
    accessible(c, name).await;
}

/// axe-core (`target/tools/axe`, installed by `cargo xtask test` from `infra/axe`),
/// injected into the page as it stands; fails on serious or critical violations.
pub async fn accessible(c: &Client, name: &str) {
    static AXE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/tools/axe/node_modules/axe-core/axe.min.js");
        std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; `cargo xtask test` installs axe-core there",
                path.display()
            )
        })
    });
    c.execute(&format!("{}\nreturn true;", *AXE), vec![])
        .await
        .unwrap();
    let found = c
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             axe.run(document, { resultTypes: ['violations'] }) \
               .then(r => done(r.violations \
                 .filter(v => v.impact === 'serious' || v.impact === 'critical') \
                 .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' \
                   + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')))) \
               .catch(e => done(['axe did not run: ' + e]));",
            vec![],
        )
        .await
        .unwrap();
    let violations = serious_violations(found);
    assert!(
        violations.is_empty(),
        "{name}: accessibility violations (axe-core): {violations:#?}"
    );
}

fn serious_violations(found: serde_json::Value) -> Vec<String> {
    found
        .as_array()
        .unwrap_or_else(|| panic!("axe-core answered {found}"))
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn the_accessibility_check_fails_a_page_with_a_picture_without_alt_text() {
    let profile = tempfile::tempdir().unwrap();
    let (_driver, c) = start_browser(profile.path(), true).await;
    c.goto("data:text/html,<html lang=en><title>t</title><main><img src=x.png></main></html>")
        .await
        .unwrap();
    let check = tokio::spawn({
        let c = c.clone();
        async move { accessible(&c, "no-alt").await }
    });
    let failed = check.await.unwrap_err();
    let message = failed
        .into_panic()
        .downcast::<String>()
        .map(|m| *m)
        .unwrap_or_default();
    assert!(message.contains("image-alt"), "{message}");
    c.close().await.unwrap();
}

/// On the security page a login lands on: sets up the second factor as a person with an
/// authenticator app would (reads the key, types the code) and returns the app.
pub(crate) async fn enrol_second_factor(c: &Client) -> platform_testkit::Authenticator {
    c.wait()
        .for_element(Locator::Css("form[action='/account/mfa/start'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let key = c
        .wait()
        .for_element(Locator::Id("totp-secret"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let app = platform_testkit::Authenticator::new(&key).unwrap();
    fill(c, "code", &app.code().await).await;
    c.find(Locator::Css("form[action='/account/mfa/confirm'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let codes = c
        .wait()
        .for_element(Locator::Css("ul.codes"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(codes.lines().count(), 10, "{codes}");
    app
}

/// Submits the form `css` selects with its submit button.
pub(crate) async fn submit(c: &Client, css: &str) {
    c.find(Locator::Css(&format!("{css} button[type=submit]")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

pub(crate) async fn fill(c: &Client, id: &str, value: &str) {
    let field = c.find(Locator::Id(id)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

pub(crate) async fn assert_privacy_link(c: &Client, page: &str) {
    let link = c
        .find(Locator::Css("footer a[href='/policies/privacy']"))
        .await
        .unwrap_or_else(|_| panic!("{page} has no privacy-policy link in its footer"));
    assert_eq!(link.text().await.unwrap(), "Privacy policy", "{page}");
}

/// Whether the first image `css` selects has loaded (a picture, not a broken icon).
pub(crate) async fn loaded(c: &Client, css: &str) -> bool {
    let script = "const i = document.querySelector(arguments[0]); \
                  return !!i && i.complete && i.naturalWidth > 0;";
    for _ in 0..50 {
        let done = c
            .execute(script, vec![serde_json::Value::from(css)])
            .await
            .unwrap();
        if done == serde_json::Value::Bool(true) {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

pub(crate) async fn add_to_cart(c: &Client, shop: &str, product: &str) {
    c.goto(&format!("{shop}/products/{product}")).await.unwrap();
    c.wait()
        .for_element(Locator::Css("form.variants button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    if c.wait()
        .for_element(Locator::XPath("//main/h1[text()='Your cart']"))
        .await
        .is_err()
    {
        panic!(
            "no cart page at {}: {}",
            c.current_url().await.unwrap(),
            c.source().await.unwrap()
        );
    }
}

pub(crate) async fn cart_text(c: &Client) -> String {
    c.find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn o4_a_visitor_finds_the_cart_again_after_closing_the_browser_and_shops_without_cookies() {
    for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
        assert!(
            std::path::Path::new(tool).exists(),
            "{tool} is missing: `cargo xtask test` installs Debian's chromium and chromium-driver"
        );
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let db = TestDb::new().await.unwrap();
    let admin = TenantDb::new(db.pool_as("tenant_admin", 4).await.unwrap());
    let shop_id = crate::create_shop(&admin, "lantern-co", "Lantern & Co").await;
    crate::add_product(
        &admin,
        shop_id,
        "aurora-lantern",
        "Aurora Lantern",
        "active",
        8,
    )
    .await;
    crate::add_product(&admin, shop_id, "brass-candle", "Brass Candle", "active", 8).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = DevCa::load_or_create(dir.path()).unwrap();
    let cart = e2e::spawn_cart(&db, &ca, dir.path(), crate::REDIS_URL).unwrap();
    let (port, _) = e2e::spawn_storefront(
        &db,
        &ca,
        dir.path(),
        &cart,
        &e2e::spawn_orders(&db, &ca, dir.path(), e2e::OrdersWith::default()).unwrap(),
        None,
    )
    .unwrap();
    let shop = format!("https://lantern-co.shop.localhost:{port}");

    // With cookies: two products, then the browser closes…
    let profile = tempfile::tempdir().unwrap();
    let jar = {
        let (_driver, c) = start_browser(profile.path(), true).await;
        add_to_cart(&c, &shop, "aurora-lantern").await;
        add_to_cart(&c, &shop, "brass-candle").await;
        let text = cart_text(&c).await;
        assert!(
            text.contains("Aurora Lantern") && text.contains("Brass Candle"),
            "{text}"
        );
        assert!(!c.current_url().await.unwrap().path().starts_with("/c/"));
        shot(&c, "11-cart-with-cookie").await;
        // What a browser keeps across restarts: the persistent cookies of its jar.
        let jar = c.get_all_cookies().await.unwrap();
        c.close().await.unwrap();
        jar
    };
    let kept: Vec<_> = jar.into_iter().filter(|k| k.expires().is_some()).collect();
    assert_eq!(kept.len(), 1, "only the cart cookie, and it is persistent");
    let cookie = &kept[0];
    assert_eq!(cookie.name(), "cart");
    assert_eq!(cookie.value().len(), 32);
    assert_eq!(cookie.http_only(), Some(true));
    assert_eq!(cookie.secure(), Some(true));
    assert_eq!(format!("{:?}", cookie.same_site()), "Some(Lax)");
    // …and a new browser session with that jar finds the same cart.
    {
        let fresh_profile = tempfile::tempdir().unwrap();
        let (_driver, c) = start_browser(fresh_profile.path(), true).await;
        c.goto(&format!("{shop}/policies/privacy")).await.unwrap();
        for k in kept {
            c.add_cookie(k).await.unwrap();
        }
        c.goto(&format!("{shop}/")).await.unwrap();
        let mini = c
            .wait()
            .for_element(Locator::Css("a.minicart"))
            .await
            .unwrap();
        assert_eq!(mini.text().await.unwrap(), "Cart (2)");
        mini.click().await.unwrap();
        c.wait()
            .for_element(Locator::XPath("//main/h1[text()='Your cart']"))
            .await
            .unwrap();
        let text = cart_text(&c).await;
        assert!(
            text.contains("Aurora Lantern") && text.contains("Brass Candle"),
            "{text}"
        );
        // Quantity edit without JavaScript: a plain form.
        let qty = c
            .find(Locator::Css("table.cart input[type=number]"))
            .await
            .unwrap();
        qty.clear().await.unwrap();
        qty.send_keys("3").await.unwrap();
        c.find(Locator::Css("table.cart form.inline button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        c.wait()
            .for_element(Locator::XPath(
                "//a[@class='minicart'][contains(., 'Cart (4)')]",
            ))
            .await
            .unwrap();
        shot(&c, "12-cart-after-reopening").await;
        c.close().await.unwrap();
    }
    // Cookies refused: the cart lives in the URL for this visit.
    {
        let cookieless = tempfile::tempdir().unwrap();
        let (_driver, c) = start_browser(cookieless.path(), false).await;
        add_to_cart(&c, &shop, "brass-candle").await;
        let url = c.current_url().await.unwrap();
        assert!(
            url.path().starts_with("/c/") && url.path().ends_with("/cart"),
            "{url}"
        );
        let token_prefix = url.path().trim_end_matches("cart").to_owned();
        // Browse on through links: the token stays.
        c.find(Locator::Css("a.brand"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        c.wait()
            .for_element(Locator::XPath(
                "//a[@class='minicart'][contains(., 'Cart (1)')]",
            ))
            .await
            .unwrap();
        assert_eq!(c.current_url().await.unwrap().path(), token_prefix);
        // Follow the product link on the home page (it carries the token), then add.
        c.find(Locator::Css(&format!(
            "ul.grid a[href='{token_prefix}products/aurora-lantern']"
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
        c.wait()
            .for_element(Locator::Css("form.variants button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        c.wait()
            .for_element(Locator::XPath("//main/h1[text()='Your cart']"))
            .await
            .unwrap();
        let text = cart_text(&c).await;
        assert!(
            text.contains("Aurora Lantern") && text.contains("Brass Candle"),
            "{text}"
        );
        assert!(text.contains("this visit only"));
        assert_privacy_link_prefixed(&c, &token_prefix).await;
        shot(&c, "13-cart-without-cookies").await;
        c.close().await.unwrap();
    }
}

async fn assert_privacy_link_prefixed(c: &Client, prefix: &str) {
    c.find(Locator::Css(&format!(
        "footer a[href='{prefix}policies/privacy']"
    )))
    .await
    .unwrap();
}
