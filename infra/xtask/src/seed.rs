//! Demo and load-test data.
//!
//! The demo shops are created through the running tenant-admin service's API, exactly as
//! a merchant would (sign-up, login, products, privacy policy), so `cargo xtask up` also
//! exercises the real paths. Large data sets for load tests (`cargo xtask seed`) are
//! written straight to the database as the `tenant_admin` role, tenant by tenant.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use platform_tenancy::{TenantDb, TenantId};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::db;

/// The password of every demo owner (development only; printed and in stack.json).
pub const DEMO_PASSWORD: &str = "demo-password-2026";

/// A demo shop and what it sells.
pub struct DemoShop {
    pub handle: &'static str,
    pub name: &'static str,
    /// Accent colour and home banner (headline, text): the two shops look different.
    pub look: (&'static str, &'static str, &'static str),
    pub currency: &'static str,
    pub policy: &'static str,
    pub products: &'static [DemoProduct],
    /// Collections the shop's menu links, with the titles of their products.
    pub collections: &'static [(&'static str, &'static [&'static str])],
    /// The alt text of the home banner's picture.
    pub banner_alt: &'static str,
}

/// A demo product: with an option (size, weight), one variant per value.
pub struct DemoProduct {
    pub title: &'static str,
    pub description: &'static str,
    /// The option shoppers choose, if any.
    pub option: Option<&'static str>,
    /// (value of the option, or the title without one; SKU; price in minor units; stock).
    pub variants: &'static [(&'static str, &'static str, i64, i32)],
}

/// Two shops with different catalogs, so isolation is visible in a browser.
pub const DEMO_SHOPS: [DemoShop; 2] = [
    DemoShop {
        handle: "northwind",
        name: "Northwind Outfitters",
        look: (
            "#1d4ed8",
            "Gear for long days outside",
            "Boots, shells and mugs that last season after season.",
        ),
        currency: "EUR",
        policy: "Northwind Outfitters uses your contact details and address only to deliver your order and to reach you if something goes wrong with it.\n\nWe never sell your data. Card payments go straight to our payment processor; we never see your card number.",
        products: &[
            DemoProduct {
                title: "Trail Boots",
                description: "Waterproof leather boots for long days on rough paths.",
                option: Some("Size"),
                variants: &[
                    ("41", "NW-BOOTS-41", 18900, 4),
                    ("42", "NW-BOOTS-42", 18900, 12),
                    ("43", "NW-BOOTS-43", 18900, 0),
                    ("44", "NW-BOOTS-44", 19900, 3),
                ],
            },
            DemoProduct {
                title: "Rain Shell",
                description: "A light, packable shell that keeps the weather out.",
                option: Some("Size"),
                variants: &[
                    ("S", "NW-SHELL-S", 14900, 5),
                    ("M", "NW-SHELL-M", 14900, 7),
                    ("L", "NW-SHELL-L", 14900, 2),
                ],
            },
            DemoProduct {
                title: "Wool Beanie",
                description: "Merino wool, warm without the itch.",
                option: None,
                variants: &[("Default", "NW-BEANIE", 2900, 40)],
            },
            DemoProduct {
                title: "Camp Mug",
                description: "Enamel mug that survives every trip.",
                option: None,
                variants: &[("Default", "NW-MUG", 1500, 0)],
            },
        ],
        collections: &[
            ("Footwear", &["Trail Boots"]),
            ("Clothing", &["Rain Shell", "Wool Beanie"]),
            ("Camp kitchen", &["Camp Mug"]),
        ],
        banner_alt: "A blue disc lit like a low sun over a pale floor",
    },
    DemoShop {
        handle: "sunbeam",
        name: "Sunbeam Tea House",
        look: (
            "#9a3412",
            "Tea worth slowing down for",
            "Loose-leaf teas, blended in small batches and sent fresh.",
        ),
        currency: "GBP",
        policy: "Sunbeam Tea House keeps your details only as long as needed to brew and send your tea.\n\nYou can ask us for a copy of your data or for its erasure at any time.",
        products: &[
            DemoProduct {
                title: "Jasmine Green",
                description: "Delicate green tea scented with jasmine blossoms.",
                option: Some("Weight"),
                variants: &[
                    ("50 g", "SB-JASMINE-50", 850, 60),
                    ("100 g", "SB-JASMINE-100", 1550, 25),
                ],
            },
            DemoProduct {
                title: "Earl Grey Supreme",
                description: "Black tea with bergamot and cornflowers.",
                option: Some("Weight"),
                variants: &[
                    ("50 g", "SB-EARLGREY-50", 790, 45),
                    ("100 g", "SB-EARLGREY-100", 1450, 0),
                ],
            },
            DemoProduct {
                title: "Rooibos Vanilla",
                description: "Caffeine-free red bush tea with vanilla.",
                option: None,
                variants: &[("Default", "SB-ROOIBOS", 690, 30)],
            },
        ],
        collections: &[
            (
                "Green and black teas",
                &["Jasmine Green", "Earl Grey Supreme"],
            ),
            ("Herbal", &["Rooibos Vanilla"]),
        ],
        banner_alt: "A copper-red disc glowing like a warm cup seen from above",
    },
];

/// A demo product picture, drawn here rather than shipped (no licence to track): a
/// studio backdrop tinted with the shop's accent colour and a lit disc whose place and
/// rings differ per product. 1200 × 900 JPEG, so the storefront stores it in 320, 640
/// and 1280 px widths (its own 1200 at most).
pub fn demo_picture(accent: &str, index: usize) -> anyhow::Result<Vec<u8>> {
    draw(accent, index, (1200, 900))
}

/// A demo shop's home banner picture: the same kind of drawing, 1600 × 700.
pub fn demo_banner(accent: &str) -> anyhow::Result<Vec<u8>> {
    draw(accent, 5, (1600, 700))
}

fn draw(accent: &str, index: usize, (w, h): (u32, u32)) -> anyhow::Result<Vec<u8>> {
    let hex = accent.trim_start_matches('#');
    let channel = |i: usize| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("80"), 16);
    let tint = [channel(0)?, channel(2)?, channel(4)?].map(f32::from);
    let mix = |a: [f32; 3], b: [f32; 3], t: f32| {
        image::Rgb([0, 1, 2].map(|c| (a[c] + (b[c] - a[c]) * t).round().clamp(0.0, 255.0) as u8))
    };
    let white = [250.0, 250.0, 248.0];
    let cx = w as f32 * (0.3 + 0.2 * (index % 3) as f32);
    let cy = h as f32 * (0.45 + 0.05 * (index % 2) as f32);
    let radius = h as f32 * (0.24 + 0.035 * (index % 4) as f32);
    let rings = 18.0 + 6.0 * (index % 3) as f32;
    let picture = image::RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32, y as f32);
        let d = ((fx - cx).powi(2) + (fy - cy).powi(2)).sqrt();
        // The disc's shadow on the floor, then the disc, then the backdrop.
        let shadow = ((fx - cx - 40.0) / (radius * 1.1)).powi(2)
            + ((fy - cy - radius * 0.95) / (radius * 0.25)).powi(2);
        if d < radius {
            let light = 1.0 - d / radius;
            let ring = if ((d / rings) as i32) % 2 == 0 {
                0.08
            } else {
                0.0
            };
            mix(tint, white, (0.15 + 0.45 * light.powi(2) + ring).min(0.9))
        } else if shadow < 1.0 {
            mix(white, tint, 0.25 * (1.0 - shadow))
        } else {
            mix(white, tint, 0.06 + 0.12 * fy / h as f32)
        }
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(picture).write_to(
        &mut std::io::Cursor::new(&mut out),
        image::ImageFormat::Jpeg,
    )?;
    Ok(out)
}

/// The demo shop's banner picture and its menu's collections, once each.
async fn demo_banner_and_menu(
    client: &reqwest::Client,
    admin_base: &str,
    csrf: &str,
    shop: &DemoShop,
) -> anyhow::Result<()> {
    let look: Value = client
        .get(format!("{admin_base}/api/v1/look"))
        .send()
        .await?
        .json()
        .await?;
    if look["banner_image"].is_null() {
        let res = client
            .put(reqwest::Url::parse_with_params(
                &format!("{admin_base}/api/v1/look/banner"),
                [("alt", shop.banner_alt)],
            )?)
            .header("x-csrf-token", csrf)
            .header("content-type", "image/jpeg")
            .body(demo_banner(shop.look.0)?)
            .send()
            .await?;
        if res.status() != StatusCode::OK {
            bail!("demo banner of {} failed: {}", shop.handle, res.status());
        }
    }
    let existing: Value = client
        .get(format!("{admin_base}/api/v1/collections"))
        .send()
        .await?
        .json()
        .await?;
    if existing.as_array().is_some_and(|a| !a.is_empty()) {
        return Ok(());
    }
    let products: Value = client
        .get(format!("{admin_base}/api/v1/products"))
        .send()
        .await?
        .json()
        .await?;
    for (title, members) in shop.collections {
        let res = client
            .post(format!("{admin_base}/api/v1/collections"))
            .header("x-csrf-token", csrf)
            .json(&json!({ "title": title, "in_menu": true }))
            .send()
            .await?;
        if res.status() != StatusCode::CREATED {
            bail!("demo collection {title} failed: {}", res.status());
        }
        let collection: Value = res.json().await?;
        let cid = collection["id"].as_str().unwrap_or_default();
        for p in products.as_array().into_iter().flatten() {
            if !members.iter().any(|m| p["title"] == *m) {
                continue;
            }
            let pid = p["id"].as_str().unwrap_or_default();
            let res = client
                .put(format!(
                    "{admin_base}/api/v1/collections/{cid}/products/{pid}"
                ))
                .header("x-csrf-token", csrf)
                .send()
                .await?;
            if res.status() != StatusCode::OK {
                bail!("demo collection {title} failed: {}", res.status());
            }
        }
    }
    Ok(())
}

/// A client for the dev stack's HTTPS services, trusting the dev CA.
pub fn client(ca_pem: &str) -> anyhow::Result<reqwest::Client> {
    Ok(platform_testkit::https_client(ca_pem)?
        .cookie_store(true)
        .timeout(Duration::from_secs(30))
        .build()?)
}

/// A client like [`client`] that also presents a client certificate (internal services).
pub fn client_with_identity(
    ca: &std::path::Path,
    identity: &(std::path::PathBuf, std::path::PathBuf),
) -> anyhow::Result<reqwest::Client> {
    let tls = platform_web::tls::client_config(ca, Some((&identity.0, &identity.1)))?;
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(Duration::from_secs(30))
        .build()?)
}

/// Waits until `url` (a `/readyz`) answers 200.
pub async fn wait_ready(
    client: &reqwest::Client,
    url: &str,
    limit: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(res) = client.get(url).send().await
            && res.status() == StatusCode::OK
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{url} did not become ready within {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A demo shop's checkout settings: its order prefix, standard and express rates to a few
/// countries, and VAT included in its prices.
fn demo_checkout(shop: &DemoShop) -> Value {
    let prefix = shop.handle[..2].to_ascii_uppercase() + "-";
    // (country, standard, express, VAT %)
    let destinations: &[(&str, &str, &str, &str)] = if shop.currency == "GBP" {
        &[("GB", "3.95", "7.95", "20"), ("IE", "8.50", "14.50", "23")]
    } else {
        &[
            ("DE", "4.90", "9.90", "19"),
            ("AT", "6.90", "12.90", "20"),
            ("FR", "7.90", "14.90", "20"),
            ("NL", "6.90", "12.90", "21"),
        ]
    };
    let mut rates = Vec::new();
    let mut taxes = Vec::new();
    for (country, standard, express, vat) in destinations {
        rates.push(json!({ "country": country, "name": "Standard", "price": standard }));
        rates.push(json!({ "country": country, "name": "Express", "price": express }));
        taxes.push(json!({ "country": country, "rate": vat, "inclusive": true }));
    }
    json!({
        "order_number_prefix": prefix,
        "order_hold_minutes": 30,
        "shipping_rates": rates,
        "tax_rates": taxes
    })
}

/// Where the authenticator key of a dev shop's owner is kept (owners need a second
/// factor): `target/dev/totp/<handle>.key`, readable by the developer only.
pub fn totp_key_path(handle: &str) -> std::path::PathBuf {
    crate::dev_dir().join("totp").join(format!("{handle}.key"))
}

/// Logs an owner in over the console's API, second factor included: with the key kept
/// from an earlier run, or setting one up and keeping its key. Returns the CSRF token.
pub async fn console_login(
    client: &reqwest::Client,
    base: &str,
    handle: &str,
    email: &str,
    password: &str,
) -> anyhow::Result<String> {
    let path = totp_key_path(handle);
    let known = match std::fs::read_to_string(&path) {
        Ok(key) => Some(platform_testkit::Authenticator::new(&key).map_err(anyhow::Error::msg)?),
        Err(_) => None,
    };
    let login = platform_testkit::console_login(client, base, handle, email, password, known)
        .await
        .map_err(|e| anyhow::anyhow!("console login to {handle}: {e}"))?;
    std::fs::create_dir_all(path.parent().context("totp dir")?)?;
    platform_web::devcert::write_file(&path, login.authenticator.secret(), true)?;
    Ok(login.csrf)
}

/// `cargo xtask code <handle>`: the current code of a dev shop owner's second factor.
pub fn current_code(handle: &str) -> anyhow::Result<String> {
    let key = std::fs::read_to_string(totp_key_path(handle))
        .with_context(|| format!("no key kept for {handle} (run cargo xtask up first)"))?;
    Ok(platform_auth::totp::Totp::from_base32(&key)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .current_code())
}

/// Creates the demo shops through the admin API (idempotent).
pub async fn demo_shops(ca_pem: &str, admin_base: &str) -> anyhow::Result<Vec<Value>> {
    let mut out = Vec::new();
    for shop in &DEMO_SHOPS {
        let client = client(ca_pem)?;
        let email = format!("owner@{}.example", shop.handle);
        let res = client
            .post(format!("{admin_base}/api/v1/signup"))
            .json(&json!({ "handle": shop.handle, "display_name": shop.name, "currency": shop.currency, "email": email, "password": DEMO_PASSWORD }))
            .send()
            .await?;
        match res.status() {
            StatusCode::CREATED | StatusCode::CONFLICT => {}
            other => bail!(
                "sign-up of {} failed: {other} {}",
                shop.handle,
                res.text().await.unwrap_or_default()
            ),
        }
        let csrf = console_login(&client, admin_base, shop.handle, &email, DEMO_PASSWORD).await?;
        let existing: Value = client
            .get(format!("{admin_base}/api/v1/products"))
            .send()
            .await?
            .json()
            .await?;
        if existing.as_array().is_none_or(|a| a.is_empty()) {
            for p in shop.products {
                let variants: Vec<Value> = p
                    .variants
                    .iter()
                    .map(|(value, sku, price, stock)| {
                        let mut options = serde_json::Map::new();
                        if let Some(option) = p.option {
                            options.insert(option.to_owned(), Value::from(*value));
                        }
                        json!({ "sku": sku, "price_minor": price, "stock": stock,
                                "options": options })
                    })
                    .collect();
                let res = client
                    .post(format!("{admin_base}/api/v1/products"))
                    .header("x-csrf-token", &csrf)
                    .json(&json!({ "title": p.title, "description": p.description, "status": "active",
                                   "featured": true, "option_names": p.option.into_iter().collect::<Vec<_>>(),
                                   "variants": variants }))
                    .send()
                    .await?;
                if res.status() != StatusCode::CREATED {
                    bail!("demo product {} failed: {}", p.title, res.status());
                }
            }
            client
                .put(format!("{admin_base}/api/v1/privacy-policies/draft"))
                .header("x-csrf-token", &csrf)
                .json(&json!({ "body": shop.policy }))
                .send()
                .await?;
            client
                .post(format!(
                    "{admin_base}/api/v1/privacy-policies/draft/publish"
                ))
                .header("x-csrf-token", &csrf)
                .json(&json!({}))
                .send()
                .await?;
        }
        // A picture for each demo product that has none (generated here, see
        // `demo_picture`), uploaded like a merchant's.
        let listed: Value = client
            .get(format!("{admin_base}/api/v1/products"))
            .send()
            .await?
            .json()
            .await?;
        for (i, p) in listed.as_array().into_iter().flatten().enumerate() {
            let bare = p["images"].as_array().is_none_or(|a| a.is_empty());
            let (Some(id), Some(title)) = (p["id"].as_str(), p["title"].as_str()) else {
                continue;
            };
            if !bare || !shop.products.iter().any(|d| d.title == title) {
                continue;
            }
            let alt = format!("Illustration of {title}");
            let res = client
                .post(reqwest::Url::parse_with_params(
                    &format!("{admin_base}/api/v1/products/{id}/images"),
                    [("alt", alt.as_str())],
                )?)
                .header("x-csrf-token", &csrf)
                .header("content-type", "image/jpeg")
                .body(demo_picture(shop.look.0, i)?)
                .send()
                .await?;
            if res.status() != StatusCode::CREATED {
                bail!("demo picture of {title} failed: {}", res.status());
            }
        }
        // Its own look, each start (the demo shops look different).
        let (accent, title, text) = shop.look;
        let res = client
            .put(format!("{admin_base}/api/v1/look"))
            .header("x-csrf-token", &csrf)
            .json(&json!({ "accent_color": accent, "banner_title": title, "banner_text": text }))
            .send()
            .await?;
        if res.status() != StatusCode::OK {
            bail!("demo look of {} failed: {}", shop.handle, res.status());
        }
        demo_banner_and_menu(&client, admin_base, &csrf, shop).await?;
        // Somewhere to ship to, once: flat rates and VAT for a few countries.
        let checkout: Value = client
            .get(format!("{admin_base}/api/v1/checkout"))
            .send()
            .await?
            .json()
            .await?;
        if checkout["shipping_rates"]
            .as_array()
            .is_none_or(|r| r.is_empty())
        {
            let res = client
                .put(format!("{admin_base}/api/v1/checkout"))
                .header("x-csrf-token", &csrf)
                .json(&demo_checkout(shop))
                .send()
                .await?;
            if res.status() != StatusCode::OK {
                bail!(
                    "demo checkout settings of {} failed: {}",
                    shop.handle,
                    res.status()
                );
            }
        }
        let me: Value = client
            .get(format!("{admin_base}/api/v1/me"))
            .send()
            .await?
            .json()
            .await?;
        out.push(json!({
            "handle": shop.handle,
            "name": shop.name,
            "tenant_id": me["tenant_id"],
            "host_names": me["shop"]["host_names"],
            "login": { "shop": shop.handle, "email": email, "password": DEMO_PASSWORD,
                        "code": format!("cargo xtask code {}", shop.handle) },
        }));
    }
    Ok(out)
}

/// `cargo xtask seed --tenants N --products M`: N shops `load-0001…` with M active
/// products each (one variant, in stock), written directly as `tenant_admin`.
pub async fn load_data(tenants: usize, products: usize) -> anyhow::Result<()> {
    let db = TenantDb::new(db::pool_as("tenant_admin", 4).await?);
    let started = Instant::now();
    for i in 1..=tenants {
        let handle = format!("load-{i:04}");
        let existing: Option<TenantId> = {
            let mut tx = db.platform().await?;
            sqlx::query_scalar("select id from tenants where handle = $1")
                .bind(&handle)
                .fetch_optional(&mut tx)
                .await?
        };
        let tenant = existing.unwrap_or_else(TenantId::random);
        let mut tx = db.begin(tenant).await?;
        if existing.is_none() {
            sqlx::query("insert into tenants (id, handle, display_name, host_names) values ($1, $2, $3, $4)")
                .bind(tenant)
                .bind(&handle)
                .bind(format!("Load Shop {i:04}"))
                .bind(vec![format!("{handle}.shop.localhost")])
                .execute(&mut tx)
                .await?;
            sqlx::query("insert into store_settings (tenant_id, currency, contact_email) values ($1, 'EUR', $2)")
                .bind(tenant)
                .bind(format!("shop@{handle}.example"))
                .execute(&mut tx)
                .await?;
        }
        let have: i64 = sqlx::query_scalar("select count(*) from products")
            .fetch_one(&mut tx)
            .await?;
        let want = i64::try_from(products)?;
        if have < want {
            sqlx::query(
                "insert into products (tenant_id, id, handle, title, description, status, featured, created_at) \
                 select $1, gen_random_uuid(), 'product-' || n, 'Product ' || n || ' of ' || $3, \
                        'A sturdy product number ' || n || ' with a longer description for search.', \
                        'active', n % 50 = 0, now() - make_interval(secs => n) \
                 from generate_series($2::int + 1, $4::int) as n",
            )
            .bind(tenant)
            .bind(i32::try_from(have)?)
            .bind(&handle)
            .bind(i32::try_from(want)?)
            .execute(&mut tx)
            .await?;
            sqlx::query(
                "insert into variants (tenant_id, id, product_id, sku, title, price_minor, currency, stock) \
                 select p.tenant_id, gen_random_uuid(), p.id, upper(p.handle), 'Default', 100 + (hashtext(p.handle) & 65535), 'EUR', 10 \
                 from products p where not exists (select 1 from variants v where v.tenant_id = p.tenant_id and v.product_id = p.id)",
            )
            .execute(&mut tx)
            .await?;
        }
        tx.commit().await?;
        if i % 10 == 0 || i == tenants {
            println!(
                "xtask: seeded {i}/{tenants} shops ({:?})",
                started.elapsed()
            );
        }
    }
    db.close().await;
    // Fresh statistics, so that the services' generic plans (`plan_cache_mode`) are made
    // for the shops' real sizes from the first measured request, not after autovacuum's
    // next pass. As the owner: only a table's owner may analyse it.
    let owner = db::pool_as(platform_testkit::OWNER_ROLE, 1).await?;
    sqlx::query("analyze products, variants")
        .execute(&owner)
        .await?;
    owner.close().await;
    Ok(())
}
