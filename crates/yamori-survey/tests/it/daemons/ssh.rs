//! Debian's OpenSSH server: a weak account is found by password, also when `MaxAuthTries 2`
//! closes the connection after two failures; a strong password gives no finding; the
//! server's log shows that no session or command was ever started.

use super::default_config;
use super::lab::{self, Lab};
use crate::peers;
use crate::util::service;

const SSHD: &str = "/usr/sbin/sshd";

/// Starts sshd in the lab with `MaxAuthTries max_tries` and password logins on or off, its
/// log in `sshd.log`.
fn start_sshd(lab: &mut Lab, max_tries: u32, passwords: bool) {
    let dir = lab.dir.path().to_path_buf();
    let key = dir.join("host_ed25519");
    lab::run(&[
        "ssh-keygen",
        "-q",
        "-t",
        "ed25519",
        "-N",
        "",
        "-f",
        &key.to_string_lossy(),
    ])
    .expect("host key");
    // sshd's privilege-separation directory.
    std::fs::create_dir_all("/run/sshd").expect("/run/sshd");
    let conf = dir.join("sshd_config");
    std::fs::write(
        &conf,
        format!(
            "ListenAddress {}\nPort 22\nHostKey {}\nPidFile {}\nPasswordAuthentication {}\n\
             KbdInteractiveAuthentication no\nUsePAM yes\nPermitRootLogin no\nMaxAuthTries {max_tries}\n\
             LogLevel VERBOSE\nUseDNS no\n",
            lab::SERVER,
            key.display(),
            dir.join("sshd.pid").display(),
            if passwords { "yes" } else { "no" },
        ),
    )
    .expect("sshd_config");
    // -D: foreground; -e: log to stderr (the lab's log file).
    lab.spawn(
        &[SSHD, "-D", "-e", "-f", &conf.to_string_lossy()],
        "sshd.log",
    )
    .expect("sshd");
    lab.wait_listen(22).expect("sshd listens");
}

fn sshd_log(lab: &Lab) -> String {
    std::fs::read_to_string(lab.dir.path().join("sshd.log")).unwrap_or_default()
}

/// sshd's log once it holds `needle` (its monitor process writes a line a moment after the
/// reply that ended the survey's connection), or as it is after 5 s.
fn sshd_log_with(lab: &Lab, needle: &str) -> String {
    let t0 = std::time::Instant::now();
    loop {
        let log = sshd_log(lab);
        if log.contains(needle) || t0.elapsed() > std::time::Duration::from_secs(5) {
            return log;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn setup(max_tries: u32, users: &[(&str, &str)]) -> Option<Lab> {
    setup_with(max_tries, true, users)
}

fn setup_with(max_tries: u32, passwords: bool, users: &[(&str, &str)]) -> Option<Lab> {
    if let Some(why) = lab::missing(&[SSHD, "/usr/bin/ssh-keygen", "/usr/bin/openssl"]) {
        peers::missing("the real sshd check", &why);
        return None;
    }
    let mut lab = Lab::new().expect("lab");
    lab.accounts(users).expect("accounts");
    start_sshd(&mut lab, max_tries, passwords);
    Some(lab)
}

fn assert_no_session(log: &str) {
    for started in ["Starting session", "session opened", "subsystem request"] {
        assert!(
            !log.contains(started),
            "sshd started something ({started}):\n{log}"
        );
    }
}

#[test]
fn sshd_weak_password_is_found_and_no_session_starts() {
    let Some(lab) = setup(6, &[("admin", "admin")]) else {
        return;
    };
    let (result, _) = lab.survey(default_config("22")).expect("survey");
    let svc = service(&result.hosts, 22);
    let weak = svc.weak_credential.as_ref().unwrap_or_else(|| {
        panic!(
            "admin:admin not found: {:#?}\n{}",
            svc.fields,
            sshd_log(&lab)
        )
    });
    assert_eq!(weak.username, "admin");
    assert!(
        svc.fields["ssh_version"].starts_with("SSH-2.0-OpenSSH_"),
        "{:#?}",
        svc.fields
    );
    assert!(
        svc.fields["ssh_kex"].contains("curve25519-sha256"),
        "{:#?}",
        svc.fields
    );
    assert_eq!(
        svc.fields["ssh_host_keys"], "ssh-ed25519",
        "{:#?}",
        svc.fields
    );
    assert_eq!(svc.fields["ssh_login_method"], "password");
    // Pairs 1–4 go out at once over four connections (admin:admin is the 4th). The 4th may
    // succeed before a slower lane has sent its password (not counted then), and a refusal
    // takes the PAM delay, so a lane takes a 5th pair only if the 4th is slow to succeed.
    let attempts: usize = svc.fields["login_attempts"].parse().expect("attempt count");
    assert!((1..=8).contains(&attempts), "{:#?}", svc.fields);
    // The server's explicit success needs no control attempt (that is telnet's).
    assert!(
        !svc.fields.contains_key("login_control"),
        "{:#?}",
        svc.fields
    );
    let log = sshd_log_with(&lab, "Accepted password for admin");
    assert!(log.contains("Accepted password for admin"), "{log}");
    assert_no_session(&log);
    // One connection per user name (OpenSSH refuses a change of user on a connection).
    assert!(!log.contains("Change of username"), "{log}");
}

#[test]
fn sshd_with_max_auth_tries_2_is_retried_over_new_connections() {
    let Some(lab) = setup(2, &[("admin", "admin")]) else {
        return;
    };
    let (result, _) = lab.survey(default_config("22")).expect("survey");
    let svc = service(&result.hosts, 22);
    assert_eq!(
        svc.weak_credential.as_ref().map(|w| w.username.as_str()),
        Some("admin"),
        "{:#?}\n{}",
        svc.fields,
        sshd_log(&lab)
    );
    let connections: u32 = svc.fields["login_connections"].parse().expect("count");
    assert!(
        connections >= 3,
        "MaxAuthTries 2 forces new connections: {:#?}",
        svc.fields
    );
    assert_no_session(&sshd_log(&lab));
}

#[test]
fn sshd_strong_password_gives_no_finding() {
    let Some(lab) = setup(6, &[("admin", "Tr0ub4dor&3-horse-staple")]) else {
        return;
    };
    let mut cfg = default_config("22");
    // The first pairs of the built-in list, admin:admin among them (each refusal costs PAM's
    // delay).
    cfg.credentials.truncate(6);
    assert!(cfg
        .credentials
        .iter()
        .any(|c| c.username == "admin" && c.password == "admin"));
    let (result, _) = lab.survey(cfg).expect("survey");
    let svc = service(&result.hosts, 22);
    assert!(svc.weak_credential.is_none(), "{:#?}", svc.fields);
    assert_eq!(svc.fields["login_attempts"], "6", "{:#?}", svc.fields);
    assert!(
        !svc.fields.contains_key("login_stopped"),
        "{:#?}",
        svc.fields
    );
    let log = sshd_log(&lab);
    assert!(!log.contains("Accepted"), "{log}");
    assert_no_session(&log);
}

#[test]
fn sshd_with_public_keys_only_is_noted_and_nothing_is_tried() {
    let Some(lab) = setup_with(6, false, &[("admin", "admin")]) else {
        return;
    };
    let t0 = std::time::Instant::now();
    let (result, _) = lab.survey(default_config("22")).expect("survey");
    let svc = service(&result.hosts, 22);
    assert!(svc.weak_credential.is_none(), "{:#?}", svc.fields);
    assert_eq!(
        svc.fields["ssh_auth_methods"], "publickey",
        "{:#?}",
        svc.fields
    );
    assert!(
        svc.fields["login_stopped"].contains("public key only"),
        "{:#?}",
        svc.fields
    );
    assert!(
        !svc.fields.contains_key("login_attempts"),
        "{:#?}",
        svc.fields
    );
    assert!(t0.elapsed().as_secs() < 15, "{:?}", t0.elapsed());
    assert!(!sshd_log(&lab).contains("Failed password"));
}
