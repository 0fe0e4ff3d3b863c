//! Backups against real Postgres (as the `backup` role, under row-level security) and a
//! real S3 server (the dev Garage): round trip, no plaintext in S3, crypto-shredding,
//! catalog discovery, erasure replay, locking, failures, schema checks, retention.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::BTreeMap;
use std::sync::Arc;

use backup::manifest::Manifest;
use backup::{BackupError, Backups, ObjectStore, S3Config};
use chrono::{Duration, TimeZone, Utc};
use platform_tenancy::{TenantDb, TenantId};
use platform_testkit::TestDb;
use platform_vault::{LocalKek, Vault};
use secrecy::SecretString;
use sqlx::Row;
use uuid::Uuid;

const BUCKET: &str = "platform-test";
const MARKER: &str = "Zebra-Marker-7f3a91";
const EMAIL: &str = "ada.lovelace@example.org";

struct Fixture {
    db: TestDb,
    owner: TenantDb,
    admin: TenantDb,
    backup_db: TenantDb,
    vault: Vault,
    /// The KEK as text, for a second process of the same platform.
    kek: String,
    backups: Backups,
    store: ObjectStore,
    a: TenantId,
    b: TenantId,
}

fn store() -> ObjectStore {
    let s = platform_testkit::s3_settings().unwrap();
    ObjectStore::new(&S3Config {
        endpoint: Some(s.endpoint),
        region: s.region,
        bucket: BUCKET.to_owned(),
        access_key_id: s.access_key_id,
        secret_access_key: SecretString::from(s.secret_access_key),
        path_style: true,
    })
}

async fn shop(owner: &TenantDb, handle: &str) -> TenantId {
    let id = TenantId::random();
    let mut tx = owner.begin(id).await.unwrap();
    sqlx::query("insert into tenants (id, handle, display_name) values ($1, $2, $2)")
        .bind(id)
        .bind(handle)
        .execute(&mut tx)
        .await
        .unwrap();
    sqlx::query("insert into store_settings (tenant_id, currency) values ($1, 'EUR')")
        .bind(id)
        .execute(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn product(db: &TenantDb, tenant: TenantId, title: &str, price: i64) -> Uuid {
    let (p, v) = (Uuid::new_v4(), Uuid::new_v4());
    let mut tx = db.begin(tenant).await.unwrap();
    sqlx::query(
        "insert into products (tenant_id, id, handle, title, description, status) \
         values ($1, $2, $3, $4, 'Line one\nline two, with a tab\there', 'active')",
    )
    .bind(tenant)
    .bind(p)
    .bind(format!("p-{}", &p.simple().to_string()[..12]))
    .bind(title)
    .execute(&mut tx)
    .await
    .unwrap();
    sqlx::query(
        "insert into variants (tenant_id, id, product_id, sku, price_minor, currency, stock) \
         values ($1, $2, $3, $4, $5, 'EUR', 5)",
    )
    .bind(tenant)
    .bind(v)
    .bind(p)
    .bind(format!("SKU-{}", v.simple()))
    .bind(price)
    .execute(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    p
}

impl Fixture {
    async fn new() -> Fixture {
        let db = TestDb::new().await.unwrap();
        let owner = TenantDb::new(db.owner_pool().await.unwrap());
        let admin = TenantDb::new(db.pool_as("tenant_admin", 2).await.unwrap());
        let backup_db = TenantDb::new(db.pool_as("backup", 3).await.unwrap());
        let kek = LocalKek::generate(1).to_text().to_string();
        let vault = Vault::new(Arc::new(LocalKek::parse(&kek).unwrap()));
        let store = store();
        store.ensure_bucket().await.unwrap();
        let backups = Backups::new(backup_db.clone(), vault.clone(), store.clone());
        let a = shop(
            &owner,
            &format!("a{}", &Uuid::new_v4().simple().to_string()[..8]),
        )
        .await;
        let b = shop(
            &owner,
            &format!("b{}", &Uuid::new_v4().simple().to_string()[..8]),
        )
        .await;
        for i in 0..30 {
            product(&admin, a, &format!("{MARKER} tent {i}"), 1000 + i).await;
            product(&admin, b, &format!("Other shop kettle {i}"), 500 + i).await;
        }
        // A staff member whose email is sealed under their own subject key, and a
        // published privacy policy (immutable for merchants).
        let mut tx = admin.begin(a).await.unwrap();
        let staff = add_staff(&vault, &mut tx, EMAIL).await;
        sqlx::query("insert into staff_roles (tenant_id, staff_id, role) values ($1, $2, 'owner')")
            .bind(a)
            .bind(staff)
            .execute(&mut tx)
            .await
            .unwrap();
        sqlx::query(
            "insert into privacy_policies (tenant_id, id, version, body, status, effective_at, published_at) \
             values ($1, $2, 1, $3, 'published', now(), now())",
        )
        .bind(a)
        .bind(Uuid::new_v4())
        .bind(format!("We keep your data safe. {MARKER}"))
        .execute(&mut tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        Fixture {
            db,
            owner,
            admin,
            backup_db,
            vault,
            kek,
            backups,
            store,
            a,
            b,
        }
    }

    /// Every tenant table's rows as text, sorted: the tenant's whole state. The tables
    /// come from the test's own catalog query, not from the backup's discovery, so a
    /// table the backup overlooked shows up here as a difference.
    async fn dump(&self, db: &TenantDb, tenant: TenantId) -> BTreeMap<String, Vec<String>> {
        let mut tx = db.begin(tenant).await.unwrap();
        let tables = tables_with_a_tenant_column(&mut tx).await;
        assert!(tables.len() >= 8, "{tables:?}");
        let mut out = BTreeMap::new();
        for t in tables {
            let sql = format!("select t::text from {t} t order by 1");
            let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut tx)
                .await
                .unwrap();
            out.insert(t, rows);
        }
        tx.commit().await.unwrap();
        out
    }

    async fn exec(&self, db: &TenantDb, tenant: TenantId, sql: &str) -> u64 {
        let mut tx = db.begin(tenant).await.unwrap();
        let n = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&mut tx)
            .await
            .unwrap()
            .rows_affected();
        tx.commit().await.unwrap();
        n
    }

    async fn object(&self, tenant: TenantId, m: &Manifest, name: &str) -> Vec<u8> {
        self.store
            .get(&format!("tenants/{tenant}/{}/{name}", m.backup_id))
            .await
            .unwrap()
            .unwrap()
    }
}

/// Tables holding tenant rows, as the schema has them: every base table with a
/// `tenant_id` column, less what the backup policy (docs/runbooks/backup-restore.md)
/// leaves out on purpose: the `keys` schema (crypto-shredding), the `ledger` schema (the
/// erasure log outlives restores) and staff sessions (a restore signs everyone out).
async fn tables_with_a_tenant_column(tx: &mut platform_tenancy::TenantTx) -> Vec<String> {
    sqlx::query_scalar(
        "select format('%I.%I', c.table_schema, c.table_name)
           from information_schema.columns c
           join information_schema.tables t
             on t.table_schema = c.table_schema and t.table_name = c.table_name
          where c.column_name = 'tenant_id' and t.table_type = 'BASE TABLE'
            and c.table_schema not in ('pg_catalog', 'information_schema', 'keys', 'ledger')
            and not (c.table_schema = 'public' and c.table_name = 'staff_sessions')
          order by 1",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn o16_a_backup_restores_the_tenant_exactly_while_other_tenants_keep_serving() {
    let f = Fixture::new().await;
    // Enough rows that the restore takes a while, so the other shop is served during it.
    f.exec(
        &f.admin,
        f.a,
        &format!(
            "with p as (insert into products (tenant_id, id, handle, title, description, status) \
               select '{}', gen_random_uuid(), 'bulk-' || n, 'Bulk ' || n, 'x', 'active' \
               from generate_series(1, 4000) n returning tenant_id, id, handle) \
             insert into variants (tenant_id, id, product_id, sku, price_minor, currency, stock) \
             select tenant_id, gen_random_uuid(), id, upper(handle), 100, 'EUR', 1 from p",
            f.a
        ),
    )
    .await;
    let before_a = f.dump(&f.backup_db, f.a).await;
    let before_b = f.dump(&f.backup_db, f.b).await;
    let m = f.backups.run(f.a).await.unwrap();
    assert!(m.rows() >= 63, "{} rows", m.rows());
    assert!(
        m.tables
            .iter()
            .any(|t| t.name == "public.products" && t.rows == 4030)
    );
    assert_eq!(f.backups.verify(f.a, &m.backup_id).await.unwrap(), m);

    // The merchant breaks things; the other shop keeps changing.
    f.exec(
        &f.admin,
        f.a,
        "delete from products where title like '%tent 1%'",
    )
    .await;
    f.exec(&f.admin, f.a, "update variants set price_minor = 1")
        .await;
    product(&f.admin, f.a, "Added after the backup", 1).await;
    product(&f.admin, f.b, "Added to B meanwhile", 2).await;
    let b_now = f.dump(&f.backup_db, f.b).await;
    assert_ne!(b_now, before_b);

    // While A is restored, B's storefront reads and B's merchant writes go on.
    let storefront = TenantDb::new(f.db.pool_as("storefront", 1).await.unwrap());
    let restoring = std::sync::atomic::AtomicBool::new(true);
    let restore = async {
        let report = f.backups.restore(f.a, &m.backup_id, None).await;
        restoring.store(false, std::sync::atomic::Ordering::SeqCst);
        report
    };
    let serve_b = async {
        let (mut served, mut slowest, mut written) = (0u32, std::time::Duration::ZERO, 0u32);
        while restoring.load(std::sync::atomic::Ordering::SeqCst) {
            let started = std::time::Instant::now();
            let mut tx = storefront.begin(f.b).await.unwrap();
            let n: i64 = sqlx::query_scalar("select count(*) from products")
                .fetch_one(&mut tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            assert_eq!(
                n,
                31 + i64::from(written),
                "B's rows changed during A's restore"
            );
            if restoring.load(std::sync::atomic::Ordering::SeqCst) {
                served += 1;
                slowest = slowest.max(started.elapsed());
            }
            if served % 10 == 1 && written < 3 {
                product(
                    &f.admin,
                    f.b,
                    &format!("Written during the restore {written}"),
                    3,
                )
                .await;
                written += 1;
            }
        }
        (served, slowest, written)
    };
    let (report, (served, slowest, written)) = tokio::join!(restore, serve_b);
    let report = report.unwrap();
    assert_eq!(report.rows, m.rows());
    assert!(served >= 5, "only {served} reads of B during the restore");
    assert!(
        slowest < std::time::Duration::from_secs(1),
        "B waited {slowest:?} for A's restore"
    );
    assert!(written >= 1);
    assert_eq!(f.dump(&f.backup_db, f.a).await, before_a);
    // B untouched by A's restore but for what its merchant wrote meanwhile.
    let b_after = f.dump(&f.backup_db, f.b).await;
    assert_eq!(
        b_after["public.products"].len(),
        b_now["public.products"].len() + written as usize
    );
    for (table, rows) in &b_now {
        for row in rows {
            assert!(b_after[table].contains(row), "{table} lost a row of B");
        }
    }
    // The sealed staff email still opens after the restore.
    let mut tx = f.admin.begin(f.a).await.unwrap();
    let sealed: Vec<u8> = sqlx::query_scalar("select email_sealed from staff_accounts")
        .fetch_one(&mut tx)
        .await
        .unwrap();
    let opened = f
        .vault
        .open(
            &mut tx,
            "staff_accounts.email",
            &platform_vault::Sealed::from_bytes(sealed).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(&opened[..], EMAIL.as_bytes());
    tx.commit().await.unwrap();

    // Into a scratch database: the shop appears there with the same rows.
    let scratch = TestDb::new().await.unwrap();
    let scratch_backup = TenantDb::new(scratch.pool_as("backup", 2).await.unwrap());
    f.backups
        .restore(f.a, &m.backup_id, Some(&scratch_backup))
        .await
        .unwrap();
    assert_eq!(f.dump(&scratch_backup, f.a).await, before_a);
}

/// A restore writes only what differs from the backup: nothing when nothing changed, the
/// edited, deleted and added rows when a few did. Two products that swapped handles after
/// the backup cannot be put back in place row by row (the first update collides with the
/// other row's handle); that restore replaces every row instead, to the same result.
#[tokio::test]
async fn o16_a_restore_writes_only_what_differs_and_replaces_every_row_when_it_must() {
    let f = Fixture::new().await;
    let before = f.dump(&f.backup_db, f.a).await;
    let m = f.backups.run(f.a).await.unwrap();

    let r = f.backups.restore(f.a, &m.backup_id, None).await.unwrap();
    assert_eq!((r.rows, r.rows_changed), (m.rows(), 0));
    assert_eq!(f.dump(&f.backup_db, f.a).await, before);

    // One price edited, one product deleted (its variant with it), one product added.
    let edited = f
        .exec(
            &f.admin,
            f.a,
            "update variants set price_minor = price_minor + 1 \
              where sku = (select min(sku) from variants)",
        )
        .await;
    let deleted = f
        .exec(
            &f.admin,
            f.a,
            "delete from products where title like '% tent 7'",
        )
        .await;
    assert_eq!((edited, deleted), (1, 1));
    product(&f.admin, f.a, "Added after the backup", 1).await;
    let r = f.backups.restore(f.a, &m.backup_id, None).await.unwrap();
    assert_eq!(f.dump(&f.backup_db, f.a).await, before);
    // The added product and its variant out, the deleted pair back in, one price back.
    assert_eq!((r.rows, r.rows_changed), (m.rows(), 5));

    // Two products swap handles (in three steps, as their unique index demands).
    let mut tx = f.owner.begin(f.a).await.unwrap();
    let handle = "select handle from products where title like '% tent ' || $1";
    let one: String = sqlx::query_scalar(handle)
        .bind("1")
        .fetch_one(&mut tx)
        .await
        .unwrap();
    let two: String = sqlx::query_scalar(handle)
        .bind("2")
        .fetch_one(&mut tx)
        .await
        .unwrap();
    for (title, to) in [("1", "swapping"), ("2", one.as_str()), ("1", two.as_str())] {
        let moved = sqlx::query("update products set handle = $2 where title like '% tent ' || $1")
            .bind(title)
            .bind(to)
            .execute(&mut tx)
            .await
            .unwrap();
        assert_eq!(moved.rows_affected(), 1);
    }
    tx.commit().await.unwrap();
    assert_ne!(f.dump(&f.backup_db, f.a).await, before);
    let r = f.backups.restore(f.a, &m.backup_id, None).await.unwrap();
    assert_eq!(f.dump(&f.backup_db, f.a).await, before);
    assert_eq!(r.rows, m.rows());
    assert!(
        r.rows_changed >= 2 * r.rows,
        "every row deleted and inserted again: {} of {}",
        r.rows_changed,
        r.rows
    );
}

#[tokio::test]
async fn o16_the_object_in_s3_holds_no_plaintext() {
    let f = Fixture::new().await;
    let m = f.backups.run(f.a).await.unwrap();
    let data = f.object(f.a, &m, "data").await;
    let manifest = f.object(f.a, &m, "manifest.json").await;
    assert!(data.len() > 64);
    assert!(data.starts_with(backup::crypt::MAGIC));
    for needle in [
        MARKER,
        "tent 1",
        EMAIL,
        "We keep your data safe",
        "SKU-",
        "EUR",
    ] {
        assert!(
            !contains(&data, needle.as_bytes()),
            "{needle} in the data object"
        );
        assert!(
            !contains(&manifest, needle.as_bytes()),
            "{needle} in the manifest"
        );
    }
    // Not even compressed plaintext: a zstd frame would start with its magic number.
    assert!(!contains(&data, &[0x28, 0xb5, 0x2f, 0xfd]));
    // A flipped byte is caught by authentication, with nothing restored.
    let mut tampered = data.clone();
    let at = tampered.len() / 2;
    tampered[at] ^= 0x01;
    f.store
        .put(&format!("tenants/{}/{}/data", f.a, m.backup_id), tampered)
        .await
        .unwrap();
    let err = f.backups.verify(f.a, &m.backup_id).await.unwrap_err();
    assert_eq!(err.code(), "backup.corrupt", "{err}");
    let before = f.dump(&f.backup_db, f.a).await;
    let err = f
        .backups
        .restore(f.a, &m.backup_id, None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "backup.corrupt", "{err}");
    assert_eq!(f.dump(&f.backup_db, f.a).await, before);
}

#[tokio::test]
async fn o11_destroying_a_tenants_keys_makes_its_backups_unreadable_while_others_restore() {
    let f = Fixture::new().await;
    let ma = f.backups.run(f.a).await.unwrap();
    let mb = f.backups.run(f.b).await.unwrap();
    // A second backup process of the same platform (same KEK, its own key cache) reads
    // the backup while the keys exist, so its failure below is the shredding's doing.
    let fresh = Backups::new(
        f.backup_db.clone(),
        Vault::new(Arc::new(LocalKek::parse(&f.kek).unwrap())),
        f.store.clone(),
    );
    assert_eq!(fresh.verify(f.a, &ma.backup_id).await.unwrap(), ma);
    // The tenant is deleted: its keys are destroyed.
    let mut tx = f.admin.begin(f.a).await.unwrap();
    assert!(f.vault.destroy_tenant_keys(&mut tx).await.unwrap() >= 1);
    tx.commit().await.unwrap();
    let before = f.dump(&f.backup_db, f.a).await;
    for result in [
        f.backups.verify(f.a, &ma.backup_id).await.map(|_| ()),
        f.backups
            .restore(f.a, &ma.backup_id, None)
            .await
            .map(|_| ()),
    ] {
        let err = result.unwrap_err();
        assert!(matches!(err, BackupError::KeyDestroyed), "{err}");
        assert_eq!(err.code(), "backup.key_destroyed");
    }
    assert_eq!(
        f.dump(&f.backup_db, f.a).await,
        before,
        "no partial restore"
    );
    // The other process, which had the key cached, cannot read it either.
    let err = fresh.verify(f.a, &ma.backup_id).await.unwrap_err();
    assert!(matches!(err, BackupError::KeyDestroyed), "{err}");
    // The other shop's backup is fine.
    f.backups.verify(f.b, &mb.backup_id).await.unwrap();
    f.backups.restore(f.b, &mb.backup_id, None).await.unwrap();
}

#[tokio::test]
async fn o14_new_tenant_tables_are_backed_up_key_tables_never_and_later_erasures_are_reapplied() {
    let f = Fixture::new().await;
    // A table added by a later migration: no code change, no grant needed.
    sqlx::raw_sql(
        "create table notes (
            tenant_id uuid not null references tenants (id),
            id uuid not null,
            subject_id uuid not null,
            body text not null,
            primary key (tenant_id, id)
         );
         alter table notes enable row level security;
         alter table notes force row level security;
         create policy tenant_isolation on notes
            using (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid))
            with check (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));",
    )
    .execute(&f.db.owner_pool().await.unwrap())
    .await
    .unwrap();
    let (kept, erased) = (Uuid::new_v4(), Uuid::new_v4());
    for (subject, body) in [
        (kept, "stays"),
        (erased, "must go"),
        (erased, "must go too"),
    ] {
        let mut tx = f.owner.begin(f.a).await.unwrap();
        sqlx::query("insert into notes (tenant_id, id, subject_id, body) values ($1, $2, $3, $4)")
            .bind(f.a)
            .bind(Uuid::new_v4())
            .bind(subject)
            .bind(body)
            .execute(&mut tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    // One erasure before the backup: recorded, its position lands in the manifest.
    let mut tx = f.admin.begin(f.a).await.unwrap();
    sqlx::query("insert into ledger.erasure_log (tenant_id, seq, subject_id) values ($1, 1, $2)")
        .bind(f.a)
        .bind(Uuid::new_v4())
        .execute(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    // A live staff session: backed up, but never brought back by a restore.
    let mut tx = f.admin.begin(f.a).await.unwrap();
    sqlx::query(
        "insert into staff_sessions (tenant_id, token_hash, staff_id, csrf_token, created_at, last_seen_at) \
         select tenant_id, '\\x01', id, 'csrf', now(), now() from staff_accounts",
    )
    .execute(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let m = f.backups.run(f.a).await.unwrap();
    let names: Vec<&str> = m.tables.iter().map(|t| t.name.as_str()).collect();
    assert!(names.contains(&"public.notes"), "{names:?}");
    assert!(
        names
            .iter()
            .all(|n| !n.starts_with("keys.") && !n.starts_with("ledger.")),
        "{names:?}"
    );
    assert_eq!(m.erasure_position, 1);
    // Parents before children.
    let at = |n: &str| names.iter().position(|x| *x == n).unwrap();
    assert!(at("public.products") < at("public.variants"));
    assert!(at("public.staff_accounts") < at("public.login_attempts"));

    // After the backup, a visitor is erased: the live rows go, the ledger records it.
    f.exec(
        &f.owner,
        f.a,
        &format!("delete from notes where subject_id = '{erased}'"),
    )
    .await;
    let mut tx = f.admin.begin(f.a).await.unwrap();
    sqlx::query("insert into ledger.erasure_log (tenant_id, seq, subject_id) values ($1, 2, $2)")
        .bind(f.a)
        .bind(erased)
        .execute(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let report = f.backups.restore(f.a, &m.backup_id, None).await.unwrap();
    assert_eq!((report.erasures_replayed, report.rows_erased), (1, 2));
    let mut tx = f.backup_db.begin(f.a).await.unwrap();
    let rows = sqlx::query("select subject_id, body from notes")
        .fetch_all(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get::<Uuid, _>("subject_id"), kept);
    // The ledger itself survived the restore.
    let mut tx = f.backup_db.begin(f.a).await.unwrap();
    let n: i64 = sqlx::query_scalar("select count(*) from ledger.erasure_log")
        .fetch_one(&mut tx)
        .await
        .unwrap();
    assert_eq!(n, 2);
    let sessions: i64 = sqlx::query_scalar("select count(*) from staff_sessions")
        .fetch_one(&mut tx)
        .await
        .unwrap();
    assert_eq!(sessions, 0, "a restore never revives sessions");
    tx.commit().await.unwrap();
    let sessions = m
        .tables
        .iter()
        .find(|t| t.name == "public.staff_sessions")
        .unwrap();
    assert_eq!(sessions.rows, 1, "sessions are still in the backup");
}

#[tokio::test]
async fn a_second_run_for_the_same_tenant_is_refused_and_a_failed_run_leaves_no_valid_backup() {
    let f = Fixture::new().await;
    // Another process holds the tenant's backup lock.
    let mut holder = f.backup_db.begin(f.a).await.unwrap();
    assert!(backup::db::try_lock(&mut holder).await.unwrap());
    let err = f.backups.run(f.a).await.unwrap_err();
    assert_eq!(err.code(), "backup.already_running", "{err}");
    holder.rollback().await.unwrap();
    // Other tenants are not blocked.
    f.backups.run(f.b).await.unwrap();

    // A table the backup role cannot read fails the run midway: the upload is
    // abandoned and nothing lists as a complete backup.
    sqlx::raw_sql(
        "create table zz_secret (tenant_id uuid not null references tenants (id), id uuid not null,
                                 primary key (tenant_id, id));
         alter table zz_secret enable row level security;
         alter table zz_secret force row level security;
         create policy tenant_isolation on zz_secret
            using (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid))
            with check (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));
         revoke all on zz_secret from backup;",
    )
    .execute(&f.db.owner_pool().await.unwrap())
    .await
    .unwrap();
    let err = f.backups.run(f.a).await.unwrap_err();
    assert_eq!(err.code(), "backup.database", "{err}");
    let listed = f.backups.list(f.a).await.unwrap();
    assert!(listed.iter().all(|b| !b.complete), "{listed:?}");
}

#[tokio::test]
async fn restore_refuses_backups_of_a_newer_or_incompatible_schema_with_a_clear_message() {
    let f = Fixture::new().await;
    let m = f.backups.run(f.a).await.unwrap();
    let key = format!("tenants/{}/{}/manifest.json", f.a, m.backup_id);
    let before = f.dump(&f.backup_db, f.a).await;

    let mut newer = m.clone();
    newer.schema_version += 1;
    f.store
        .put(&key, serde_json::to_vec(&newer).unwrap())
        .await
        .unwrap();
    let err = f
        .backups
        .restore(f.a, &m.backup_id, None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "backup.schema_newer");
    assert!(
        err.to_string().contains("migrate the database first"),
        "{err}"
    );

    let mut gone = m.clone();
    gone.schema_version -= 1;
    gone.tables[0].columns.push("dropped_column".to_owned());
    f.store
        .put(&key, serde_json::to_vec(&gone).unwrap())
        .await
        .unwrap();
    let err = f
        .backups
        .restore(f.a, &m.backup_id, None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "backup.schema_unmigratable");
    assert!(err.to_string().contains("dropped_column"), "{err}");
    assert_eq!(f.dump(&f.backup_db, f.a).await, before);

    let err = f
        .backups
        .verify(f.a, "2026-01-01T00:00:00Z-000000000000")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "backup.unknown_backup");
}

#[tokio::test]
async fn o16_prune_keeps_the_policy_set_of_forty_nightly_backups() {
    let f = Fixture::new().await;
    // The shop keeps 3 daily, 2 weekly, 2 monthly.
    f.exec(
        &f.admin,
        f.b,
        "update store_settings set backup_keep_daily = 3, backup_keep_weekly = 2, backup_keep_monthly = 2",
    )
    .await;
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 2, 0, 0).unwrap();
    let mut ids = Vec::new();
    for day in 0..40 {
        ids.push(
            f.backups
                .run_at(f.b, start + Duration::days(day))
                .await
                .unwrap()
                .backup_id,
        );
    }
    // An abandoned run (data without manifest) from day 10.
    let orphan = "2026-01-11T02:00:00Z-orphanedrunx".to_owned();
    f.store
        .put(
            &format!("tenants/{}/{orphan}/data", f.b),
            b"PLATBK01".to_vec(),
        )
        .await
        .unwrap();
    let now = start + Duration::days(39) + Duration::hours(1);
    let dry = f.backups.prune(f.b, now, true).await.unwrap();
    assert_eq!(
        f.backups.list(f.b).await.unwrap().len(),
        41,
        "dry run deletes nothing"
    );
    let report = f.backups.prune(f.b, now, false).await.unwrap();
    assert_eq!(report.deleted, dry.deleted);
    let left: Vec<String> = f
        .backups
        .list(f.b)
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.created_at.format("%m-%d").to_string())
        .collect();
    // Daily: Feb 7–9. Weekly: Feb 9 (a Monday, ISO week 7) and Feb 8 (closes week 6),
    // both already daily. Monthly: Feb 9 and January's last, the 31st.
    assert_eq!(left, ["01-31", "02-07", "02-08", "02-09"]);
    assert!(report.deleted.contains(&orphan));
    assert!(!report.deleted.contains(ids.last().unwrap()));
}

/// A staff account in the transaction's shop whose address is sealed under the member's
/// own subject key, as the console makes them.
async fn add_staff(vault: &Vault, tx: &mut platform_tenancy::TenantTx, email: &str) -> Uuid {
    let staff = Uuid::new_v4();
    let sealed = vault
        .seal_for_subject(tx, staff, "staff_accounts.email", email.as_bytes())
        .await
        .unwrap();
    sqlx::query(
        "insert into staff_accounts (tenant_id, id, email_index, email_sealed, password_hash) \
         values ($1, $2, $3, $4, 'argon2-hash-placeholder')",
    )
    .bind(tx.tenant())
    .bind(staff)
    .bind(staff.as_bytes().to_vec())
    .bind(sealed.into_bytes())
    .execute(&mut *tx)
    .await
    .unwrap();
    staff
}

/// Adds an owner with a unique address, asks to close shop `tenant` as of `at` (14 days
/// of grace) the way the console does, and returns the owner's address.
async fn ask_to_close(f: &Fixture, tenant: TenantId, at: chrono::DateTime<Utc>) -> String {
    let email = format!("owner-{}@example.org", Uuid::new_v4().simple());
    let mut tx = f.admin.begin(tenant).await.unwrap();
    let staff = add_staff(&f.vault, &mut tx, &email).await;
    platform_audit::append(
        &mut tx,
        at,
        &platform_audit::Event {
            actor: platform_audit::Actor::staff(staff, ["owner"]),
            action: "shop.close_requested".to_owned(),
            objects: vec![format!("shop:{tenant}")],
            classes: vec![],
            purpose: "closing the shop".to_owned(),
            request_id: None,
        },
    )
    .await
    .unwrap();
    sqlx::query(
        "insert into ledger.shop_closures (tenant_id, id, requested_by, requested_at, close_at, \
         export_sha256, export_made_at) values ($1, $2, $3, $4, $5, $6, $4)",
    )
    .bind(tenant)
    .bind(Uuid::new_v4())
    .bind(staff)
    .bind(at)
    .bind(at + Duration::days(14))
    .bind(vec![7u8; 32])
    .execute(&mut tx)
    .await
    .unwrap();
    sqlx::query("update tenants set closes_at = $2 where id = $1")
        .bind(tenant)
        .bind(at + Duration::days(14))
        .execute(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    email
}

/// Rows of `tenant` in every table that has a `tenant_id`, in every schema but `keys`,
/// counted by the owner (the test's own catalog query, not the worker's discovery).
async fn rows_left(f: &Fixture, tenant: TenantId) -> BTreeMap<String, i64> {
    let mut tx = f.owner.begin(tenant).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "select format('%I.%I', c.table_schema, c.table_name)
           from information_schema.columns c
           join information_schema.tables t
             on t.table_schema = c.table_schema and t.table_name = c.table_name
          where c.column_name = 'tenant_id' and t.table_type = 'BASE TABLE'
            and c.table_schema not in ('pg_catalog', 'information_schema', 'keys')
            and not (c.table_schema = 'ledger' and c.table_name = 'shop_closures')
          order by 1",
    )
    .fetch_all(&mut tx)
    .await
    .unwrap();
    let mut out = BTreeMap::new();
    for t in tables {
        let sql = format!("select count(*) from {t} where tenant_id = $1");
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(tenant)
            .fetch_one(&mut tx)
            .await
            .unwrap();
        out.insert(t, n);
    }
    tx.commit().await.unwrap();
    out
}

#[tokio::test]
async fn o11_a_closed_shop_loses_every_row_and_key_its_backups_are_unreadable_and_expire() {
    let f = Fixture::new().await;
    let key = platform_audit::AuditKey::from_seed("certificate-test", &[9; 32]).unwrap();
    let made = Utc::now() - Duration::days(20);
    let old = f.backups.run_at(f.a, made).await.unwrap();
    let other = f.backups.run(f.b).await.unwrap();
    let asked = Utc::now();
    let email = ask_to_close(&f, f.a, asked).await;
    let b_before = f.dump(&f.backup_db, f.b).await;

    // During the grace period nothing happens, even when asked to.
    let early = asked + Duration::days(14) - Duration::minutes(1);
    assert!(f.backups.due_closures(early).await.unwrap().is_empty());
    assert!(f.backups.close(f.a, early, &key).await.unwrap().is_none());
    assert!(rows_left(&f, f.a).await.values().any(|n| *n > 0));

    let now = asked + Duration::days(14) + Duration::minutes(1);
    assert_eq!(f.backups.due_closures(now).await.unwrap(), [f.a]);
    let certificate = f.backups.close(f.a, now, &key).await.unwrap().unwrap();
    assert!(certificate.verifies(&key.verifying_key()));
    let mut tampered = certificate.clone();
    tampered.keys_destroyed += 1;
    assert!(!tampered.verifies(&key.verifying_key()));

    // Every row of the shop, in every schema, is gone; the certificate counted them.
    let left = rows_left(&f, f.a).await;
    assert!(left.len() >= 20, "{left:?}");
    assert!(left.values().all(|n| *n == 0), "{left:?}");
    let count = |table: &str| {
        certificate
            .deleted
            .iter()
            .find(|d| d.table == table)
            .map(|d| d.rows)
    };
    assert_eq!(count("public.products"), Some(30));
    assert_eq!(count("public.staff_accounts"), Some(2));
    assert_eq!(count("audit.events"), Some(1));
    assert_eq!(count("public.privacy_policies"), Some(1));
    // Every key is destroyed.
    let mut tx = f.owner.begin(f.a).await.unwrap();
    let live: i64 = sqlx::query_scalar(
        "select (select count(*) from keys.tenant_keys where wrapped is not null) \
              + (select count(*) from keys.subject_keys where wrapped is not null)",
    )
    .fetch_one(&mut tx)
    .await
    .unwrap();
    assert_eq!(live, 0);
    assert!(certificate.keys_destroyed >= 3);
    // The tombstone keeps no name and no host; the shop is no longer due.
    let (status, name, hosts, closes): (
        String,
        String,
        Vec<String>,
        Option<chrono::DateTime<Utc>>,
    ) = sqlx::query_as(
        "select status, display_name, host_names, closes_at from tenants where id = $1",
    )
    .bind(f.a)
    .fetch_one(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!((status.as_str(), name.as_str()), ("deleted", "Closed shop"));
    assert!(hosts.is_empty() && closes.is_none());
    assert!(f.backups.due_closures(now).await.unwrap().is_empty());
    assert!(f.backups.close(f.a, now, &key).await.unwrap().is_none());

    // Its backup can never be read again; the other shop's restores, untouched.
    let err = f.backups.verify(f.a, &old.backup_id).await.unwrap_err();
    assert!(matches!(err, BackupError::KeyDestroyed), "{err}");
    assert_eq!(f.dump(&f.backup_db, f.b).await, b_before);
    f.backups
        .restore(f.b, &other.backup_id, None)
        .await
        .unwrap();

    // The owner receives the signed certificate; their address is then forgotten.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mailer =
        platform_mail::Mailer::new(&platform_testkit::smtp_url(), "platform@test.localhost")
            .unwrap();
    assert_eq!(f.backups.send_certificates(&mailer).await.unwrap(), 1);
    let mail = platform_testkit::wait_for_mail(&email, 1).await;
    let text = mail[0]["text"].as_str().unwrap();
    assert!(
        text.contains("deletion-certificate/1")
            && text.contains(&certificate.backups.last_expires_on.to_string()),
        "{text}"
    );
    let mut tx = f.owner.begin(f.a).await.unwrap();
    let (kept_email, sent): (Option<String>, Option<chrono::DateTime<Utc>>) =
        sqlx::query_as("select owner_email, certificate_sent_at from ledger.shop_closures")
            .fetch_one(&mut tx)
            .await
            .unwrap();
    tx.commit().await.unwrap();
    assert!(kept_email.is_none() && sent.is_some());

    // Backups go as they expire: the one from 20 days ago after its shop's horizon (372
    // days under the default policy), which the certificate announced.
    assert_eq!(certificate.backups.count, 1);
    assert_eq!(
        certificate.backups.last_expires_on,
        (made + Duration::days(373)).date_naive()
    );
    let waiting = f.backups.prune_closed(now).await.unwrap();
    assert_eq!(
        waiting.iter().find(|(t, _)| *t == f.a).unwrap().1.waiting,
        1
    );
    let gone = f
        .backups
        .prune_closed(made + Duration::days(373))
        .await
        .unwrap();
    assert_eq!(
        gone.iter().find(|(t, _)| *t == f.a).unwrap().1.deleted,
        [old.backup_id]
    );
    assert!(f.backups.list(f.a).await.unwrap().is_empty());
    assert!(f.backups.list(f.b).await.unwrap().len() == 1);
}

#[tokio::test]
async fn o22_a_cancelled_closure_never_runs_and_a_live_shops_audit_log_stays_append_only() {
    let f = Fixture::new().await;
    let key = platform_audit::AuditKey::from_seed("certificate-test", &[9; 32]).unwrap();
    let asked = Utc::now();
    ask_to_close(&f, f.a, asked).await;
    f.exec(
        &f.admin,
        f.a,
        "update ledger.shop_closures set cancelled_at = now(), cancelled_by = requested_by",
    )
    .await;
    f.exec(&f.admin, f.a, "update tenants set closes_at = null")
        .await;
    let later = asked + Duration::days(30);
    assert!(f.backups.due_closures(later).await.unwrap().is_empty());
    assert!(f.backups.close(f.a, later, &key).await.unwrap().is_none());
    assert!(rows_left(&f, f.a).await["public.products"] == 30);
    // The worker's role may delete audit rows only of a shop marked deleted.
    let mut tx = f.backup_db.begin(f.a).await.unwrap();
    let err = sqlx::query("delete from audit.events")
        .execute(&mut tx)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
}
