//! The merchant's path and the shopper's, in headless Chromium (issue 16, O20): sign up,
//! add a product with a picture and options, publish a privacy policy, put a collection
//! in the menu and set the shop's look; then a visitor finds the product by its
//! collection and by search, picks an option and puts it in the cart. Every page on the
//! way links the privacy policy (O20), passes axe-core and is kept as a screenshot at
//! 1280 px and at 390 px (`target/e2e/`), as is every other page of the console and the
//! shop at the end of the walk.

use fantoccini::{Client, Locator};
use platform_testkit::TestDb;
use platform_web::devcert::DevCa;

use crate::browser::{
    assert_privacy_link, at_phone_width, cart_text, enrol_second_factor, fill, loaded, main_text,
    shot, start_browser, submit,
};

/// The console's pages the walk does not fill in, as an owner sees them.
const CONSOLE_PAGES: [&str; 20] = [
    "/orders",
    "/requests",
    "/requests/new",
    "/products/new",
    "/catalog",
    "/newsletter",
    "/settings",
    "/settings/checkout",
    "/settings/payments",
    "/settings/retention",
    "/privacy",
    "/export",
    "/close",
    "/staff",
    "/staff/review",
    "/audit",
    "/access",
    "/account/security",
    "/collections",
    "/no-such-page",
];

/// The shop's pages the walk does not pass through.
const SHOP_PAGES: [&str; 6] = [
    "/products",
    "/collections",
    "/search?q=nothing-like-this",
    "/policies/privacy",
    "/newsletter",
    "/no-such-page",
];

/// Opens `base` + `path`, keeps its screenshots at 1280 and 390 px and checks it there.
async fn tour(c: &Client, base: &str, path: &str, site: &str) {
    c.goto(&format!("{base}{path}")).await.unwrap();
    c.wait().for_element(Locator::Css("main")).await.unwrap();
    let name: String = path
        .chars()
        .map(|ch| if ch.is_ascii_alphanumeric() { ch } else { '-' })
        .collect();
    let name = format!("tour-{site}{name}");
    shot(c, &name).await;
    at_phone_width(c, &name).await;
}

#[tokio::test]
async fn o20_merchant_adds_a_product_and_a_visitor_finds_it_with_the_privacy_link_everywhere() {
    for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
        assert!(
            std::path::Path::new(tool).exists(),
            "{tool} is missing: `cargo xtask test` installs Debian's chromium and chromium-driver"
        );
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let db = TestDb::new().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = DevCa::load_or_create(dir.path()).unwrap();
    let cart = e2e::spawn_cart(&db, &ca, dir.path(), crate::REDIS_URL).unwrap();
    let (shop_port, _) = e2e::spawn_storefront(
        &db,
        &ca,
        dir.path(),
        &cart,
        &e2e::spawn_orders(&db, &ca, dir.path(), e2e::OrdersWith::default()).unwrap(),
        None,
    )
    .unwrap();
    let admin = e2e::spawn_tenant_admin(&db, &ca, dir.path(), shop_port, None).unwrap();

    let profile = tempfile::tempdir().unwrap();
    let (_driver, c) = start_browser(profile.path(), true).await;

    // The merchant opens a shop.
    c.goto(&format!("{admin}/signup")).await.unwrap();
    fill(&c, "handle", "lantern-co").await;
    fill(&c, "display_name", "Lantern & Co").await;
    fill(&c, "currency", "EUR").await;
    fill(&c, "email", "owner@lantern.example").await;
    fill(&c, "password", "a long and lovely password").await;
    shot(&c, "01-signup").await;
    c.find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let notice = c
        .wait()
        .for_element(Locator::Css("p.notice"))
        .await
        .unwrap();
    // Signing up logs the owner in, on the page that sets up the second factor.
    assert!(
        notice
            .text()
            .await
            .unwrap()
            .contains("Your shop is ready and you are logged in")
    );
    assert!(
        c.current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/account/security")
    );
    shot(&c, "02-welcome").await;
    // Owners need a second factor: the console asks for one before anything else.
    enrol_second_factor(&c).await;
    // With the factor on, the owner's roles count again.
    c.goto(&format!("{admin}/products")).await.unwrap();
    c.wait()
        .for_element(Locator::Css("a[href='/products/new']"))
        .await
        .unwrap();

    // …and adds a product.
    c.goto(&format!("{admin}/products/new")).await.unwrap();
    fill(&c, "title", "Aurora Storm Lantern").await;
    fill(
        &c,
        "description",
        "A brass lantern that glows like the northern lights.",
    )
    .await;
    fill(&c, "sku", "AURORA-1").await;
    fill(&c, "price", "49.90").await;
    fill(&c, "stock", "8").await;
    shot(&c, "03-new-product").await;
    c.find(Locator::Css("form.card button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Saved, the product's page asks for pictures: the merchant uploads one with its alt text.
    let picture = c
        .wait()
        .for_element(Locator::Css("input[type=file][name=picture]"))
        .await
        .unwrap();
    let file = profile.path().join("lantern.jpg");
    std::fs::write(&file, platform_testkit::jpeg(1600, 1200)).unwrap();
    picture.send_keys(file.to_str().unwrap()).await.unwrap();
    fill(&c, "alt", "A brass lantern glowing green").await;
    shot(&c, "03-add-picture").await;
    c.find(Locator::Css(
        "form[enctype='multipart/form-data'] button[type=submit]",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    let shown = c
        .wait()
        .for_element(Locator::Css("ol.pictures img"))
        .await
        .unwrap();
    assert_eq!(
        shown.attr("alt").await.unwrap().as_deref(),
        Some("A brass lantern glowing green")
    );
    assert!(
        loaded(&c, "ol.pictures img").await,
        "the console shows the picture"
    );
    shot(&c, "03-picture-added").await;
    // The lantern comes in two sizes: the merchant names the option (the first variant
    // is Small) and adds Large.
    fill(&c, "name1", "Size").await;
    fill(&c, "first1", "Small").await;
    submit(&c, "form[action$='/options']").await;
    c.wait()
        .for_element(Locator::Css("input#v-opt1"))
        .await
        .unwrap();
    fill(&c, "v-sku", "AURORA-L").await;
    fill(&c, "v-opt1", "Large").await;
    fill(&c, "v-price", "64,90").await;
    fill(&c, "v-stock", "3").await;
    submit(&c, "form[action$='/variants']").await;
    c.wait()
        .for_element(Locator::XPath(
            "//ul[@class='variants']//input[@value='AURORA-L']",
        ))
        .await
        .unwrap();
    shot(&c, "03-variants").await;
    at_phone_width(&c, "03-variants").await;
    c.goto(&format!("{admin}/products")).await.unwrap();
    let table = c.wait().for_element(Locator::Css("table")).await.unwrap();
    assert!(table.text().await.unwrap().contains("Aurora Storm Lantern"));
    shot(&c, "04-products").await;
    // The console fits a phone: the menu wraps, wide tables scroll inside themselves.
    at_phone_width(&c, "04-products").await;
    c.goto(&format!("{admin}/")).await.unwrap();
    let home = main_text(&c).await;
    assert!(
        home.contains("Next steps") && home.contains("1 product in your catalog"),
        "{home}"
    );
    shot(&c, "04-home").await;
    at_phone_width(&c, "04-home").await;

    // The merchant publishes the shop's own privacy policy.
    c.goto(&format!("{admin}/privacy")).await.unwrap();
    fill(
        &c,
        "body",
        "Lantern & Co keeps your order for seven years, as tax law asks.\n\nWe never sell your details.",
    )
    .await;
    submit(&c, "form[action='/privacy/draft']").await;
    c.wait()
        .for_element(Locator::Css("form[action='/privacy/publish']"))
        .await
        .unwrap();
    submit(&c, "form[action='/privacy/publish']").await;
    c.wait()
        .for_element(Locator::XPath(
            "//p[contains(@class, 'notice') and contains(., 'published')]",
        ))
        .await
        .unwrap();
    shot(&c, "04-privacy-published").await;
    at_phone_width(&c, "04-privacy-published").await;

    // …puts the lantern in a collection the shop's menu links…
    c.goto(&format!("{admin}/collections")).await.unwrap();
    fill(&c, "c-title", "Lanterns").await;
    c.find(Locator::Css("input[name=in_menu]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    submit(&c, "form[action='/collections']").await;
    c.wait()
        .for_element(Locator::XPath(
            "//p[contains(@class, 'notice') and contains(., 'Created')]",
        ))
        .await
        .unwrap();
    submit(&c, "form[action$='/products']").await;
    c.wait()
        .for_element(Locator::XPath(
            "//p[contains(@class, 'notice') and contains(., 'Added')]",
        ))
        .await
        .unwrap();
    let address = main_text(&c).await;
    assert!(address.contains("lantern-co.shop.localhost"), "{address}");
    shot(&c, "04-collection").await;
    at_phone_width(&c, "04-collection").await;

    // …and sets the shop's look: a logo, a darker accent, a banner.
    c.goto(&format!("{admin}/settings/look")).await.unwrap();
    let logo = profile.path().join("logo.jpg");
    std::fs::write(&logo, platform_testkit::jpeg(480, 120)).unwrap();
    c.find(Locator::Id("logo-file"))
        .await
        .unwrap()
        .send_keys(logo.to_str().unwrap())
        .await
        .unwrap();
    fill(&c, "logo-new-alt", "Lantern & Co").await;
    submit(&c, "form[action='/settings/look/logo']").await;
    c.wait()
        .for_element(Locator::Css("#logo img.preview"))
        .await
        .unwrap();
    // A colour input takes its value from a picker, which WebDriver cannot drive.
    c.execute(
        "document.getElementById('accent_color').value = '#7c2d12';",
        vec![],
    )
    .await
    .unwrap();
    fill(&c, "banner_title", "Light for long evenings").await;
    fill(&c, "banner_text", "Brass lanterns, made to last.").await;
    submit(&c, "form[action='/settings/look']").await;
    c.wait()
        .for_element(Locator::XPath(
            "//p[contains(@class, 'notice') and contains(., 'Saved')]",
        ))
        .await
        .unwrap();
    shot(&c, "04-look").await;
    at_phone_width(&c, "04-look").await;

    // A visitor comes to the shop, searches, opens the product.
    let shop = format!("https://lantern-co.shop.localhost:{shop_port}");
    c.goto(&format!("{shop}/")).await.unwrap();
    // The shop's logo names it; the banner and the accent are the merchant's.
    let brand = c.find(Locator::Css("a.brand img.logo")).await.unwrap();
    assert_eq!(
        brand.attr("alt").await.unwrap().as_deref(),
        Some("Lantern & Co")
    );
    assert!(
        loaded(&c, "a.brand img.logo").await,
        "the shop shows its logo"
    );
    assert!(
        main_text(&c).await.contains("Light for long evenings"),
        "the home page shows the banner"
    );
    let accent = c
        .execute(
            "return getComputedStyle(document.querySelector('.banner')).backgroundColor;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(accent, "rgb(124, 45, 18)");
    assert_privacy_link(&c, "home").await;
    shot(&c, "05-shop-home").await;
    at_phone_width(&c, "05-shop-home").await;
    // The visitor finds the lantern through the menu's collection first.
    c.find(Locator::Css("header nav a[href='/collections/lanterns']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath("//main/h1[text()='Lanterns']"))
        .await
        .unwrap();
    c.find(Locator::Css(
        "ul.grid a[href='/products/aurora-storm-lantern']",
    ))
    .await
    .unwrap();
    assert_privacy_link(&c, "collection").await;
    shot(&c, "05-shop-collection").await;
    at_phone_width(&c, "05-shop-collection").await;
    fill(&c, "q", "aurora").await;
    c.find(Locator::Css("form.search button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Wait for the search page itself: the home page links the same product, and an
    // element found there would go stale as the results page loads.
    c.wait()
        .for_element(Locator::XPath("//main/h1[text()='Search']"))
        .await
        .unwrap();
    let result = c
        .find(Locator::Css(
            "ul.grid a[href='/products/aurora-storm-lantern']",
        ))
        .await
        .unwrap();
    assert_privacy_link(&c, "search").await;
    shot(&c, "06-search").await;
    result.click().await.unwrap();
    let h1 = c
        .wait()
        .for_element(Locator::Css("article.product h1"))
        .await
        .unwrap();
    assert_eq!(h1.text().await.unwrap(), "Aurora Storm Lantern");
    let body = c
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("49.90 EUR") && body.contains("In stock"),
        "{body}"
    );
    // The picture, in the widths the browser picks from, with the merchant's alt text.
    let img = c
        .find(Locator::Css("article.product .gallery img"))
        .await
        .unwrap();
    assert_eq!(
        img.attr("alt").await.unwrap().as_deref(),
        Some("A brass lantern glowing green")
    );
    let srcset = img.attr("srcset").await.unwrap().unwrap_or_default();
    assert!(
        srcset.contains(" 320w") && srcset.contains(" 640w") && srcset.contains(" 1280w"),
        "{srcset}"
    );
    assert!(
        loaded(&c, "article.product .gallery img").await,
        "the shop shows the picture"
    );
    assert_privacy_link(&c, "product").await;
    shot(&c, "07-product").await;
    at_phone_width(&c, "07-product").await;
    // The shopper picks Large (no script: the button shows its price), then adds it.
    c.find(Locator::Css("input[name=o1][value=Large]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("button[formmethod=get]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath("//p[@class='price' and text()='64.90 EUR']"))
        .await
        .unwrap();
    shot(&c, "07-product-large").await;
    c.find(Locator::XPath("//button[text()='Add to cart']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath("//main/h1[text()='Your cart']"))
        .await
        .unwrap();
    let cart = cart_text(&c).await;
    assert!(
        cart.contains("Large") && cart.contains("64.90 EUR"),
        "{cart}"
    );
    assert!(
        loaded(&c, "table.cart img.thumb").await,
        "the cart shows the picture"
    );
    shot(&c, "07-cart").await;
    at_phone_width(&c, "07-cart").await;
    c.goto(&format!("{shop}/products/aurora-storm-lantern"))
        .await
        .unwrap();
    c.find(Locator::Css("footer a[href='/policies/privacy']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let h1 = c
        .wait()
        .for_element(Locator::XPath("//main/h1[text()='Privacy policy']"))
        .await
        .unwrap();
    assert_eq!(h1.text().await.unwrap(), "Privacy policy");
    // The policy the merchant published, with its paragraphs.
    let policy = main_text(&c).await;
    assert!(
        policy.contains("keeps your order for seven years") && policy.contains("We never sell"),
        "{policy}"
    );
    assert_privacy_link(&c, "privacy").await;
    shot(&c, "08-privacy").await;
    at_phone_width(&c, "08-privacy").await;

    // Every other page of the console and the shop, at both widths, through axe-core.
    for path in CONSOLE_PAGES {
        tour(&c, &admin, path, "console").await;
    }
    for path in SHOP_PAGES {
        tour(&c, &shop, path, "shop").await;
    }
    c.close().await.unwrap();
}
