//! The shared web layer over real TLS sockets: headers, redirects, errors, readiness,
//! mutual TLS and graceful shutdown.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use platform_web::devcert::DevCa;
use platform_web::{
    BoundServer, Readiness, ReadinessCheck, ServerConfig, WebError, service_router,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

struct Certs {
    _dir: tempfile::TempDir,
    ca: DevCa,
    cert: PathBuf,
    key: PathBuf,
    ca_file: PathBuf,
}

fn certs() -> Certs {
    let dir = tempfile::tempdir().unwrap();
    let ca = DevCa::load_or_create(dir.path()).unwrap();
    let (cert, key) = ca.write_server_cert(dir.path(), &[]).unwrap();
    let ca_file = dir.path().join("ca.pem");
    Certs {
        _dir: dir,
        ca,
        cert,
        key,
        ca_file,
    }
}

fn config(c: &Certs, client_ca: Option<&Path>, require: bool) -> ServerConfig {
    ServerConfig {
        https_addr: "127.0.0.1:0".parse().unwrap(),
        http_redirect: Some(platform_web::HttpRedirect {
            addr: "127.0.0.1:0".parse().unwrap(),
            hosts: vec![
                "*.shop.localhost".parse().unwrap(),
                "localhost".parse().unwrap(),
            ],
        }),
        public_https_port: None,
        tls_cert: c.cert.clone(),
        tls_key: c.key.clone(),
        client_ca: client_ca.map(Path::to_owned),
        require_client_cert: require,
    }
}

fn client(ca_pem: &str, identity: Option<(String, String)>) -> reqwest::Client {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots);
    let tls = match identity {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            let chain = CertificateDer::pem_slice_iter(cert.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            let key = PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap();
            builder.with_client_auth_cert(chain, key).unwrap()
        }
    };
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[derive(Debug, thiserror::Error)]
#[error("database password=hunter2 at db.internal:5432 refused")]
struct SecretCause;

fn app(ready: Arc<AtomicBool>) -> Router {
    let routes = Router::new()
        .route(
            "/conflict",
            get(|| async {
                WebError::conflict("cart.line_limit", "A cart holds at most 100 lines.")
            }),
        )
        .route("/boom", get(|| async { WebError::internal(SecretCause) }))
        .route(
            "/panic",
            get(|| async {
                if true {
                    panic!("secret in a panic");
                }
                "unreachable"
            }),
        )
        .route(
            "/json",
            post(
                |body: Result<
                    axum::Json<serde_json::Value>,
                    axum::extract::rejection::JsonRejection,
                >| async move {
                    match body {
                        Ok(axum::Json(v)) => Ok(axum::Json(v)),
                        Err(e) => Err(WebError::from(e)),
                    }
                },
            ),
        )
        .route(
            "/page",
            get(|| async { axum::response::Html("<h1>hello</h1>") }),
        );
    let readiness = Readiness::new().with(ReadinessCheck::new("postgres", move || {
        let ready = ready.clone();
        async move {
            if ready.load(Ordering::SeqCst) {
                Ok(())
            } else {
                Err("connection refused".to_owned())
            }
        }
    }));
    service_router(routes, readiness)
}

struct Running {
    base: String,
    http_port: u16,
    https_port: u16,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), platform_web::StartError>>,
}

fn start(cfg: &ServerConfig, router: Router) -> Running {
    let server = BoundServer::bind(cfg).unwrap();
    let (https_port, http_port) = (server.https_port(), server.http_port().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.serve(router, async move {
        let _ = rx.await;
    }));
    Running {
        base: format!("https://localhost:{https_port}"),
        http_port,
        https_port,
        stop: Some(tx),
        task,
    }
}

#[tokio::test]
async fn o7_https_answers_with_security_headers_and_a_request_id() {
    let c = certs();
    let srv = start(
        &config(&c, None, false),
        app(Arc::new(AtomicBool::new(true))),
    );
    let http = client(c.ca.cert_pem(), None);
    let res = http.get(format!("{}/page", srv.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers();
    assert_eq!(
        h["strict-transport-security"],
        "max-age=63072000; includeSubDomains"
    );
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'self'"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "strict-origin-when-cross-origin");
    assert_eq!(h["x-frame-options"], "DENY");
    let id = h["x-request-id"].to_str().unwrap();
    assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 4);

    // A plain caller-supplied id is propagated; a suspicious one is replaced.
    let res = http
        .get(format!("{}/healthz", srv.base))
        .header("x-request-id", "upstream-0123456789")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "upstream-0123456789");
    let res = http
        .get(format!("{}/healthz", srv.base))
        .header("x-request-id", "ada@example.com says hi")
        .send()
        .await
        .unwrap();
    assert_ne!(res.headers()["x-request-id"], "ada@example.com says hi");
}

/// A server with its redirecting plain-HTTP listener, and a client that does not follow
/// redirects.
fn plain_http_server() -> (Running, reqwest::Client) {
    let c = certs();
    let srv = start(
        &config(&c, None, false),
        app(Arc::new(AtomicBool::new(true))),
    );
    let _ = rustls::crypto::ring::default_provider().install_default();
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    (srv, plain)
}

#[tokio::test]
async fn o7_plain_http_only_redirects_to_https() {
    let (srv, plain) = plain_http_server();
    for method in [reqwest::Method::GET, reqwest::Method::POST] {
        let res = plain
            .request(
                method,
                format!("http://127.0.0.1:{}/page?x=1", srv.http_port),
            )
            .header("host", format!("alpine.shop.localhost:{}", srv.http_port))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::PERMANENT_REDIRECT);
        assert_eq!(
            res.headers()["location"],
            format!("https://alpine.shop.localhost:{}/page?x=1", srv.https_port).as_str()
        );
        assert!(
            res.text().await.unwrap().is_empty(),
            "nothing is served over plain HTTP"
        );
    }
}

/// Threat model row 37: the redirect used to copy any `Host` into `Location`.
#[tokio::test]
async fn o7_the_plain_http_redirect_goes_to_the_services_own_host_names_only() {
    let (srv, plain) = plain_http_server();
    let url = format!("http://127.0.0.1:{}/login", srv.http_port);
    let ok = plain
        .get(&url)
        .header("host", "LOCALHOST")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        ok.headers()["location"],
        format!("https://localhost:{}/login", srv.https_port).as_str()
    );
    for host in [
        "evil.example",
        "shop.localhost",
        "localhost.evil.example",
        "127.0.0.1",
    ] {
        let res = plain.get(&url).header("host", host).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{host}");
        assert!(res.headers().get("location").is_none(), "{host}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "request.unknown_host", "{host}");
    }
}

#[tokio::test]
async fn errors_have_stable_codes_in_json_and_html_and_hide_causes() {
    let c = certs();
    let srv = start(
        &config(&c, None, false),
        app(Arc::new(AtomicBool::new(true))),
    );
    let http = client(c.ca.cert_pem(), None);

    let res = http
        .get(format!("{}/conflict", srv.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "cart.line_limit");
    assert_eq!(body["error"]["request_id"], id.as_str());

    let res = http
        .get(format!("{}/conflict", srv.base))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(res.headers().contains_key("content-security-policy"));
    let page = res.text().await.unwrap();
    assert!(page.contains("A cart holds at most 100 lines.") && page.contains("<h1>Conflict</h1>"));

    for path in ["/boom", "/panic"] {
        let res = http
            .get(format!("{}{path}", srv.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        let text = res.text().await.unwrap();
        assert!(text.contains("\"code\":\"internal\""), "{text}");
        for secret in ["hunter2", "db.internal", "secret in a panic"] {
            assert!(!text.contains(secret), "{path} leaked {secret}");
        }
    }

    let res = http.get(format!("{}/nope", srv.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "route.not_found");

    let res = http
        .post(format!("{}/json", srv.base))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "request.invalid_json");
}

#[tokio::test]
async fn readiness_follows_the_real_dependency() {
    let c = certs();
    let ready = Arc::new(AtomicBool::new(false));
    let srv = start(&config(&c, None, false), app(ready.clone()));
    let http = client(c.ca.cert_pem(), None);
    let res = http
        .get(format!("{}/healthz", srv.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "alive even when a dependency is down"
    );
    let res = http
        .get(format!("{}/readyz", srv.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["checks"]["postgres"], "failed");
    assert!(
        !body.to_string().contains("refused"),
        "reasons stay in the logs"
    );
    ready.store(true, Ordering::SeqCst);
    let res = http
        .get(format!("{}/readyz", srv.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn o7_mutual_tls_refuses_callers_without_a_client_certificate() {
    let c = certs();
    let srv = start(
        &config(&c, Some(&c.ca_file), true),
        app(Arc::new(AtomicBool::new(true))),
    );
    let anonymous = client(c.ca.cert_pem(), None);
    assert!(
        anonymous
            .get(format!("{}/healthz", srv.base))
            .send()
            .await
            .is_err()
    );

    let stranger_ca = DevCa::generate().unwrap();
    let stranger = client(
        c.ca.cert_pem(),
        Some(stranger_ca.issue_client("cart").unwrap()),
    );
    assert!(
        stranger
            .get(format!("{}/healthz", srv.base))
            .send()
            .await
            .is_err()
    );

    let known = client(
        c.ca.cert_pem(),
        Some(c.ca.issue_client("storefront").unwrap()),
    );
    let res = known
        .get(format!("{}/healthz", srv.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn shutdown_signal_stops_the_server_cleanly() {
    let c = certs();
    let mut srv = start(
        &config(&c, None, false),
        app(Arc::new(AtomicBool::new(true))),
    );
    let http = client(c.ca.cert_pem(), None);
    assert!(
        http.get(format!("{}/healthz", srv.base))
            .send()
            .await
            .is_ok()
    );
    srv.stop.take().unwrap().send(()).unwrap();
    let result = tokio::time::timeout(std::time::Duration::from_secs(15), srv.task)
        .await
        .expect("server did not stop within the grace period");
    assert!(result.unwrap().is_ok());
    assert!(
        http.get(format!("{}/healthz", srv.base))
            .send()
            .await
            .is_err()
    );
}

#[test]
fn dev_ca_reloads_from_disk_and_still_signs_chains() {
    let dir = tempfile::tempdir().unwrap();
    let first = DevCa::load_or_create(dir.path()).unwrap();
    let again = DevCa::load_or_create(dir.path()).unwrap();
    assert_eq!(first.cert_pem(), again.cert_pem());
    let mode = std::fs::metadata(dir.path().join("ca-key.pem")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(mode.permissions().mode() & 0o777, 0o600);
}
