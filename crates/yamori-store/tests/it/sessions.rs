//! Dashboard sessions: a typed table with expiry; logout and user deletion end them.

use yamori_store::accounts::User;

use crate::backends::each;

#[test]
fn sessions_expire_end_on_logout_and_with_their_user() {
    each(|s| {
        for name in ["alice", "bob"] {
            s.taxii_put_user(&User {
                name: name.into(),
                password_hash: None,
            })
            .expect("user");
        }
        s.session_create("h1", "alice", 1_000, 500).expect("create");
        s.session_create("h2", "alice", 2_000, 500).expect("create");
        s.session_create("h3", "bob", 2_000, 500).expect("create");
        let live = s.session("h1", 999).expect("get").expect("live");
        assert_eq!((live.user.as_str(), live.expires_s), ("alice", 1_000));
        assert_eq!(
            s.session("h1", 1_000).expect("get"),
            None,
            "expired at its expiry"
        );
        assert_eq!(s.session("nope", 0).expect("get"), None);
        // Creating a session removes the expired ones: h1 is gone even for a clock before it.
        s.session_create("h4", "bob", 3_000, 1_500).expect("create");
        assert_eq!(s.session("h1", 0).expect("get"), None);
        assert!(s.session_delete("h4").expect("logout"));
        assert!(!s.session_delete("h4").expect("logout again"));
        assert_eq!(s.session("h4", 0).expect("get"), None);
        assert_eq!(s.sessions_end_user("alice").expect("end"), 1);
        assert_eq!(s.session("h2", 0).expect("get"), None);
        assert!(s.taxii_delete_user("bob").expect("delete user"));
        assert_eq!(
            s.session("h3", 0).expect("get"),
            None,
            "ended with its user"
        );
    });
}
