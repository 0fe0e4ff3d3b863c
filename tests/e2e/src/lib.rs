//! End-to-end test kit: starts the services exactly as `main` and the dev stack do,
//! through each one's `Application::build`, on port 0 with a throwaway dev CA, against a
//! [`TestDb`] whose roles are the services' own.
//!
//! This crate is for tests only; it is the one place allowed to depend on several
//! service crates at once.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use platform_testkit::TestDb;
use platform_vault::LocalKek;
use platform_web::ServerConfig;
use platform_web::devcert::DevCa;

/// A listener on 127.0.0.1:0 with the given certificate; with `client_ca`, client
/// certificates of that CA are required.
pub fn server_config(cert: &Path, key: &Path, client_ca: Option<PathBuf>) -> ServerConfig {
    ServerConfig {
        https_addr: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        http_redirect: None,
        public_https_port: None,
        tls_cert: cert.to_owned(),
        tls_key: key.to_owned(),
        require_client_cert: client_ca.is_some(),
        client_ca,
    }
}

/// Where the cart runs and what a caller needs to reach it over mutual TLS.
pub struct CartEndpoint {
    /// `https://localhost:<port>`.
    pub url: String,
    /// The CA of the cart's certificate.
    pub ca: PathBuf,
    /// The storefront's client certificate and key.
    pub identity: (PathBuf, PathBuf),
}

/// The bucket the end-to-end tests keep product pictures in (the dev Garage).
pub const IMAGES_BUCKET: &str = "e2e-images";

/// The end-to-end tests' picture store.
pub fn images() -> Result<platform_testkit::S3Config, Error> {
    platform_testkit::images_s3(IMAGES_BUCKET).map_err(Error::from)
}

/// The platform's key-encryption key, one per test process as in production one per
/// platform: services that open each other's sealed data (a shop's keys made by the
/// console, used by orders) must unwrap with the same KEK.
pub fn platform_kek() -> Arc<dyn platform_vault::KeyEncryptionKey> {
    static KEK: std::sync::LazyLock<Arc<LocalKek>> =
        std::sync::LazyLock::new(|| Arc::new(LocalKek::generate(1)));
    KEK.clone()
}

/// Test kit failures (setup only; tests unwrap them).
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Starts the cart service (real Redis at `redis_url`, the `cart` role, client
/// certificates of `ca` required) and writes a client certificate for the storefront.
pub fn spawn_cart(
    db: &TestDb,
    ca: &DevCa,
    dir: &Path,
    redis_url: &str,
) -> Result<CartEndpoint, Error> {
    let cart_dir = dir.join("cart");
    std::fs::create_dir_all(&cart_dir)?;
    let (cert, key) = ca.write_server_cert(&cart_dir, &[])?;
    let identity = ca.write_client_cert(dir, "storefront")?;
    let app = cart::Application::build(cart::Config {
        server: server_config(&cert, &key, Some(dir.join("ca.pem"))),
        database: db.options_for("cart"),
        redis_url: redis_url.into(),
        visit_ttl: 7200,
        kek: platform_kek(),
        callers: Arc::from(vec!["storefront".to_owned()]),
    })?;
    let url = format!("https://localhost:{}", app.https_port());
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    Ok(CartEndpoint {
        url,
        ca: dir.join("ca.pem"),
        identity,
    })
}

/// The payment processor's simulator as a test sees it: a third party with its own CA.
pub struct PaySim {
    /// `https://localhost:<port>`.
    pub url: String,
    /// The simulator's own CA (not the platform's).
    pub ca: PathBuf,
    /// Its state, to look inside.
    pub sim: Arc<payment_sim::Sim>,
    /// The platform's partner key seed (base64url), which orders signs key sets with.
    pub partner_seed_file: PathBuf,
    /// The processor's own signing seed (its key id is [`PAYSIM_KEY_ID`]): tests sign
    /// webhooks with it to probe the platform's checks.
    pub signing_seed: Vec<u8>,
}

/// The simulator's key id in tests.
pub const PAYSIM_KEY_ID: &str = "paysim-test";

/// Starts the payment simulator with a CA of its own, trusting the platform's CA in
/// `dir` for the webhooks it sends; each event is delivered `copies` times at once.
pub fn spawn_paysim(dir: &Path, copies: usize) -> Result<PaySim, Error> {
    use base64::Engine;
    let sim_dir = dir.join("paysim");
    std::fs::create_dir_all(&sim_dir)?;
    let sim_ca = DevCa::generate()?;
    let (cert, key) = sim_ca.write_server_cert(&sim_dir, &[])?;
    let ca = sim_dir.join("paysim-ca.pem");
    std::fs::write(&ca, sim_ca.cert_pem())?;
    let partner = platform_msgsign::Keypair::generate(platform_processor_api::PARTNER_KEY_ID);
    let signing = platform_msgsign::Keypair::generate(PAYSIM_KEY_ID);
    let partner_seed_file = dir.join("partner.key");
    std::fs::write(
        &partner_seed_file,
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(partner.seed()),
    )?;
    let app = payment_sim::Application::build(payment_sim::Config {
        server: server_config(&cert, &key, None),
        public_url: None,
        signing_key: platform_msgsign::Keypair::from_seed(PAYSIM_KEY_ID, signing.seed())?,
        partner_key: partner.public(),
        webhook_ca: Some(dir.join("ca.pem")),
        webhook_copies: copies,
    })?;
    let url = format!("https://localhost:{}", app.https_port());
    let sim = app.sim();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    Ok(PaySim {
        url,
        ca,
        sim,
        partner_seed_file,
        signing_seed: signing.seed().to_vec(),
    })
}

/// The carrier's simulator as a test sees it.
pub struct CarrierSim {
    /// `https://localhost:<port>`.
    pub url: String,
    /// Its own CA.
    pub ca: PathBuf,
    /// The token file the platform presents.
    pub token_file: PathBuf,
    /// Whether it needs a phone number.
    pub requires_phone: bool,
    /// What it received.
    pub inbox: carrier_sim::Inbox,
}

/// Starts the carrier simulator with a CA of its own.
pub fn spawn_carrier(dir: &Path, requires_phone: bool) -> Result<CarrierSim, Error> {
    let carrier_dir = dir.join("carrier");
    std::fs::create_dir_all(&carrier_dir)?;
    let own_ca = DevCa::generate()?;
    let (cert, key) = own_ca.write_server_cert(&carrier_dir, &[])?;
    let ca = carrier_dir.join("carrier-ca.pem");
    std::fs::write(&ca, own_ca.cert_pem())?;
    let token = "carrier-test-token-0123456789";
    let token_file = carrier_dir.join("token");
    std::fs::write(&token_file, token)?;
    let app = carrier_sim::Application::build(carrier_sim::Config {
        server: server_config(&cert, &key, None),
        token: token.to_owned(),
        requires_phone,
    })?;
    let url = format!("https://localhost:{}", app.https_port());
    let inbox = app.inbox();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    Ok(CarrierSim {
        url,
        ca,
        token_file,
        requires_phone,
        inbox,
    })
}

/// What the orders service works with in a test.
#[derive(Default, Clone, Copy)]
pub struct OrdersWith<'a> {
    /// Takes payments through this processor.
    pub paysim: Option<&'a PaySim>,
    /// Books shipments with this carrier.
    pub carrier: Option<&'a CarrierSim>,
    /// Sends its outbox to the development SMTP server.
    pub mail: bool,
}

/// Starts the orders service (the `orders` role, client certificates of `ca` required,
/// the storefront and tenant-admin as callers), taking payments through `paysim` and
/// booking shipments with `carrier` when given. Returns its URL.
pub fn spawn_orders(
    db: &TestDb,
    ca: &DevCa,
    dir: &Path,
    with: OrdersWith<'_>,
) -> Result<String, Error> {
    let OrdersWith {
        paysim,
        carrier,
        mail,
    } = with;
    let orders_dir = dir.join("orders");
    std::fs::create_dir_all(&orders_dir)?;
    let (cert, key) = ca.write_server_cert(&orders_dir, &[])?;
    let processor = match paysim {
        None => None,
        Some(p) => Some(orders::ProcessorConfig {
            url: p.url.clone(),
            ca: p.ca.clone(),
            partner_key: partner_key(&p.partner_seed_file)?,
            webhook: server_config(&cert, &key, None),
            webhook_public_url: None,
            key_overlap: std::time::Duration::from_secs(600),
        }),
    };
    let app = orders::Application::build(orders::Config {
        server: server_config(&cert, &key, Some(dir.join("ca.pem"))),
        database: db.options_for("orders"),
        kek: platform_kek(),
        callers: Arc::from(vec!["storefront".to_owned(), "tenant-admin".to_owned()]),
        hold_sweep_every: std::time::Duration::from_secs(30),
        mail: mail.then(|| orders::MailConfig {
            smtp_url: platform_testkit::smtp_url(),
            from: "orders@platform.test".to_owned(),
            every: std::time::Duration::from_millis(200),
        }),
        processor,
        carrier: match carrier {
            None => None,
            Some(c) => Some(orders::CarrierConfig {
                url: c.url.clone(),
                ca: c.ca.clone(),
                token: std::fs::read_to_string(&c.token_file)?.into(),
                requires_phone: c.requires_phone,
            }),
        },
        privacy: orders::PrivacyConfig {
            certificate_key: certificate_key()?,
            storefront_port: 443,
        },
    })?;
    let url = format!("https://localhost:{}", app.https_port());
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    Ok(url)
}

/// The platform's key for erasure certificates in these tests.
pub fn certificate_key() -> Result<platform_audit::AuditKey, Error> {
    Ok(platform_audit::AuditKey::from_seed(
        "certificate-e2e",
        &[42u8; 32],
    )?)
}

/// The platform's partner key from its seed file.
pub fn partner_key(file: &Path) -> Result<platform_msgsign::Keypair, Error> {
    use base64::Engine;
    let seed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(std::fs::read_to_string(file)?.trim())?;
    Ok(platform_msgsign::Keypair::from_seed(
        platform_processor_api::PARTNER_KEY_ID,
        &seed,
    )?)
}

/// Starts the storefront (the `storefront` role) with the certificate in `dir`, calling
/// the cart at `cart`. Returns its port and its state (caches, counters).
pub fn spawn_storefront(
    db: &TestDb,
    ca: &DevCa,
    dir: &Path,
    cart: &CartEndpoint,
    orders_url: &str,
    payment_origin: Option<&str>,
) -> Result<(u16, storefront::AppState), Error> {
    let (cert, key) = ca.write_server_cert(dir, &[])?;
    let app = storefront::Application::build(storefront::Config {
        server: server_config(&cert, &key, None),
        database: db.options_for("storefront"),
        cart_url: cart.url.clone(),
        orders_url: orders_url.to_owned(),
        cart_ca: cart.ca.clone(),
        cart_identity: cart.identity.clone(),
        posts_per_network_per_minute: 100_000,
        payment_origin: payment_origin.map(str::to_owned),
        images: Some(images()?),
    })?;
    let (port, state) = (app.https_port(), app.state());
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    Ok((port, state))
}

/// Starts tenant-admin (the `tenant_admin` role) linking shops on `storefront_port`.
/// Returns its base URL.
pub fn spawn_tenant_admin(
    db: &TestDb,
    ca: &DevCa,
    dir: &Path,
    storefront_port: u16,
    orders_url: Option<&str>,
) -> Result<String, Error> {
    let orders = match orders_url {
        None => None,
        Some(url) => Some(tenant_admin::OrdersLink {
            url: url.to_owned(),
            ca: dir.join("ca.pem"),
            identity: ca.write_client_cert(dir, "tenant-admin")?,
        }),
    };
    let (cert, key) = ca.write_server_cert(dir, &[])?;
    let app = tenant_admin::Application::build(tenant_admin::Config {
        server: server_config(&cert, &key, None),
        database: db.options_for("tenant_admin"),
        shop_domain: "shop.localhost".to_owned(),
        storefront_port,
        kek: platform_kek(),
        hash_slots: 2,
        hash_queue_wait: std::time::Duration::from_secs(10),
        login_policy: platform_auth::LoginPolicy::default(),
        failed_logins_per_network: 30,
        signups_per_network_per_hour: 100,
        orders,
        clock: tenant_admin::Clock::system(),
        public_url: None,
        mail: Some(tenant_admin::MailLink {
            smtp_url: platform_testkit::smtp_url(),
            from: "staff@shop.localhost".to_owned(),
            every: std::time::Duration::from_millis(300),
        }),
        images: Some(images()?),
        // The tests' own picture server listens on this machine.
        fetch_private_images: true,
    })?;
    let base = format!("https://localhost:{}", app.https_port());
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    Ok(base)
}

/// The platform staff console, its staff CA, and the first security officer.
pub struct AccessControl {
    /// `https://localhost:<port>`.
    pub url: String,
    /// Where the staff CA and the members' certificates are (`<login>-client.pem`).
    pub staff_dir: PathBuf,
    /// The staff CA, to issue members' certificates.
    pub staff_ca: DevCa,
    /// The security officer's authenticator key (base32); login `sofia`.
    pub officer_totp: String,
    /// Closes grants that ran out (the service also does every second).
    pub sweeper: access_control::Sweeper,
}

/// Starts access-control (the `access_control` role, client certificates of its own staff
/// CA required) and creates the first security officer, `sofia`, with the bootstrap
/// command and `password`.
pub async fn spawn_access_control(
    db: &TestDb,
    ca: &DevCa,
    dir: &Path,
    password: &str,
) -> Result<AccessControl, Error> {
    let staff_dir = dir.join("staff");
    let staff_ca = DevCa::load_or_create(&staff_dir)?;
    let (cert, key) = ca.write_server_cert(dir, &[])?;
    let config = || access_control::Config {
        server: server_config(&cert, &key, Some(staff_dir.join("ca.pem"))),
        database: db.options_for("access_control"),
        kek: platform_kek(),
        hash_slots: 2,
        login_policy: platform_auth::LoginPolicy::default(),
        sweep_every: std::time::Duration::from_secs(1),
        totp_issuer: "Platform operations (e2e)".to_owned(),
        clock: platform_auth::Clock::system(),
    };
    let (officer_cert, _) = staff_ca.write_client_cert(&staff_dir, "sofia")?;
    let password_file = staff_dir.join("password");
    std::fs::write(&password_file, password)?;
    let totp_out = staff_dir.join("sofia.totp");
    access_control::cli::bootstrap(
        config(),
        access_control::cli::BootstrapArgs {
            login: "sofia".to_owned(),
            name: "Sofia".to_owned(),
            entity: "Platform Operations GmbH".to_owned(),
            certificate: officer_cert,
            password_file,
            totp_out: Some(totp_out.clone()),
        },
    )
    .await?;
    let app = access_control::Application::build(config())?;
    let url = format!("https://localhost:{}", app.https_port());
    let sweeper = app.sweeper();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    Ok(AccessControl {
        url,
        staff_dir,
        staff_ca,
        officer_totp: std::fs::read_to_string(totp_out)?.trim().to_owned(),
        sweeper,
    })
}
