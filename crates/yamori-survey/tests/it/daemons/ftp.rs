//! Debian's vsftpd: a local account with a password from the list is found; an anonymous
//! login is reported on its own (and only when the server allows it).

use std::os::unix::fs::PermissionsExt;

use super::default_config;
use super::lab::{self, Lab};
use crate::peers;
use crate::util::service;

const VSFTPD: &str = "/usr/sbin/vsftpd";

fn start_vsftpd(anonymous: bool) -> Option<Lab> {
    if let Some(why) = lab::missing(&[VSFTPD, "/usr/bin/openssl"]) {
        peers::missing("the real vsftpd check", &why);
        return None;
    }
    let mut lab = Lab::new().expect("lab");
    lab.accounts(&[("admin", "admin")]).expect("accounts");
    let dir = lab.dir.path().to_path_buf();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    for sub in ["anon", "empty"] {
        std::fs::create_dir_all(dir.join(sub)).expect("dir");
    }
    let conf = dir.join("vsftpd.conf");
    std::fs::write(
        &conf,
        format!(
            "listen=YES\nlisten_ipv6=NO\nlisten_address={}\nbackground=NO\n\
             anonymous_enable={}\nanon_root={}\nlocal_enable=YES\npam_service_name=vsftpd\n\
             secure_chroot_dir={}\nseccomp_sandbox=NO\nlog_ftp_protocol=YES\n\
             vsftpd_log_file={}\nxferlog_enable=YES\n",
            lab::SERVER,
            if anonymous { "YES" } else { "NO" },
            dir.join("anon").display(),
            dir.join("empty").display(),
            dir.join("protocol.log").display(),
        ),
    )
    .expect("vsftpd.conf");
    lab.spawn(&[VSFTPD, &conf.to_string_lossy()], "vsftpd.log")
        .expect("vsftpd");
    lab.wait_listen(21).expect("vsftpd listens");
    Some(lab)
}

fn protocol_log(lab: &Lab) -> String {
    std::fs::read_to_string(lab.dir.path().join("protocol.log")).unwrap_or_default()
}

#[test]
fn vsftpd_account_and_anonymous_are_reported_apart() {
    let Some(lab) = start_vsftpd(true) else {
        return;
    };
    let (result, _) = lab.survey(default_config("21")).expect("survey");
    let svc = service(&result.hosts, 21);
    let log = protocol_log(&lab);
    assert_eq!(svc.fields["ftp_code"], "220", "{:#?}", svc.fields);
    assert_eq!(
        svc.fields["ftp_anonymous"], "true",
        "{:#?}\n{log}",
        svc.fields
    );
    let weak = svc
        .weak_credential
        .as_ref()
        .unwrap_or_else(|| panic!("admin:admin not found: {:#?}\n{log}", svc.fields));
    assert_eq!(weak.username, "admin");
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
    // The anonymous password is the contact; nothing but logins and QUIT was sent.
    assert!(
        log.contains("PASS <password>") || log.contains("lab@example.org"),
        "{log}"
    );
    for verb in ["LIST", "RETR", "STOR", "CWD", "PASV", "PORT"] {
        assert!(!log.contains(&format!("\"{verb}")), "{verb} sent:\n{log}");
    }
}

#[test]
fn vsftpd_without_anonymous_says_so() {
    let Some(lab) = start_vsftpd(false) else {
        return;
    };
    let mut cfg = default_config("21");
    cfg.credentials.truncate(2); // root:xc3511, root:vizxv: refused (root is in ftpusers)
    let (result, _) = lab.survey(cfg).expect("survey");
    let svc = service(&result.hosts, 21);
    assert_eq!(svc.fields["ftp_anonymous"], "false", "{:#?}", svc.fields);
    assert!(svc.weak_credential.is_none(), "{:#?}", svc.fields);
    assert_eq!(svc.fields["login_attempts"], "2", "{:#?}", svc.fields);
}

#[test]
fn without_the_anonymous_check_no_anonymous_login_is_sent() {
    // A server that would take it: the survey still must not ask.
    let Some(lab) = start_vsftpd(true) else {
        return;
    };
    let mut cfg = default_config("21");
    cfg.ftp_anonymous = false;
    let (result, _) = lab.survey(cfg).expect("survey");
    let svc = service(&result.hosts, 21);
    let log = protocol_log(&lab);
    assert!(
        !svc.fields.contains_key("ftp_anonymous"),
        "{:#?}",
        svc.fields
    );
    assert!(!log.contains("USER anonymous"), "{log}");
    let weak = svc
        .weak_credential
        .as_ref()
        .unwrap_or_else(|| panic!("admin:admin not found: {:#?}\n{log}", svc.fields));
    assert_eq!(weak.username, "admin");
    // The greeting connection carried the first pair, counted once: one connection per lane
    // (admin:admin is in the first batch, long before vsftpd closes a connection after three
    // refusals).
    let count = |f: &str| -> usize { svc.fields[f].parse().expect("a count") };
    assert!(
        (1..=count("login_lanes")).contains(&count("login_connections")),
        "{:#?}",
        svc.fields
    );
}
