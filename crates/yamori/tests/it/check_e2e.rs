//! `yamori check` run by the binary inside a network namespace, as a household would run it:
//! on a private /24 with a real Debian telnet daemon (`login(1)` with PAM, an account
//! admin:admin), and on a machine whose only address is public (refused before anything is
//! sent).

use std::process::Command;

use yamori_lab::netns::{self, Lab, INETD, TELNETD};

use crate::peers;

/// `yamori check …` inside the lab's client namespace, with its own data directory.
fn check_in(lab: &Lab, args: &[&str]) -> std::process::Output {
    let data = lab.dir.path().join("data");
    Command::new("ip")
        .args(["netns", "exec", &lab.cli, env!("CARGO_BIN_EXE_yamori")])
        .arg("--data-dir")
        .arg(&data)
        .arg("check")
        .args(args)
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .output()
        .expect("run yamori check")
}

#[test]
fn check_names_the_weak_device_on_a_private_network_and_what_to_do() {
    if let Some(why) = netns::missing(&[TELNETD, INETD, "/usr/bin/openssl"]) {
        peers::missing("yamori check against a real telnetd", &why);
        return;
    }
    let mut lab = Lab::on_net("192.168.77").expect("lab");
    lab.accounts(&[("admin", "admin")]).expect("accounts");
    lab.telnetd().expect("telnetd listens");

    let html = lab.dir.path().join("report.html");
    let html_arg = html.to_string_lossy().to_string();
    // The report's language comes from the locale (LANG=ja_JP.UTF-8: Japanese).
    let data = lab.dir.path().join("data");
    let out = Command::new("ip")
        .args(["netns", "exec", &lab.cli, env!("CARGO_BIN_EXE_yamori")])
        .arg("--data-dir")
        .arg(&data)
        .args(["check", "--yes", "--ports", "23", "--html", &html_arg])
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "ja_JP.UTF-8")
        .output()
        .expect("run yamori check");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {stderr}");
    // The plan: this machine's network, nothing else.
    assert!(
        stderr.contains(&format!(
            "192.168.77.0/24 on eth0 (this machine: {})",
            lab.cli_addr
        )),
        "{stderr}"
    );
    // The weak device, its problem and the advice, in Japanese.
    assert!(
        stdout.contains(&format!("== {} ", lab.srv_addr)),
        "{stdout}"
    );
    assert!(
        stdout.contains("推測されやすいID・パスワード（admin / ad***）でログインできました"),
        "{stdout}"
    );
    assert!(
        stdout.contains("対処: 機器の設定画面でパスワードを"),
        "{stdout}"
    );
    assert!(stdout.contains("対処が必要な機器: 1 台"), "{stdout}");
    // The client's own address has no open telnet: only the daemon is listed.
    assert!(
        !stdout.contains(&format!("== {} ", lab.cli_addr)),
        "{stdout}"
    );
    let page = std::fs::read_to_string(&html).expect("HTML report written");
    assert!(page.contains("<html lang=\"ja\">"), "{page}");
    assert!(page.contains(&format!("<h2>{}", lab.srv_addr)), "{page}");
    assert!(page.contains("admin &#x2f; ad***"), "{page}");
}

#[test]
fn check_refuses_a_machine_with_only_a_public_address() {
    if let Some(why) = netns::missing(&[]) {
        peers::missing("yamori check refusing public addresses", &why);
        return;
    }
    // TEST-NET-2 stands for a public address: it is not in RFC 1918.
    let lab = Lab::new().expect("lab");
    let out = check_in(&lab, &["--yes", "--lang", "en"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "not checked {}/24 on eth0: a public address",
            lab.cli_addr
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("no address on a private network"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "no report: {:?}", out.stdout);
    // Without --yes and without a terminal, a private network is not checked either.
    let private = Lab::on_net("10.77.0").expect("lab");
    let out = check_in(&private, &["--lang", "en"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("run again with --yes"), "{stderr}");
}
