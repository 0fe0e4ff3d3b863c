//! Staff (O8, O9, O10, O22): invitations by mail, roles and their limits, the second
//! factor, re-authentication, sessions, the access review and the audit log.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{App, PASSWORD, Session};

/// The invitation link in the newest mail to `to`.
async fn link_in_mail(to: &str, count: usize) -> String {
    let mails = platform_testkit::wait_for_mail(to, count).await;
    let text = mails.last().unwrap()["text"].as_str().unwrap().to_owned();
    let start = text.find("https://").unwrap();
    text[start..].split_whitespace().next().unwrap().to_owned()
}

fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    html[at..].split('"').next().unwrap().to_owned()
}

/// Accepts an invitation through its page; returns the new member's API session.
async fn accept(app: &App, link: &str, email: &str) -> Session {
    let client = app.client();
    let page = client.get(link).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let csrf = csrf_of(&page.text().await.unwrap());
    let res = client
        .post(link)
        .form(&[
            ("csrf", csrf.as_str()),
            ("password", PASSWORD),
            ("confirm", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        res.status().is_redirection() || res.status().is_success(),
        "{}",
        res.status()
    );
    let me: Value = client
        .get(app.url("/api/v1/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], email);
    Session {
        client,
        csrf: me["csrf_token"].as_str().unwrap().to_owned(),
        base: app.base.clone(),
    }
}

/// An owner invites `email` with `roles`; the member accepts.
pub(crate) async fn member(
    app: &App,
    owner: &Session,
    email: &str,
    roles: &[&str],
    mails: usize,
) -> Session {
    let (status, body) = owner
        .post(
            "/api/v1/staff/invitations",
            json!({ "email": email, "roles": roles }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let link = link_in_mail(email, mails).await;
    accept(app, &link, email).await
}

pub(crate) fn unique(name: &str) -> String {
    format!(
        "{name}-{}@staff.example",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

#[tokio::test]
async fn o8_an_invitation_is_mailed_works_once_for_72_hours_and_grants_its_roles() {
    let app = App::start().await;
    let owner = app.shop("invite-shop").await;
    let email = unique("packer");
    let (status, body) = owner
        .post(
            "/api/v1/staff/invitations",
            json!({ "email": email, "roles": ["fulfilment"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let mails = platform_testkit::wait_for_mail(&email, 1).await;
    assert!(
        mails[0]["subject"]
            .as_str()
            .unwrap()
            .contains("Shop invite-shop")
    );
    assert!(mails[0]["text"].as_str().unwrap().contains("Fulfilment"));
    // An open invitation cannot be sent twice.
    let (status, body) = owner
        .post(
            "/api/v1/staff/invitations",
            json!({ "email": email, "roles": ["support"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "staff.already_invited");

    let link = link_in_mail(&email, 1).await;
    let packer = accept(&app, &link, &email).await;
    let (_, me) = packer.get("/api/v1/me").await;
    assert_eq!(me["roles"], json!(["fulfilment"]));
    // Used once: the link is dead.
    let again = app.client().get(&link).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
    // The member does what fulfilment does, not more.
    assert_eq!(packer.get("/api/v1/staff").await.0, StatusCode::FORBIDDEN);
    let (status, _) = packer
        .post("/api/v1/products", json!({ "title": "Mug" }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Another invitation lapses after 72 hours.
    let late = unique("late");
    owner
        .post(
            "/api/v1/staff/invitations",
            json!({ "email": late, "roles": ["support"] }),
        )
        .await;
    let link = link_in_mail(&late, 1).await;
    app.clock
        .advance(Duration::hours(72) + Duration::minutes(1));
    let res = app.client().get(&link).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("expired"));
}

#[tokio::test]
async fn o8_nobody_grants_roles_they_do_not_hold_and_the_last_owner_stays() {
    let app = App::start().await;
    let owner = app.shop("owners-shop").await;
    let (_, me) = owner.get("/api/v1/me").await;
    let owner_id = me["staff_id"].as_str().unwrap().to_owned();
    let clerk_email = unique("clerk");
    let clerk = member(&app, &owner, &clerk_email, &["billing"], 1).await;
    // A billing clerk may not invite, and may not make anyone an owner.
    for roles in [json!(["billing"]), json!(["owner"])] {
        let (status, _) = clerk
            .post(
                "/api/v1/staff/invitations",
                json!({ "email": unique("x"), "roles": roles }),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (_, clerk_me) = clerk.get("/api/v1/me").await;
    let clerk_id = clerk_me["staff_id"].as_str().unwrap().to_owned();
    let (status, _) = clerk
        .put(
            &format!("/api/v1/staff/{clerk_id}/roles"),
            json!({ "roles": ["owner"] }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The only owner can neither step down nor leave.
    let (status, body) = owner
        .put(
            &format!("/api/v1/staff/{owner_id}/roles"),
            json!({ "roles": ["billing"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "staff.last_owner");
    let (status, body) = owner.delete(&format!("/api/v1/staff/{owner_id}")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "staff.last_owner");
    // With a second owner, the first may step down.
    let (status, _) = owner
        .put(
            &format!("/api/v1/staff/{clerk_id}/roles"),
            json!({ "roles": ["owner", "billing"] }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = owner
        .put(
            &format!("/api/v1/staff/{owner_id}/roles"),
            json!({ "roles": ["support"] }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    // The former owner manages staff no more.
    assert_eq!(owner.get("/api/v1/staff").await.0, StatusCode::FORBIDDEN);
    // The new owner needs a second factor before the role counts; then removes the
    // former owner, whose session ends at once.
    assert_eq!(clerk.get("/api/v1/staff").await.0, StatusCode::FORBIDDEN);
    app.enrol(&clerk, &clerk_email).await;
    let (status, team) = clerk.get("/api/v1/staff").await;
    assert_eq!(status, StatusCode::OK, "{team}");
    assert_eq!(team["members"].as_array().unwrap().len(), 2, "{team}");
    let (status, _) = clerk.delete(&format!("/api/v1/staff/{owner_id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(owner.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn o9_a_login_needs_the_code_once_wrong_codes_lock_and_recovery_codes_work_once() {
    let app = App::start().await;
    let email = "owner@codes-shop.example";
    app.signup("codes-shop", email).await;
    let first = app.login("codes-shop", email).await;
    let recovery = app.enrol(&first, email).await;
    assert_eq!(recovery.len(), 10);

    // The password alone is not a session.
    let c = app.client();
    let res = c
        .post(app.url("/api/v1/login"))
        .json(&json!({ "shop": "codes-shop", "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["mfa_required"], true);
    let half = Session {
        client: c,
        csrf: body["csrf_token"].as_str().unwrap().to_owned(),
        base: app.base.clone(),
    };
    assert_eq!(half.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    // Wrong codes count towards the lockout.
    for _ in 0..5 {
        let (status, body) = half
            .post("/api/v1/login/code", json!({ "code": "000000" }))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    let (status, body) = half
        .post("/api/v1/login/code", json!({ "code": "000000" }))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    app.clock.advance(Duration::minutes(2));
    // A recovery code stands in for a code, once.
    let (status, body) = half
        .post("/api/v1/login/code", json!({ "code": recovery[0] }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(half.get("/api/v1/me").await.0, StatusCode::OK);
    let again = app.client();
    let res = again
        .post(app.url("/api/v1/login"))
        .json(&json!({ "shop": "codes-shop", "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    let third = Session {
        client: again,
        csrf: body["csrf_token"].as_str().unwrap().to_owned(),
        base: app.base.clone(),
    };
    let (status, _) = third
        .post("/api/v1/login/code", json!({ "code": recovery[0] }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // A code already used is a replay.
    let secret = app.secrets.lock().unwrap().get(email).cloned().unwrap();
    let code = app.code(&secret);
    assert_eq!(
        third
            .post("/api/v1/login/code", json!({ "code": code }))
            .await
            .0,
        StatusCode::OK
    );
    let fourth = app.client();
    let res = fourth
        .post(app.url("/api/v1/login"))
        .json(&json!({ "shop": "codes-shop", "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    let fourth = Session {
        client: fourth,
        csrf: body["csrf_token"].as_str().unwrap().to_owned(),
        base: app.base.clone(),
    };
    assert_eq!(
        fourth
            .post("/api/v1/login/code", json!({ "code": code }))
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn o9_sensitive_actions_need_password_and_code_within_5_minutes() {
    let app = App::start().await;
    let owner = app.shop("fresh-shop").await;
    app.clock.advance(Duration::minutes(6));
    let invite = json!({ "email": unique("late"), "roles": ["support"] });
    let (status, body) = owner
        .post("/api/v1/staff/invitations", invite.clone())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "auth.reauth_required");
    assert_eq!(
        owner.get("/api/v1/audit/export").await.0,
        StatusCode::FORBIDDEN
    );
    let (status, _) = owner
        .post(
            "/api/v1/reauth",
            json!({ "password": PASSWORD, "code": "000000" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let secret = app
        .secrets
        .lock()
        .unwrap()
        .get("owner@fresh-shop.example")
        .cloned()
        .unwrap();
    let (status, body) = owner
        .post(
            "/api/v1/reauth",
            json!({ "password": PASSWORD, "code": app.code(&secret) }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(
        owner.post("/api/v1/staff/invitations", invite).await.0,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn o9_a_member_sees_their_sessions_and_logs_one_out() {
    let app = App::start().await;
    let email = "owner@sessions-shop.example";
    let first = app.shop("sessions-shop").await;
    let second = app.login("sessions-shop", email).await;
    let (_, sec) = first.get("/api/v1/account/security").await;
    let sessions = sec["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{sec}");
    assert!(
        sessions[0]["client"]
            .as_str()
            .unwrap()
            .contains("network 127.0.0.0")
    );
    let other = sessions.iter().find(|s| s["current"] == false).unwrap();
    let (status, _) = first
        .delete(&format!(
            "/api/v1/account/sessions/{}",
            other["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(second.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(first.get("/api/v1/me").await.0, StatusCode::OK);
}

#[tokio::test]
async fn o9_when_the_owner_requires_it_members_hold_no_role_until_they_set_a_factor_up() {
    let app = App::start().await;
    let owner = app.shop("rule-shop").await;
    let email = unique("cs");
    let cs = member(&app, &owner, &email, &["support"], 1).await;
    assert_eq!(cs.get("/api/v1/me").await.1["roles"], json!(["support"]));
    let (status, _) = owner
        .put("/api/v1/staff/mfa-policy", json!({ "required": true }))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, me) = cs.get("/api/v1/me").await;
    assert_eq!(me["roles"], json!([]));
    assert_eq!(me["mfa_required"], true);
    app.enrol(&cs, &email).await;
    assert_eq!(cs.get("/api/v1/me").await.1["roles"], json!(["support"]));
    // Required: it cannot be turned off.
    assert_eq!(
        cs.delete("/api/v1/account/mfa").await.0,
        StatusCode::CONFLICT
    );
}

#[tokio::test]
async fn o10_the_access_review_flags_unused_members_missing_factors_and_lapsed_invitations() {
    let app = App::start().await;
    let owner = app.shop("review-shop").await;
    let email = unique("idle");
    member(&app, &owner, &email, &["catalog"], 1).await;
    owner
        .post(
            "/api/v1/staff/invitations",
            json!({ "email": unique("never"), "roles": ["support"] }),
        )
        .await;
    let (_, r) = owner.get("/api/v1/staff/review").await;
    let idle = r["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == email.as_str())
        .unwrap()
        .clone();
    assert_eq!(idle["flags"], json!(["no_mfa"]));
    assert_eq!(r["invitations"][0]["flags"], json!([]));

    // 31 days later (the owner keeps using the console).
    app.clock.advance(Duration::days(31));
    let owner = app.login("review-shop", "owner@review-shop.example").await;
    let (_, r) = owner.get("/api/v1/staff/review").await;
    let flags = |who: &str| {
        r["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["email"] == who)
            .unwrap()["flags"]
            .clone()
    };
    assert_eq!(flags(&email), json!(["unused", "no_mfa"]));
    assert_eq!(flags("owner@review-shop.example"), json!([]));
    assert_eq!(r["invitations"][0]["flags"], json!(["invitation_expired"]));
    assert_eq!(r["flagged"], 2);
    // The month turned: the owners get the summary by mail.
    // The mail server is shared with earlier runs: wait for the mail naming this run's member.
    let mut review = None;
    for _ in 0..50 {
        let mails = platform_testkit::wait_for_mail("owner@review-shop.example", 1).await;
        review = mails.into_iter().find(|m| {
            m["subject"].as_str().unwrap().starts_with("Access review")
                && m["text"].as_str().unwrap().contains(&email)
        });
        if review.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    let review = review.expect("the access review mail");
    let text = review["text"].as_str().unwrap();
    assert!(
        text.contains(&email) && text.contains("unused for more than 30 days"),
        "{text}"
    );
}

#[tokio::test]
async fn o22_staff_changes_and_reads_are_in_the_audit_log_with_who_and_which_roles() {
    let app = App::start().await;
    let owner = app.shop("log-shop").await;
    let (_, me) = owner.get("/api/v1/me").await;
    let owner_id = me["staff_id"].as_str().unwrap().to_owned();
    let email = unique("cs");
    let cs = member(&app, &owner, &email, &["support"], 1).await;
    let (_, cs_me) = cs.get("/api/v1/me").await;
    let cs_id = cs_me["staff_id"].as_str().unwrap().to_owned();
    owner
        .put(
            &format!("/api/v1/staff/{cs_id}/roles"),
            json!({ "roles": ["support", "billing"] }),
        )
        .await;
    owner.get("/api/v1/staff").await;

    let (status, log) = owner.get("/api/v1/audit").await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let events = log["events"].as_array().unwrap();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "staff.invite",
        "staff.join",
        "staff.roles_change",
        "staff.list",
        "account.mfa_on",
    ] {
        assert!(actions.contains(&a), "{a} not in {actions:?}");
    }
    let change = events
        .iter()
        .find(|e| e["action"] == "staff.roles_change")
        .unwrap();
    assert_eq!(change["actor"]["id"], owner_id.as_str());
    assert_eq!(change["actor"]["roles"], json!(["owner"]));
    assert_eq!(change["objects"], json!([format!("staff:{cs_id}")]));
    let list = events.iter().find(|e| e["action"] == "staff.list").unwrap();
    assert_eq!(list["classes"], json!(["account"]));
    // Filter by member and by object.
    let (_, mine) = owner.get(&format!("/api/v1/audit?staff={cs_id}")).await;
    assert!(
        mine["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor"]["id"] == cs_id.as_str())
    );
    let (_, about) = owner
        .get(&format!("/api/v1/audit?object=staff:{cs_id}"))
        .await;
    assert!(!about["events"].as_array().unwrap().is_empty());
    // Exported with the hashes that chain the entries.
    let res = owner
        .client
        .get(app.url("/api/v1/audit/export?format=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with("seq,at,actor_kind"), "{csv}");
    assert!(csv.contains("staff.roles_change"));
    // Members other than owners see no log.
    assert_eq!(cs.get("/api/v1/audit").await.0, StatusCode::FORBIDDEN);
    // A filter out of shape is a coded 422.
    let (status, _) = owner.get("/api/v1/audit?from=yesterday").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_staff_page_keeps_a_refused_form_and_asks_before_removing_a_member() {
    let app = App::start().await;
    let owner = app.shop("staff-forms").await;
    let (_, me) = owner.get("/api/v1/me").await;
    let owner_id = me["staff_id"].as_str().unwrap().to_owned();
    let csrf = || ("csrf", owner.csrf.clone());

    // A refused invitation comes back with the address and the roles ticked.
    let (status, page) = owner
        .post_form(
            "/staff/invitations",
            &[
                csrf(),
                ("email", "not-an-email".into()),
                ("catalog", "on".into()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("value=\"not-an-email\" autocomplete=\"off\" aria-invalid=\"true\" aria-describedby=\"email-error\"")
            && page.contains("id=\"invite-catalog\" name=\"catalog\" value=\"on\" checked"),
        "{page}"
    );
    // The only owner stepping down is refused in their own row, the boxes as ticked.
    let (status, page) = owner
        .post_form(
            &format!("/staff/{owner_id}/roles"),
            &[csrf(), ("billing", "on".into())],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        page.contains(&format!(
            "id=\"{owner_id}-billing\" name=\"billing\" value=\"on\" checked"
        )) && !page.contains(&format!(
            "id=\"{owner_id}-owner\" name=\"owner\" value=\"on\" checked"
        )),
        "{page}"
    );
    // Removing asks first; the last owner's removal is refused on the team page.
    let team = owner.page("/staff").await;
    assert!(
        team.contains(&format!("href=\"/staff/{owner_id}/remove\"")),
        "{team}"
    );
    let confirm = owner.page(&format!("/staff/{owner_id}/remove")).await;
    assert!(
        confirm.contains("Remove them") && confirm.contains("Keep them"),
        "{confirm}"
    );
    let (status, page) = owner
        .post_form(&format!("/staff/{owner_id}/remove"), &[csrf()])
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("<h1>Staff</h1>"), "{page}");
    assert_eq!(owner.get("/api/v1/me").await.0, StatusCode::OK);
    // Withdrawing an invitation asks first too.
    let (status, _) = owner
        .post_form(
            "/staff/invitations",
            &[
                csrf(),
                ("email", unique("invitee")),
                ("catalog", "on".into()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, team) = owner.get("/api/v1/staff").await;
    let invitation = team["invitations"][0]["id"].as_str().unwrap().to_owned();
    assert!(
        owner
            .page("/staff")
            .await
            .contains(&format!("href=\"/staff/invitations/{invitation}/revoke\"")),
    );
    let confirm = owner
        .page(&format!("/staff/invitations/{invitation}/revoke"))
        .await;
    assert!(confirm.contains("Withdraw it"), "{confirm}");
    let (status, _) = owner
        .post_form(
            &format!("/staff/invitations/{invitation}/revoke"),
            &[csrf()],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(owner.get("/api/v1/staff").await.1["invitations"], json!([]));
    // Someone else's id is no page.
    let (status, _) = owner
        .get(&format!("/staff/{}/remove", uuid::Uuid::new_v4()))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
