//! Vault behaviour against a real Postgres, through service roles under RLS.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;

use platform_tenancy::{TenantDb, TenantId};
use platform_testkit::TestDb;
use platform_vault::{LocalKek, Sealed, Vault, VaultError};
use uuid::Uuid;

struct Fixture {
    _db: TestDb,
    admin: TenantDb,
    orders: TenantDb,
    a: TenantId,
    b: TenantId,
}

async fn fixture() -> Fixture {
    let db = TestDb::new().await.unwrap();
    let admin = TenantDb::new(db.pool_as("tenant_admin", 4).await.unwrap());
    let orders = TenantDb::new(db.pool_as("orders", 8).await.unwrap());
    let mut ids = Vec::new();
    for handle in ["vault-a", "vault-b"] {
        let id = TenantId::random();
        let mut tx = admin.platform().await.unwrap();
        sqlx::query("insert into tenants (id, handle, display_name) values ($1, $2, $2)")
            .bind(id)
            .bind(handle)
            .execute(&mut tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        ids.push(id);
    }
    Fixture {
        _db: db,
        admin,
        orders,
        a: ids[0],
        b: ids[1],
    }
}

fn vault_with(kek: LocalKek) -> Vault {
    Vault::new(Arc::new(kek))
}

const EMAIL: &[u8] = b"ada.lovelace@example.com";

#[tokio::test]
async fn o11_a_sealed_field_opens_and_holds_no_plaintext() {
    let f = fixture().await;
    let vault = vault_with(LocalKek::generate(1));
    let subject = Uuid::new_v4();
    let mut tx = f.orders.begin(f.a).await.unwrap();
    let sealed = vault
        .seal_for_subject(&mut tx, subject, "orders.email", EMAIL)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let bytes = sealed.as_bytes();
    assert!(!bytes.windows(EMAIL.len()).any(|w| w == EMAIL));
    assert!(!sealed.to_base64().contains("lovelace"));

    // Two seals of the same value differ (random nonces).
    let mut tx = f.orders.begin(f.a).await.unwrap();
    let again = vault
        .seal_for_subject(&mut tx, subject, "orders.email", EMAIL)
        .await
        .unwrap();
    assert_ne!(again, sealed);
    let stored = Sealed::from_bytes(sealed.into_bytes()).unwrap();
    let opened = vault.open(&mut tx, "orders.email", &stored).await.unwrap();
    assert_eq!(opened.as_slice(), EMAIL);

    // The context is bound: the same ciphertext does not open as another field.
    let err = vault
        .open(&mut tx, "orders.phone", &stored)
        .await
        .unwrap_err();
    assert!(matches!(err, VaultError::Crypto), "{err:?}");

    // Tampering is detected.
    let mut bytes = stored.into_bytes();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let tampered = Sealed::from_bytes(bytes).unwrap();
    assert!(matches!(
        vault.open(&mut tx, "orders.email", &tampered).await,
        Err(VaultError::Crypto)
    ));
}

#[tokio::test]
async fn o21_a_ciphertext_of_one_tenant_does_not_open_under_another() {
    let f = fixture().await;
    let vault = vault_with(LocalKek::generate(1));
    let mut tx = f.orders.begin(f.a).await.unwrap();
    let subject_field = vault
        .seal_for_subject(&mut tx, Uuid::new_v4(), "orders.email", EMAIL)
        .await
        .unwrap();
    let tenant_field = vault
        .seal_for_tenant(&mut tx, "settings.contact_email", EMAIL)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = f.orders.begin(f.b).await.unwrap();
    // B cannot see A's key rows at all: the key is unknown to B.
    for (sealed, context) in [
        (&subject_field, "orders.email"),
        (&tenant_field, "settings.contact_email"),
    ] {
        let err = vault.open(&mut tx, context, sealed).await.unwrap_err();
        assert!(matches!(err, VaultError::UnknownKey), "{err:?}");
    }
}

#[tokio::test]
async fn o14_shredding_a_subject_makes_only_their_fields_unreadable() {
    let f = fixture().await;
    let kek = LocalKek::generate(1).to_text();
    let vault = vault_with(LocalKek::parse(&kek).unwrap());
    // Another service instance: the same KEK, its own key cache.
    let other_instance = vault_with(LocalKek::parse(&kek).unwrap());
    let (erased, kept) = (Uuid::new_v4(), Uuid::new_v4());
    let mut tx = f.orders.begin(f.a).await.unwrap();
    let erased_field = vault
        .seal_for_subject(&mut tx, erased, "orders.email", b"gone@example.com")
        .await
        .unwrap();
    let kept_field = vault
        .seal_for_subject(&mut tx, kept, "orders.email", b"stays@example.com")
        .await
        .unwrap();
    tx.commit().await.unwrap();

    // The other instance reads the subject's field first, so the key is in its cache.
    let mut tx = f.orders.begin(f.a).await.unwrap();
    let warm = other_instance
        .open(&mut tx, "orders.email", &erased_field)
        .await
        .unwrap();
    assert_eq!(warm.as_slice(), b"gone@example.com");
    tx.commit().await.unwrap();

    let mut tx = f.orders.begin(f.a).await.unwrap();
    assert_eq!(vault.shred_subject(&mut tx, erased).await.unwrap(), 1);
    tx.commit().await.unwrap();

    // Both instances, the one that shredded and the one with the key cached, agree.
    let mut tx = f.orders.begin(f.a).await.unwrap();
    for v in [&vault, &other_instance] {
        let err = v
            .open(&mut tx, "orders.email", &erased_field)
            .await
            .unwrap_err();
        assert!(matches!(err, VaultError::KeyDestroyed), "{err:?}");
        let opened = v.open(&mut tx, "orders.email", &kept_field).await.unwrap();
        assert_eq!(opened.as_slice(), b"stays@example.com");
    }

    // The subject may come back later: new data gets a new key (version 2); the old
    // data stays unreadable.
    let fresh = vault
        .seal_for_subject(&mut tx, erased, "orders.email", b"back@example.com")
        .await
        .unwrap();
    assert_eq!(fresh.key_ref().unwrap().2, 2);
    assert!(vault.open(&mut tx, "orders.email", &fresh).await.is_ok());
    assert!(matches!(
        vault.open(&mut tx, "orders.email", &erased_field).await,
        Err(VaultError::KeyDestroyed)
    ));
}

#[tokio::test]
async fn o11_destroying_a_tenants_keys_makes_all_its_fields_unreadable() {
    let f = fixture().await;
    let vault = vault_with(LocalKek::generate(1));
    let mut sealed = Vec::new();
    for tenant in [f.a, f.b] {
        let mut tx = f.admin.begin(tenant).await.unwrap();
        let t = vault
            .seal_for_tenant(&mut tx, "settings.contact_email", EMAIL)
            .await
            .unwrap();
        let s = vault
            .seal_for_subject(&mut tx, Uuid::new_v4(), "customers.email", EMAIL)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        sealed.push((tenant, t, s));
    }
    let mut tx = f.admin.begin(f.a).await.unwrap();
    assert_eq!(vault.destroy_tenant_keys(&mut tx).await.unwrap(), 2);
    tx.commit().await.unwrap();

    for (tenant, t, s) in &sealed {
        let mut tx = f.admin.begin(*tenant).await.unwrap();
        let opened_t = vault.open(&mut tx, "settings.contact_email", t).await;
        let opened_s = vault.open(&mut tx, "customers.email", s).await;
        if *tenant == f.a {
            assert!(matches!(opened_t, Err(VaultError::KeyDestroyed)));
            assert!(matches!(opened_s, Err(VaultError::KeyDestroyed)));
        } else {
            assert_eq!(opened_t.unwrap().as_slice(), EMAIL);
            assert_eq!(opened_s.unwrap().as_slice(), EMAIL);
        }
    }
}

#[tokio::test]
async fn blind_indexes_match_within_a_tenant_and_field_only() {
    let f = fixture().await;
    let vault = vault_with(LocalKek::generate(1));
    let mut tx = f.orders.begin(f.a).await.unwrap();
    let a1 = vault
        .blind_index(&mut tx, "customers.email", "ada@example.com")
        .await
        .unwrap();
    let a2 = vault
        .blind_index(&mut tx, "customers.email", "ada@example.com")
        .await
        .unwrap();
    let a_other_field = vault
        .blind_index(&mut tx, "orders.email", "ada@example.com")
        .await
        .unwrap();
    let a_other_value = vault
        .blind_index(&mut tx, "customers.email", "bob@example.com")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = f.orders.begin(f.b).await.unwrap();
    let b1 = vault
        .blind_index(&mut tx, "customers.email", "ada@example.com")
        .await
        .unwrap();
    assert_eq!(a1, a2);
    assert_ne!(a1, a_other_field);
    assert_ne!(a1, a_other_value);
    assert_ne!(a1, b1, "tenants must not be able to correlate customers");
}

#[tokio::test]
async fn kek_rotation_rewraps_keys_and_leaves_data_untouched() {
    let f = fixture().await;
    let v1 = LocalKek::generate(1);
    let v1_text = v1.to_text();
    let vault = vault_with(v1);
    let subject = Uuid::new_v4();
    let mut tx = f.admin.begin(f.a).await.unwrap();
    let field = vault
        .seal_for_subject(&mut tx, subject, "customers.email", EMAIL)
        .await
        .unwrap();
    let setting = vault
        .seal_for_tenant(&mut tx, "settings.contact_email", EMAIL)
        .await
        .unwrap();
    let index_before = vault
        .blind_index(&mut tx, "customers.email", "ada")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let field_bytes = field.as_bytes().to_vec();

    // Step 1: add version 2; step 2: re-wrap.
    let mut both = LocalKek::parse(&v1_text).unwrap();
    assert_eq!(both.add_version(), 2);
    let both_text = both.to_text();
    let rotating = vault_with(both);
    let mut tx = f.admin.begin(f.a).await.unwrap();
    assert_eq!(rotating.rewrap_tenant(&mut tx).await.unwrap(), 3);
    assert_eq!(
        rotating.rewrap_tenant(&mut tx).await.unwrap(),
        0,
        "idempotent"
    );
    tx.commit().await.unwrap();

    // Step 3: retire version 1. Old ciphertexts open; nothing was re-encrypted.
    let mut only_v2 = LocalKek::parse(&both_text).unwrap();
    only_v2.retire_version(1);
    let after = vault_with(only_v2);
    let mut tx = f.admin.begin(f.a).await.unwrap();
    assert_eq!(field.as_bytes(), field_bytes.as_slice());
    assert_eq!(
        after
            .open(&mut tx, "customers.email", &field)
            .await
            .unwrap()
            .as_slice(),
        EMAIL
    );
    assert_eq!(
        after
            .open(&mut tx, "settings.contact_email", &setting)
            .await
            .unwrap()
            .as_slice(),
        EMAIL
    );
    assert_eq!(
        after
            .blind_index(&mut tx, "customers.email", "ada")
            .await
            .unwrap(),
        index_before
    );
    let versions: Vec<i32> = sqlx::query_scalar(
        "select kek_version from keys.subject_keys union all select kek_version from keys.tenant_keys",
    )
    .fetch_all(&mut tx)
    .await
    .unwrap();
    assert_eq!(versions, vec![2, 2, 2]);

    // Tenant B was not rotated yet: a process holding only v2 cannot unwrap its v1 keys.
    let mut tx = f.admin.begin(f.b).await.unwrap();
    let b_field = vault
        .seal_for_subject(&mut tx, subject, "customers.email", EMAIL)
        .await
        .unwrap();
    let err = after
        .open(&mut tx, "customers.email", &b_field)
        .await
        .unwrap_err();
    assert!(
        matches!(err, VaultError::KekVersionUnavailable(1)),
        "{err:?}"
    );
}

#[tokio::test]
async fn concurrent_first_use_creates_one_key_per_subject() {
    let f = fixture().await;
    let vault = vault_with(LocalKek::generate(1));
    let subject = Uuid::new_v4();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (vault, db, tenant) = (vault.clone(), f.orders.clone(), f.a);
        tasks.push(tokio::spawn(async move {
            let mut tx = db.begin(tenant).await.unwrap();
            let sealed = vault
                .seal_for_subject(&mut tx, subject, "orders.note", format!("n{i}").as_bytes())
                .await
                .unwrap();
            tx.commit().await.unwrap();
            sealed
        }));
    }
    let mut sealed = Vec::new();
    for t in tasks {
        sealed.push(t.await.unwrap());
    }
    let key_ids: std::collections::HashSet<_> =
        sealed.iter().map(|s| s.key_ref().unwrap().1).collect();
    assert_eq!(key_ids.len(), 1);
    let mut tx = f.orders.begin(f.a).await.unwrap();
    for s in &sealed {
        assert!(vault.open(&mut tx, "orders.note", s).await.is_ok());
    }
}

#[test]
fn local_kek_configuration_errors_are_clear() {
    for (text, expect) in [
        ("", "no key versions"),
        ("v1", "v<N>:<base64 key>"),
        ("x1:AAAA", "versions are written"),
        ("v1:!!!", "not base64"),
        ("v1:AAAA", "32 bytes"),
    ] {
        let err = LocalKek::parse(text).unwrap_err().to_string();
        assert!(err.contains(expect), "{text}: {err}");
    }
    let kek = LocalKek::generate(3);
    let text = kek.to_text();
    assert!(LocalKek::parse(&text).is_ok());
    assert!(
        !format!("{kek:?}").contains(&text[3..]),
        "Debug must not print key material"
    );
}
