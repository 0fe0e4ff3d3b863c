//! The processor's access end to end (O8, O21, O22), across the real services: a buyer
//! orders; a support agent of the platform asks the shop for its shipping data; the owner
//! approves in the console; the agent sees the address and nothing else; the owner sees
//! the reads named in the audit log; the grant runs out and the agent's next request is
//! refused.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::merchant_orders::{PASSWORD, Shop};

/// A platform staff member's client: their certificate on every connection.
pub(crate) fn staff_client(
    ac: &e2e::AccessControl,
    ca_pem_path: &std::path::Path,
    login: &str,
) -> reqwest::Client {
    let tls = platform_web::tls::client_config(
        ca_pem_path,
        Some((
            &ac.staff_dir.join(format!("{login}-client.pem")),
            &ac.staff_dir.join(format!("{login}-client-key.pem")),
        )),
    )
    .unwrap();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .cookie_store(true)
        .build()
        .unwrap()
}

pub(crate) async fn login(
    client: &reqwest::Client,
    url: &str,
    login: &str,
    app: &platform_testkit::Authenticator,
) -> String {
    let r = client
        .post(format!("{url}/api/v1/login"))
        .json(&json!({ "login": login, "password": PASSWORD, "code": app.code().await }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    body["csrf_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn o8_o22_a_support_agent_reads_addresses_under_the_owners_grant_until_it_runs_out() {
    let shop = Shop::new(true).await;
    let order = shop.buy_and_pay().await;
    let ac = shop.access_control().await;
    let dir = ac.staff_dir.parent().unwrap().to_owned();
    let ca = dir.join("ca.pem");

    // The security officer adds a support agent with her certificate.
    let officer = staff_client(&ac, &ca, "sofia");
    let officer_app = platform_testkit::Authenticator::new(&ac.officer_totp).unwrap();
    let officer_csrf = login(&officer, &ac.url, "sofia", &officer_app).await;
    let (cert, _) = ac.staff_ca.write_client_cert(&ac.staff_dir, "sam").unwrap();
    let added: Value = officer
        .post(format!("{}/api/v1/staff", ac.url))
        .header("x-csrf-token", &officer_csrf)
        .json(&json!({ "login": "sam", "name": "Sam", "entity": "Platform Operations GmbH", "password": PASSWORD,
                       "certificate": std::fs::read_to_string(cert).unwrap(), "roles": ["support"] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let agent = staff_client(&ac, &ca, "sam");
    let agent_app =
        platform_testkit::Authenticator::new(added["totp_secret"].as_str().unwrap()).unwrap();
    let csrf = login(&agent, &ac.url, "sam", &agent_app).await;

    // The agent asks the shop for shipping data, for a ticket.
    let grant: Value = agent
        .post(format!("{}/api/v1/grants", ac.url))
        .header("x-csrf-token", &csrf)
        .json(&json!({ "shop": "alpine", "purpose": "customer_support", "ticket": "SUP-77",
                       "reason": "Ada asks where her boots are", "classes": ["shipping"], "minutes": 60 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let grant_id = grant["id"].as_str().unwrap().to_owned();
    let shop_id = grant["shop_id"].as_str().unwrap().to_owned();
    let orders = format!("{}/api/v1/shops/{shop_id}/orders", ac.url);
    assert_eq!(
        agent.get(&orders).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );

    // The owner sees who asks and why, re-enters password and code, and approves.
    let page = shop.page("/access").await;
    assert!(
        page.contains("Ada asks where her boots are") && page.contains("Platform Operations GmbH"),
        "{page}"
    );
    let reauth = shop
        .console(reqwest::Method::POST, "/api/v1/reauth")
        .json(&json!({ "password": PASSWORD, "code": shop.authenticator.code().await }))
        .send()
        .await
        .unwrap();
    assert_eq!(reauth.status(), StatusCode::NO_CONTENT);
    let approved = shop
        .console(
            reqwest::Method::POST,
            &format!("/api/v1/access-grants/{grant_id}/approve"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), StatusCode::OK);

    // The agent sees where the boots go, and nothing else of Ada.
    let page: Value = agent
        .get(&orders)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let seen = &page["orders"][0];
    assert_eq!(seen["shipping"]["line1"], "Hauptstraße 1");
    assert_eq!(seen["contact"], "••••");
    let one: Value = agent
        .get(format!("{orders}/{order}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["shipping"]["city"], "Berlin");
    // The recipient's name is shipping data; the buyer's email and card are not.
    assert_eq!(one["shipping"]["name"], "Ada Lovelace");
    let text = one.to_string();
    assert!(
        !text.contains(shop.buyer_email())
            && !text.contains("···· 4444")
            && one["billing"] == "••••"
    );

    // The owner sees those reads in the audit log: the operator, role, employer, grant.
    let log: Value = shop
        .console(
            reqwest::Method::GET,
            &format!("/api/v1/audit?object=order:{order}"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let platform_reads: Vec<&Value> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"]["kind"] == "platform")
        .collect();
    assert_eq!(platform_reads.len(), 2, "{log}");
    assert!(platform_reads.iter().all(|e| {
        e["actor"]["entity"] == "Platform Operations GmbH"
            && e["classes"] == json!(["shipping"])
            && e["objects"]
                .as_array()
                .unwrap()
                .contains(&json!(format!("grant:{grant_id}")))
    }));
    let audit_page = shop.page(&format!("/audit?object=order:{order}")).await;
    assert!(audit_page.contains("Platform operator"));

    // Its time runs out (moved to now, as an hour would): refused at once; the sweep
    // records it and the owner's console says so.
    let db = platform_tenancy::TenantDb::new(shop.db().pool_as("tenant_admin", 1).await.unwrap());
    let tenant: platform_tenancy::TenantId = shop_id.parse().unwrap();
    let mut tx = db.begin(tenant).await.unwrap();
    sqlx::query(
        "update processor.access_grants set ends_at = now() where tenant_id = $1 and id = $2::uuid",
    )
    .bind(tenant)
    .bind(&grant_id)
    .execute(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let refused = agent.get(&orders).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    ac.sweeper.run().await.unwrap();
    let grants: Value = shop
        .console(reqwest::Method::GET, "/api/v1/access-grants")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(grants[0]["status"], "expired");
}
