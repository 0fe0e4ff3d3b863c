#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

//! The audit log against a real Postgres (as the service roles, never a superuser, except
//! where a test plays an attacker with full database rights) and the dev S3.

use chrono::{Duration, Utc};
use platform_audit::{
    Actor, AuditKey, CheckpointStore, Checkpointer, Event, Filter, Problem, S3Checkpoints, append,
    list, verify,
};
use platform_domain::DataClass;
use platform_objects::{ObjectStore, S3Config};
use platform_tenancy::{TenantDb, TenantId};
use platform_testkit::TestDb;
use secrecy::SecretString;
use sqlx::Connection;
use uuid::Uuid;

struct Fixture {
    db: TestDb,
    admin: TenantDb,
    backup: TenantDb,
    shop: TenantId,
    other: TenantId,
    checkpointer: Checkpointer<S3Checkpoints>,
}

fn store() -> S3Checkpoints {
    let s = platform_testkit::s3_settings().unwrap();
    S3Checkpoints::new(ObjectStore::new(&S3Config {
        endpoint: Some(s.endpoint),
        region: s.region,
        bucket: "platform-test".to_owned(),
        access_key_id: s.access_key_id,
        secret_access_key: SecretString::from(s.secret_access_key),
        path_style: true,
    }))
}

async fn shop(owner: &TenantDb) -> TenantId {
    let id = TenantId::random();
    let mut tx = owner.begin(id).await.unwrap();
    sqlx::query("insert into tenants (id, handle, display_name) values ($1, $2, 'Audit shop')")
        .bind(id)
        .bind(format!("a{}", &id.as_uuid().simple().to_string()[..10]))
        .execute(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

impl Fixture {
    async fn new(every_events: i64) -> Fixture {
        let db = TestDb::new().await.unwrap();
        let owner = TenantDb::new(db.owner_pool().await.unwrap());
        let (shop_a, shop_b) = (shop(&owner).await, shop(&owner).await);
        let s3 = store();
        // The bucket is made by xtask's Garage setup or the backup tests; make sure.
        let s = platform_testkit::s3_settings().unwrap();
        ObjectStore::new(&S3Config {
            endpoint: Some(s.endpoint),
            region: s.region,
            bucket: "platform-test".to_owned(),
            access_key_id: s.access_key_id,
            secret_access_key: SecretString::from(s.secret_access_key),
            path_style: true,
        })
        .ensure_bucket()
        .await
        .unwrap();
        Fixture {
            admin: TenantDb::new(db.pool_as("tenant_admin", 2).await.unwrap()),
            backup: TenantDb::new(db.pool_as("backup", 2).await.unwrap()),
            db,
            shop: shop_a,
            other: shop_b,
            checkpointer: Checkpointer::new(
                AuditKey::from_seed("audit-test", &[7; 32]).unwrap(),
                s3,
                every_events,
                Duration::hours(1),
            ),
        }
    }

    fn event(n: usize) -> Event {
        Event {
            actor: Actor::staff(Uuid::new_v4(), ["fulfilment"]),
            action: "order.view".to_owned(),
            objects: vec![format!("order:{}", Uuid::new_v4())],
            classes: vec![DataClass::Contact, DataClass::Shipping],
            purpose: format!("fulfilment {n}"),
            request_id: Some(format!("req-{n}")),
        }
    }

    async fn append_n(&self, shop: TenantId, n: usize) {
        for i in 0..n {
            let mut tx = self.admin.begin(shop).await.unwrap();
            append(&mut tx, Utc::now(), &Self::event(i)).await.unwrap();
            tx.commit().await.unwrap();
        }
    }

    async fn verify(&self) -> platform_audit::Report {
        let outside = self.checkpointer.store().list(self.shop).await.unwrap();
        let mut tx = self.backup.begin(self.shop).await.unwrap();
        let report = verify(&mut tx, &outside, &[self.checkpointer.verifying_key()])
            .await
            .unwrap();
        tx.commit().await.unwrap();
        report
    }

    /// An attacker with the database's superuser: triggers off for this session only.
    async fn tamper(&self, sql: &str) {
        let mut c = self.db.superuser().await.unwrap();
        let mut tx = c.begin().await.unwrap();
        sqlx::query("set local session_replication_role = replica")
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(
            sql.replace("$shop", &self.shop.to_string()),
        ))
        .execute(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn o22_events_chain_per_shop_and_verify_clean() {
    let f = Fixture::new(3).await;
    f.append_n(f.shop, 5).await;
    f.append_n(f.other, 2).await;
    let mut tx = f.admin.begin(f.shop).await.unwrap();
    let all = list(&mut tx, &Filter::default()).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        all.iter().map(|r| r.seq).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    assert_eq!(all[0].prev_hash, platform_audit::GENESIS);
    for pair in all.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
    }
    assert_eq!(f.checkpointer.run(&f.backup, Utc::now()).await.unwrap(), 2);
    let report = f.verify().await;
    assert!(report.ok(), "{report:?}");
    assert_eq!((report.events, report.checkpoints), (5, 1));
}

#[tokio::test]
async fn o22_the_writing_role_cannot_update_delete_or_truncate() {
    let f = Fixture::new(3).await;
    f.append_n(f.shop, 2).await;
    f.checkpointer.run(&f.backup, Utc::now()).await.unwrap();
    for sql in [
        "update audit.events set purpose = 'nothing to see' where seq = 1",
        "delete from audit.events where seq = 2",
        "truncate audit.events",
    ] {
        let mut tx = f.admin.begin(f.shop).await.unwrap();
        let err = sqlx::query(sql).execute(&mut tx).await.unwrap_err();
        assert!(
            err.to_string().contains("permission denied"),
            "{sql}: {err}"
        );
    }
    // The owner role has every grant; the triggers still refuse.
    let owner = f.db.owner_pool().await.unwrap();
    let mut c = owner.acquire().await.unwrap();
    sqlx::query("select set_config('app.tenant_id', $1, false)")
        .bind(f.shop.to_string())
        .execute(&mut *c)
        .await
        .unwrap();
    for sql in [
        "update audit.events set purpose = 'nothing to see'",
        "delete from audit.events",
        "truncate audit.events",
        "delete from audit.checkpoints",
    ] {
        let err = sqlx::query(sql).execute(&mut *c).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
}

#[tokio::test]
async fn o22_verify_detects_an_edited_row() {
    let f = Fixture::new(100).await;
    f.append_n(f.shop, 4).await;
    f.tamper("update audit.events set purpose = 'routine' where tenant_id = '$shop' and seq = 2")
        .await;
    assert_eq!(f.verify().await.problems, [Problem::Edited { seq: 2 }]);
}

#[tokio::test]
async fn o22_verify_detects_a_reordered_row() {
    let f = Fixture::new(100).await;
    f.append_n(f.shop, 4).await;
    f.tamper(
        "update audit.events set seq = 1000 where tenant_id = '$shop' and seq = 2; \
         update audit.events set seq = 2 where tenant_id = '$shop' and seq = 3; \
         update audit.events set seq = 3 where tenant_id = '$shop' and seq = 1000",
    )
    .await;
    let problems = f.verify().await.problems;
    assert!(
        problems.contains(&Problem::Broken { seq: 2 }),
        "{problems:?}"
    );
    assert!(
        problems.contains(&Problem::Edited { seq: 3 }),
        "{problems:?}"
    );
}

#[tokio::test]
async fn o22_verify_detects_a_removed_middle_row() {
    let f = Fixture::new(100).await;
    f.append_n(f.shop, 4).await;
    f.tamper("delete from audit.events where tenant_id = '$shop' and seq = 2")
        .await;
    assert_eq!(
        f.verify().await.problems,
        [
            Problem::Gap {
                expected: 2,
                found: 3
            },
            Problem::Broken { seq: 3 }
        ]
    );
}

#[tokio::test]
async fn o22_verify_detects_a_removed_tail_through_the_checkpoint_in_s3() {
    let f = Fixture::new(3).await;
    f.append_n(f.shop, 3).await;
    // Three events: the checkpoint is due.
    let cp = f
        .checkpointer
        .seal(&f.backup, f.shop, Utc::now(), false)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cp.seq, 3);
    assert!(f.verify().await.ok());
    // The attacker deletes the newest rows and the checkpoints in the database; the
    // copy in S3 remains.
    f.tamper("delete from audit.events where tenant_id = '$shop' and seq >= 2")
        .await;
    f.tamper("delete from audit.checkpoints where tenant_id = '$shop'")
        .await;
    assert_eq!(
        f.verify().await.problems,
        [Problem::TailMissing {
            checkpoint_seq: 3,
            head_seq: 1
        }]
    );
}

#[tokio::test]
async fn o22_a_rewritten_chain_contradicts_its_checkpoint_and_a_forged_one_is_refused() {
    let f = Fixture::new(1).await;
    f.append_n(f.shop, 2).await;
    f.checkpointer.run(&f.backup, Utc::now()).await.unwrap();
    // Rewriting row 2 with a recomputed hash keeps the chain whole, not the checkpoint.
    f.tamper("update audit.events set hash = sha256(hash) where tenant_id = '$shop' and seq = 2")
        .await;
    let problems = f.verify().await.problems;
    assert!(
        problems.contains(&Problem::CheckpointMismatch { seq: 2 }),
        "{problems:?}"
    );
    // A checkpoint signed with another key proves nothing.
    let forger = Checkpointer::new(
        AuditKey::from_seed("audit-test", &[8; 32]).unwrap(),
        store(),
        1,
        Duration::hours(1),
    );
    f.append_n(f.shop, 1).await;
    forger
        .seal(&f.backup, f.shop, Utc::now(), true)
        .await
        .unwrap();
    let problems = f.verify().await.problems;
    assert!(
        problems
            .iter()
            .any(|p| matches!(p, Problem::BadSignature { .. })),
        "{problems:?}"
    );
}

#[tokio::test]
async fn o22_checkpoints_follow_n_events_and_the_hour() {
    let f = Fixture::new(3).await;
    let now = Utc::now();
    f.append_n(f.shop, 1).await;
    // The first event is sealed at once.
    assert!(
        f.checkpointer
            .seal(&f.backup, f.shop, now, false)
            .await
            .unwrap()
            .is_some()
    );
    f.append_n(f.shop, 2).await;
    assert!(
        f.checkpointer
            .seal(&f.backup, f.shop, now, false)
            .await
            .unwrap()
            .is_none()
    );
    f.append_n(f.shop, 1).await;
    assert_eq!(
        f.checkpointer
            .seal(&f.backup, f.shop, now, false)
            .await
            .unwrap()
            .map(|c| c.seq),
        Some(4)
    );
    f.append_n(f.shop, 1).await;
    let later = now + Duration::minutes(59);
    assert!(
        f.checkpointer
            .seal(&f.backup, f.shop, later, false)
            .await
            .unwrap()
            .is_none()
    );
    let hour = now + Duration::minutes(61);
    assert_eq!(
        f.checkpointer
            .seal(&f.backup, f.shop, hour, false)
            .await
            .unwrap()
            .map(|c| c.seq),
        Some(5)
    );
    // Nothing new: nothing to seal however late.
    let day = now + Duration::days(1);
    assert!(
        f.checkpointer
            .seal(&f.backup, f.shop, day, false)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn o21_a_shops_log_is_invisible_to_another_shop() {
    let f = Fixture::new(3).await;
    f.append_n(f.shop, 2).await;
    let mut tx = f.admin.begin(f.other).await.unwrap();
    assert!(list(&mut tx, &Filter::default()).await.unwrap().is_empty());
    // Writing into another shop's chain is refused by the policy.
    let err = sqlx::query(
        "insert into audit.events (tenant_id, seq, at, actor_kind, actor_roles, action, objects, \
         classes, purpose, prev_hash, hash) values ($1, 3, now(), 'system', '{}', 'order.view', \
         '{}', '{}', 'x', $2, $2)",
    )
    .bind(f.shop)
    .bind(vec![0u8; 32])
    .execute(&mut tx)
    .await
    .unwrap_err();
    assert!(err.to_string().contains("row-level security"), "{err}");
}

#[tokio::test]
async fn events_out_of_shape_are_refused_before_the_database() {
    let f = Fixture::new(3).await;
    let mut tx = f.admin.begin(f.shop).await.unwrap();
    for bad in [
        Event {
            action: "view".into(),
            ..Fixture::event(0)
        },
        Event {
            objects: vec!["someone@example.com".into()],
            ..Fixture::event(0)
        },
        Event {
            purpose: String::new(),
            ..Fixture::event(0)
        },
    ] {
        assert!(matches!(
            append(&mut tx, Utc::now(), &bad).await,
            Err(platform_audit::AuditError::Invalid(_))
        ));
    }
}
