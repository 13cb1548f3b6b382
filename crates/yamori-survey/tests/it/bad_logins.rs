//! Telnet daemons that misbehave, as small servers on 127.0.0.1: each survey ends in bounded
//! time with a note, no false weak credential and no panic.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use yamori_survey::model::Service;

use crate::util::{config, service};

/// How a fake daemon behaves on each connection.
#[derive(Clone, Copy)]
enum Daemon {
    /// Prompts, then answers every password with a shell-like `$ `.
    ShellForAnyPassword,
    /// Prompts, then answers every password with a new `login:` prompt.
    AlwaysPromptsAgain,
    /// Says hello and nothing more.
    NeverPrompts,
    /// Sends output without end.
    Floods,
    /// Prompts, then closes right after the password without a word.
    DropsAfterPassword,
    /// Refuses every password, 1.5 s after it (a failure delay).
    RefusesSlowly,
}

/// Reads one line (the user name or password) or gives up quietly.
async fn read_line(s: &mut TcpStream) -> bool {
    let mut byte = [0u8; 1];
    loop {
        match s.read(&mut byte).await {
            Ok(1) if byte[0] == b'\n' => return true,
            Ok(1) => {}
            _ => return false,
        }
    }
}

async fn serve(mut s: TcpStream, d: Daemon) {
    match d {
        Daemon::NeverPrompts => {
            let _ = s.write_all(b"Welcome to the box\r\n").await;
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        Daemon::Floods => {
            let chunk = vec![b'A'; 8192];
            while s.write_all(&chunk).await.is_ok() {}
        }
        _ => {
            let _ = s.write_all(b"\r\ndevice login: ").await;
            loop {
                if !read_line(&mut s).await || s.write_all(b"Password: ").await.is_err() {
                    return;
                }
                if !read_line(&mut s).await {
                    return;
                }
                let reply: &[u8] = match d {
                    Daemon::ShellForAnyPassword => b"\r\n$ ",
                    Daemon::AlwaysPromptsAgain => b"\r\ndevice login: ",
                    Daemon::RefusesSlowly => {
                        tokio::time::sleep(Duration::from_millis(1500)).await;
                        b"\r\nLogin incorrect\r\ndevice login: "
                    }
                    _ => return, // DropsAfterPassword
                };
                if s.write_all(reply).await.is_err() {
                    return;
                }
            }
        }
    }
}

async fn start(d: Daemon) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = l.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            tokio::spawn(serve(s, d));
        }
    });
    port
}

async fn survey(d: Daemon) -> (Service, Duration) {
    let port = start(d).await;
    let mut cfg = config("127.0.0.1", &format!("{port}/telnet"));
    cfg.prompt_wait = Duration::from_secs(2);
    cfg.reply_wait = Duration::from_secs(2);
    let t0 = Instant::now();
    let (result, _) = yamori_survey::survey(cfg).await.expect("survey");
    (service(&result.hosts, port).clone(), t0.elapsed())
}

fn note(svc: &Service) -> String {
    let f = &svc.fields;
    f.get("login_stopped")
        .or_else(|| f.get("login_note"))
        .cloned()
        .unwrap_or_else(|| panic!("no note: {f:#?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shell_prompt_for_any_password_is_not_a_weak_credential() {
    let (svc, took) = survey(Daemon::ShellForAnyPassword).await;
    assert!(svc.weak_credential.is_none(), "{:#?}", svc.fields);
    assert!(note(&svc).contains("random password"), "{:#?}", svc.fields);
    assert!(
        !svc.fields.contains_key("login_control"),
        "{:#?}",
        svc.fields
    );
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prompt_after_every_password_is_a_refusal() {
    let (svc, took) = survey(Daemon::AlwaysPromptsAgain).await;
    assert!(svc.weak_credential.is_none(), "{:#?}", svc.fields);
    let tried: usize = svc.fields["login_attempts"].parse().expect("count");
    assert!(
        (60..yamori_survey::creds::MAX_ATTEMPTS_PER_SERVICE).contains(&tried),
        "{:#?}",
        svc.fields
    );
    // Each lane's connection carries all its pairs (a lane that opens its connection after
    // the fast ones used up the list opens none).
    let connections: usize = svc.fields["login_connections"].parse().expect("count");
    assert!(
        (1..=yamori_survey::engine::DEFAULT_LOGIN_PARALLEL).contains(&connections),
        "{:#?}",
        svc.fields
    );
    assert!(took < Duration::from_secs(20), "{took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_that_never_prompts_is_noted() {
    let (svc, took) = survey(Daemon::NeverPrompts).await;
    assert_eq!(svc.fields["login_prompt"], "false");
    assert!(note(&svc).contains("no login prompt"), "{:#?}", svc.fields);
    assert!(svc.weak_credential.is_none());
    assert!(took < Duration::from_secs(6), "{took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_is_cut_and_noted() {
    let (svc, took) = survey(Daemon::Floods).await;
    assert_eq!(svc.fields["login_prompt"], "false");
    assert!(note(&svc).contains("too much output"), "{:#?}", svc.fields);
    assert!(svc.banner.len() <= yamori_survey::model::MAX_BANNER_BYTES);
    assert!(took < Duration::from_secs(6), "{took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_that_drops_after_each_password_is_given_up() {
    let (svc, took) = survey(Daemon::DropsAfterPassword).await;
    assert!(svc.weak_credential.is_none(), "{:#?}", svc.fields);
    assert!(
        note(&svc).contains("closed the connection"),
        "{:#?}",
        svc.fields
    );
    // Three drops in a row stop every lane; attempts already under way finish.
    let tried: usize = svc.fields["login_attempts"].parse().expect("count");
    assert!(
        (3..3 + yamori_survey::engine::DEFAULT_LOGIN_PARALLEL).contains(&tried),
        "{:#?}",
        svc.fields
    );
    assert!(took < Duration::from_secs(10), "{took:?}");
}

/// A device slower than the reply wait stops the first run; a second run that adapts from
/// the first one's result waits longer for that service and hears its refusals.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_adapts_its_waits_from_the_first() {
    let port = start(Daemon::RefusesSlowly).await;
    let mut cfg = config("127.0.0.1", &format!("{port}/telnet"));
    cfg.prompt_wait = Duration::from_secs(2);
    cfg.reply_wait = Duration::from_secs(1);
    cfg.credentials.truncate(4);
    let (first, _) = yamori_survey::survey(cfg.clone()).await.expect("survey");
    let svc = service(&first.hosts, port);
    assert!(
        note(svc).contains("no recognisable reply to the password within 1.0 s"),
        "{:#?}",
        svc.fields
    );
    cfg.learned = yamori_survey::adapt::Learned::from_result(&first);
    let (second, _) = yamori_survey::survey(cfg).await.expect("survey");
    let svc = service(&second.hosts, port);
    assert_eq!(
        svc.fields["login_waits_adapted"], "prompt 2.0 s, reply 2.0 s (from an earlier run)",
        "{:#?}",
        svc.fields
    );
    assert!(
        !svc.fields.contains_key("login_stopped"),
        "{:#?}",
        svc.fields
    );
    assert_eq!(svc.fields["login_attempts"], "4", "{:#?}", svc.fields);
    let refusal: f64 = svc.fields["login_refusal_seconds"]
        .parse()
        .expect("seconds");
    assert!(refusal >= 1.5, "{:#?}", svc.fields);
    assert!(svc.weak_credential.is_none());
}
