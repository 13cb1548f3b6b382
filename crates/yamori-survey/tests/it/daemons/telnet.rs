//! Debian's telnet daemon with the real `login` (PAM's 3 s failure delay), and a daemon that
//! keeps silent for 8 s before its prompt.

use super::default_config;
use super::lab::{self, Lab};
use crate::peers;
use crate::util::service;

use lab::{INETD, TELNETD};

#[test]
fn real_telnetd_with_pam_login_gives_up_admin_admin_under_default_settings() {
    if let Some(why) = lab::missing(&[TELNETD, INETD, "/usr/bin/openssl"]) {
        peers::missing("the real telnetd + login(1) check", &why);
        return;
    }
    let mut lab = Lab::new().expect("lab");
    lab.accounts(&[("admin", "admin")]).expect("accounts");
    lab.telnetd().expect("telnetd listens");

    let (result, took) = lab.survey(default_config("23")).expect("survey");
    let svc = service(&result.hosts, 23);
    let weak = svc
        .weak_credential
        .as_ref()
        .unwrap_or_else(|| panic!("admin:admin not found: {:#?}", svc.fields));
    assert_eq!(weak.username, "admin", "{:#?}", svc.fields);
    let field = |svc: &yamori_survey::model::Service, k: &str| -> f64 {
        svc.fields
            .get(k)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("field {k} missing: {:#?}", svc.fields))
    };
    // The first four pairs at once (admin:admin is the 4th), then the control attempt; the
    // other lanes' attempts are dropped when admin:admin gets in.
    assert_eq!(field(svc, "login_attempts"), 5.0, "{:#?}", svc.fields);
    assert_eq!(svc.fields["login_control"], "refused");
    assert!(field(svc, "login_seconds") > 0.0);
    assert!(took.as_secs() < 60, "survey took {took:?}");

    // One connection at a time: three refusals, each after PAM's 3 s delay, waited out on the
    // same connection (login prompts again), then admin:admin.
    let mut one = default_config("23");
    one.login_parallel = 1;
    let (result, _) = lab.survey(one).expect("survey");
    let svc = service(&result.hosts, 23);
    assert_eq!(
        svc.weak_credential.as_ref().map(|w| w.username.as_str()),
        Some("admin"),
        "{:#?}",
        svc.fields
    );
    assert_eq!(field(svc, "login_attempts"), 5.0, "{:#?}", svc.fields);
    assert!(
        field(svc, "login_connections") < 5.0,
        "refusals re-prompt on the same connection: {:#?}",
        svc.fields
    );
    assert!(
        field(svc, "login_refusal_seconds") >= 2.5,
        "{:#?}",
        svc.fields
    );
    assert!(field(svc, "login_seconds") >= 9.0, "{:#?}", svc.fields);
}

#[test]
fn a_daemon_silent_for_8_s_before_its_prompt_is_still_seen() {
    if let Some(why) = lab::missing(&["/usr/bin/socat"]) {
        peers::missing("the slow-first-byte check", &why);
        return;
    }
    let mut lab = Lab::new().expect("lab");
    let script = lab.dir.path().join("slow-login.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nsleep 8\nprintf '\\r\\nslow-dvr login: '\nread -r user\nprintf 'Password: '\n\
         read -r pass\nsleep 1\nprintf '\\r\\nLogin incorrect\\r\\n'\n",
    )
    .expect("script");
    let script = script.to_string_lossy().to_string();
    lab.spawn(
        &[
            "socat",
            "TCP-LISTEN:2323,reuseaddr,fork",
            &format!("EXEC:/bin/sh {script}"),
        ],
        "socat.log",
    )
    .expect("socat");
    lab.wait_listen(2323).expect("listens");
    let mut cfg = default_config("2323");
    cfg.credentials.clear();
    let (result, took) = lab.survey(cfg).expect("survey");
    let svc = service(&result.hosts, 2323);
    assert_eq!(
        svc.fields.get("login_prompt").map(String::as_str),
        Some("true"),
        "{svc:#?}"
    );
    assert!(svc.banner.contains("slow-dvr login:"), "{svc:#?}");
    let waited: f64 = svc.fields["login_prompt_seconds"].parse().expect("seconds");
    assert!((7.5..15.0).contains(&waited), "{waited}");
    assert!(took.as_secs() < 30, "{took:?}");
}
