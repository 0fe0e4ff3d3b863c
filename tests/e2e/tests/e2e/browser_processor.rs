//! The processor's access in headless Chromium (O8, O21, O22): a support agent of the
//! platform, with his client certificate in the browser's store, asks a shop for its
//! shipping data; the owner approves in the console; the agent sees the address and a
//! masked email; the owner finds those reads in the audit log, named; the grant runs out
//! and the agent's next page is refused. Screenshots go to `target/e2e/`.

use fantoccini::Locator;
use serde_json::{Value, json};

use crate::browser::{
    ClientCertificate, certificate_store, click, fill, main_text, shot, start_browser,
    start_browser_with,
};
use crate::merchant_orders::{PASSWORD, Shop};
use crate::processor_access::{login, staff_client};

#[tokio::test]
async fn o8_o22_a_support_agent_asks_the_owner_approves_and_the_agent_sees_addresses_until_the_grant_runs_out()
 {
    let shop = Shop::new(true).await;
    let order = shop.buy_and_pay().await;
    let ac = shop.access_control().await;
    let dir = ac.staff_dir.parent().unwrap().to_owned();

    // The security officer adds Sam, a support agent; Sam's certificate goes into his
    // browser's certificate store.
    let officer = staff_client(&ac, &dir.join("ca.pem"), "sofia");
    let officer_app = platform_testkit::Authenticator::new(&ac.officer_totp).unwrap();
    let csrf = login(&officer, &ac.url, "sofia", &officer_app).await;
    let (cert, key) = ac.staff_ca.write_client_cert(&ac.staff_dir, "sam").unwrap();
    let added: Value = officer
        .post(format!("{}/api/v1/staff", ac.url))
        .header("x-csrf-token", &csrf)
        .json(&json!({ "login": "sam", "name": "Sam", "entity": "Platform Operations GmbH", "password": PASSWORD,
                       "certificate": std::fs::read_to_string(&cert).unwrap(), "roles": ["support"] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sam_app =
        platform_testkit::Authenticator::new(added["totp_secret"].as_str().unwrap()).unwrap();
    let home = tempfile::tempdir().unwrap();
    certificate_store(home.path(), &cert, &key);
    let profile = tempfile::tempdir().unwrap();
    let (_agent_driver, agent) = start_browser_with(
        profile.path(),
        true,
        Some(ClientCertificate {
            home: home.path(),
            origin: &ac.url,
        }),
    )
    .await;

    // Sam logs in (certificate, password, code) and asks the shop for shipping data.
    agent.goto(&format!("{}/login", ac.url)).await.unwrap();
    fill(&agent, "login", "sam").await;
    fill(&agent, "password", PASSWORD).await;
    fill(&agent, "code", &sam_app.code().await).await;
    click(&agent, "form.card button[type=submit]").await;
    agent
        .wait()
        .for_element(Locator::Css("a[href='/grants/new']"))
        .await
        .unwrap();
    agent.goto(&format!("{}/grants/new", ac.url)).await.unwrap();
    fill(&agent, "shop", "alpine").await;
    fill(&agent, "ticket", "SUP-88").await;
    fill(&agent, "reason", "Ada asks where her trail boots are").await;
    click(&agent, "input[name=shipping]").await;
    shot(&agent, "40-platform-ask").await;
    click(&agent, "form.card button[type=submit]").await;
    let asked = agent
        .wait()
        .for_element(Locator::Css("p.notice"))
        .await
        .unwrap();
    assert!(
        asked
            .text()
            .await
            .unwrap()
            .contains("owners have been mailed")
    );

    // The owner logs in, reads who asks and why, and approves.
    let owner_profile = tempfile::tempdir().unwrap();
    let (_owner_driver, owner) = start_browser(owner_profile.path(), true).await;
    owner.goto(&format!("{}/login", shop.admin)).await.unwrap();
    fill(&owner, "shop", "alpine").await;
    fill(&owner, "email", "owner@alpine.example").await;
    fill(&owner, "password", PASSWORD).await;
    click(&owner, "form.card button[type=submit]").await;
    owner.wait().for_element(Locator::Id("code")).await.unwrap();
    fill(&owner, "code", &shop.authenticator.code().await).await;
    click(&owner, "main form button[type=submit]").await;
    owner
        .wait()
        .for_element(Locator::Css("a[href='/access']"))
        .await
        .unwrap();
    owner.goto(&format!("{}/access", shop.admin)).await.unwrap();
    let request = main_text(&owner).await;
    for shown in [
        "Ada asks where her trail boots are",
        "Support",
        "Platform Operations GmbH",
        "shipping",
        "SUP-88",
    ] {
        assert!(request.contains(shown), "{shown} missing: {request}");
    }
    shot(&owner, "41-owner-request").await;
    click(&owner, "form[action$='/approve'] button").await;
    let approved = owner
        .wait()
        .for_element(Locator::Css("p.notice"))
        .await
        .unwrap();
    assert!(approved.text().await.unwrap().contains("Approved"));

    // Sam opens the shop's orders: the address, and the email masked.
    agent.goto(&format!("{}/", ac.url)).await.unwrap();
    click(&agent, "a[href$='/orders']").await;
    click(&agent, "main table a[href*='/orders/']").await;
    agent
        .wait()
        .for_element(Locator::Css("main h1"))
        .await
        .unwrap();
    let seen = main_text(&agent).await;
    shot(&agent, "42-platform-order").await;
    for shown in ["Ada Lovelace", "Hauptstraße 1", "10115 Berlin", "••••"] {
        assert!(seen.contains(shown), "{shown} missing: {seen}");
    }
    for hidden in [shop.buyer_email(), "+49 30 1234", "4444", "127.0.0.1"] {
        assert!(
            !seen.contains(hidden),
            "{hidden} shown to the agent: {seen}"
        );
    }

    // The owner finds Sam's reads in the audit log, named by operator, role and employer.
    owner
        .goto(&format!("{}/audit?object=order:{order}", shop.admin))
        .await
        .unwrap();
    let log = main_text(&owner).await;
    shot(&owner, "43-owner-audit").await;
    for shown in [
        "Platform operator",
        "support",
        "Platform Operations GmbH",
        "order.view",
        "shipping",
    ] {
        assert!(log.contains(shown), "{shown} missing: {log}");
    }

    // The grant's time runs out (moved to now, as an hour would): Sam's next page is
    // refused, and the owner's console records it.
    let db = platform_tenancy::TenantDb::new(shop.db().pool_as("tenant_admin", 1).await.unwrap());
    let grants: Value = shop
        .console(reqwest::Method::GET, "/api/v1/access-grants")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let grant = grants[0]["id"].as_str().unwrap().to_owned();
    let tenant = {
        let mut tx = db.platform().await.unwrap();
        let id: uuid::Uuid = sqlx::query_scalar("select id from tenants where handle = 'alpine'")
            .fetch_one(&mut tx)
            .await
            .unwrap();
        platform_tenancy::TenantId::from_uuid(id)
    };
    let mut tx = db.begin(tenant).await.unwrap();
    sqlx::query(
        "update processor.access_grants set ends_at = now() where tenant_id = $1 and id = $2::uuid",
    )
    .bind(tenant)
    .bind(&grant)
    .execute(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    agent.refresh().await.unwrap();
    let refused = main_text(&agent).await;
    shot(&agent, "44-platform-refused").await;
    assert!(refused.contains("no active grant"), "{refused}");
    ac.sweeper.run().await.unwrap();
    owner.goto(&format!("{}/access", shop.admin)).await.unwrap();
    let history = main_text(&owner).await;
    assert!(history.contains("expired"), "{history}");
}
