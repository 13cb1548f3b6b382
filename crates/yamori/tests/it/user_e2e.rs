//! `yamori user`: tokens can be revoked one by one or all, and users removed.

use crate::support::*;

#[test]
fn tokens_are_revoked_and_users_removed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let user = |args: &[&str], code: i32| {
        let out = run_ok(
            yamori().arg("--data-dir").arg(&data).arg("user").args(args),
            code,
        );
        (
            String::from_utf8_lossy(&out.stdout).trim().to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (first, err) = user(&["add", "bob", "--collection", "telescope:r"], 0);
    assert!(err.contains("TLP:CLEAR and TLP:GREEN only"), "{err}");
    let (second, _) = user(&["token", "bob"], 0);
    assert!(first.starts_with("ymr_") && second.starts_with("ymr_"));
    let store = || yamori_store::Store::open_sqlite(&data.join("yamori.sqlite")).expect("db");
    assert_eq!(store().taxii_tokens_of("bob").expect("tokens").len(), 2);

    user(&["revoke", "bob", "--token", &first], 0);
    assert_eq!(store().taxii_tokens_of("bob").expect("tokens").len(), 1);
    let (_, err) = user(&["revoke", "bob", "--token", &first], 1);
    assert!(err.contains("no such token"), "{err}");
    user(&["revoke", "bob"], 0);
    assert!(store().taxii_tokens_of("bob").expect("tokens").is_empty());

    // The TLP clearance: set, shown, refused for RED, changed by `grant`.
    let (_, err) = user(&["grant", "bob", "--tlp", "amber"], 0);
    assert!(err.contains("up to TLP:AMBER"), "{err}");
    assert_eq!(
        store().taxii_user_tlp("bob").expect("tlp").as_deref(),
        Some("amber")
    );
    let (list, _) = user(&["list"], 0);
    assert!(list.starts_with("bob\ttlp:amber\t"), "{list}");
    let (_, err) = user(&["grant", "bob", "--tlp", "red"], 2);
    assert!(err.contains("never served"), "{err}");
    let (_, err) = user(&["grant", "bob"], 2);
    assert!(err.contains("--collection"), "{err}");
    assert_eq!(
        store().taxii_user_tlp("bob").expect("tlp").as_deref(),
        Some("amber")
    );
    let (_, err) = user(&["grant", "bob", "--tlp", "default"], 0);
    assert!(err.contains("up to TLP:GREEN"), "{err}");
    assert_eq!(store().taxii_user_tlp("bob").expect("tlp"), None);

    user(&["remove", "bob"], 0);
    assert!(store().taxii_user("bob").expect("user").is_none());
    assert!(store().taxii_grants("bob").expect("grants").is_empty());
    let (_, err) = user(&["remove", "bob"], 1);
    assert!(err.contains("no user"), "{err}");
}
