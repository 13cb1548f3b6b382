//! The whole survey against emulated devices on 127.0.0.1 (no privileges needed).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use yamori_lab::{self as lab, Emu, LabLog};
use yamori_survey::model::{CredentialSource, Protocol, Transport};

use crate::util::{config, service};

const LO: &str = "127.0.0.1";

async fn start(emu: &str, log: &Arc<LabLog>) -> u16 {
    let ip: IpAddr = LO.parse().expect("loopback literal");
    let emu = Emu::parse(emu).expect("valid emulator spec");
    lab::spawn(ip, emu, log.clone())
        .await
        .expect("bind emulator")
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finds_planted_devices_and_weak_credentials() {
    let log = Arc::new(LabLog::default());
    let telnet = start("telnet:0:root:xc3511", &log).await;
    let http_basic = start("http:0:Hikvision-Webs:admin:12345", &log).await;
    let http_digest = start("http:0:uc-httpd 1.0.0:admin:admin:digest", &log).await;
    let http_strong = start("http:0:Boa/0.94.14rc21:admin:S7r0ng-pass", &log).await;
    let mqtt_anon = start("mqtt:0:anon", &log).await;
    let mqtt_auth = start("mqtt:0:admin:password", &log).await;
    let ftp = start(
        "ftp:0:220 MikroTik FTP server (MikroTik 6.42.1) ready",
        &log,
    )
    .await;
    let ssh = start("ssh:0:SSH-2.0-dropbear_2019.78", &log).await;
    // UDP ports are bound first so the kernel picks free ones.
    let coap = start("coap:0", &log).await;
    let ssdp = start("ssdp:0:Linux/3.14.0 UPnP/1.0 IpBridge/1.26.0", &log).await;
    let list = format!(
        "{telnet}/telnet,{http_basic}/http,{http_digest}/http,{http_strong}/http,{mqtt_anon}/mqtt,{mqtt_auth}/mqtt,{ftp}/ftp,{ssh}/ssh,udp:{coap}/coap,udp:{ssdp}/ssdp"
    );
    let (result, stats) = yamori_survey::survey(config(LO, &list))
        .await
        .expect("survey runs");
    assert_eq!(result.schema, "yamori.survey.result/1");
    assert_eq!(result.targets, 1);
    assert_eq!(result.hosts.len(), 1);
    assert_eq!(result.hosts[0].services.len(), 10, "{:#?}", result.hosts);
    assert_eq!(stats.open, 10);
    let h = &result.hosts;

    let t = service(h, telnet);
    assert_eq!(t.protocol, Protocol::Telnet);
    assert_eq!(
        t.fields.get("login_prompt").map(String::as_str),
        Some("true")
    );
    assert_eq!(
        t.fields.get("telnet_negotiations").map(String::as_str),
        Some("3")
    );
    let w = t
        .weak_credential
        .as_ref()
        .expect("telnet weak credential found");
    assert_eq!(
        (w.username.as_str(), w.password_masked.as_str()),
        ("root", "xc****")
    );
    assert_eq!(w.source, CredentialSource::MiraiList);
    assert_eq!(
        t.device.as_ref().map(|d| d.rule_id.as_str()),
        Some("generic-dvr-busybox-telnet")
    );
    // root/xc3511 is the first pair, tried on the banner connection; the other login lanes
    // may have connected meanwhile (how many depends on how the scheduler runs the lanes on
    // a loaded machine; they are dropped at the success), and the control attempt (the same
    // user, a random password) connects once more. Every connection made is one line of
    // evidence; the counter also counts a connection a lane started and dropped at the success.
    let count = |k: &str| -> usize {
        t.fields
            .get(k)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{k} missing: {:?}", t.fields))
    };
    assert!(t.evidence.len() >= 2, "{:#?}", t.evidence);
    assert!(
        t.evidence.len() <= count("login_connections"),
        "{:#?}",
        t.evidence
    );
    assert!(count("login_lanes") <= yamori_survey::engine::DEFAULT_LOGIN_PARALLEL);
    assert!(
        count("login_attempts") >= 2,
        "the pair and the control: {:?}",
        t.fields
    );
    let last = &t.evidence[t.evidence.len() - 1].action;
    assert!(last.contains("login telnet user=root (control)"), "{last}");
    assert_eq!(t.fields["login_control"], "refused");

    let b = service(h, http_basic);
    assert_eq!(
        b.fields.get("server").map(String::as_str),
        Some("Hikvision-Webs")
    );
    assert_eq!(b.fields.get("realm").map(String::as_str), Some("IP Camera"));
    assert_eq!(
        b.fields.get("auth_scheme").map(String::as_str),
        Some("basic")
    );
    assert_eq!(
        b.device.as_ref().map(|d| d.vendor.as_str()),
        Some("Hikvision")
    );
    let w = b.weak_credential.as_ref().expect("basic weak credential");
    assert_eq!(
        (w.username.as_str(), w.password_masked.as_str()),
        ("admin", "12***")
    );

    let d = service(h, http_digest);
    assert_eq!(
        d.fields.get("auth_scheme").map(String::as_str),
        Some("digest")
    );
    let w = d.weak_credential.as_ref().expect("digest weak credential");
    assert_eq!(
        (w.username.as_str(), w.password_masked.as_str()),
        ("admin", "ad***")
    );
    assert_eq!(
        d.device.as_ref().and_then(|d| d.version.as_deref()),
        Some("1.0.0")
    );

    let s = service(h, http_strong);
    assert!(
        s.weak_credential.is_none(),
        "strong password must not be 'found'"
    );
    let attempts: usize = s
        .fields
        .get("login_attempts")
        .and_then(|v| v.parse().ok())
        .expect("attempt count");
    assert_eq!(
        attempts,
        yamori_survey::creds::parse_builtin(yamori_survey::creds::BUILTIN)
            .expect("list")
            .len()
    );
    assert_eq!(
        s.device.as_ref().and_then(|d| d.cpe.as_deref()),
        Some("cpe:2.3:a:boa:boa:0.94.14rc21:*:*:*:*:*:*:*")
    );

    let m = service(h, mqtt_anon);
    assert_eq!(
        m.fields.get("mqtt_anonymous").map(String::as_str),
        Some("true")
    );
    assert!(m.weak_credential.is_none());
    let m = service(h, mqtt_auth);
    assert_eq!(
        m.fields.get("mqtt_anonymous").map(String::as_str),
        Some("false")
    );
    let w = m.weak_credential.as_ref().expect("mqtt weak credential");
    assert_eq!(
        (w.username.as_str(), w.password_masked.as_str()),
        ("admin", "pa******")
    );

    assert_eq!(
        service(h, ftp)
            .device
            .as_ref()
            .and_then(|d| d.version.as_deref()),
        Some("6.42.1")
    );
    assert_eq!(
        service(h, ssh)
            .fields
            .get("ssh_version")
            .map(String::as_str),
        Some("SSH-2.0-dropbear_2019.78")
    );
    let c = service(h, coap);
    assert_eq!(c.transport, Transport::Udp);
    assert_eq!(c.fields.get("coap_code").map(String::as_str), Some("2.05"));
    assert_eq!(
        c.device.as_ref().map(|d| d.rule_id.as_str()),
        Some("coap-sensor")
    );
    let p = service(h, ssdp);
    assert_eq!(
        p.device.as_ref().map(|d| d.product.as_str()),
        Some("Hue bridge")
    );

    // Nothing was ever sent after a successful login.
    assert_eq!(LabLog::get(&log.bytes_after_login), 0);
    // Four weak credentials plus the anonymous MQTT CONNECT.
    assert_eq!(LabLog::get(&log.logins_ok), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_services_are_bounded_and_noted() {
    let log = Arc::new(LabLog::default());
    let endless_telnet = start("endless:0", &log).await;
    let endless_raw = start("endless:0", &log).await;
    let silent = start("silent:0", &log).await;
    let midclose = start("midclose:0", &log).await;
    let badtelnet = start("badtelnet:0", &log).await;
    let bigmqtt = start("bigmqtt:0", &log).await;
    let silent_http = start("silent:0", &log).await;
    let list = format!(
        "{endless_telnet}/telnet,{endless_raw}/unknown,{silent}/mqtt,{midclose}/telnet,{badtelnet}/telnet,{bigmqtt}/mqtt,{silent_http}/http"
    );
    let t0 = Instant::now();
    let (result, _) = yamori_survey::survey(config(LO, &list))
        .await
        .expect("survey runs");
    // Each probe is bounded by a few read timeouts (0.8 s each), not by the peer.
    assert!(t0.elapsed().as_secs() < 15, "took {:?}", t0.elapsed());
    let h = &result.hosts;
    let e = service(h, endless_telnet);
    assert!(e.banner.len() <= yamori_survey::model::MAX_BANNER_BYTES);
    assert_eq!(
        e.fields.get("login_prompt").map(String::as_str),
        Some("false")
    );
    assert!(service(h, endless_raw).banner.len() <= yamori_survey::model::MAX_BANNER_BYTES);
    let s = service(h, silent);
    assert!(
        s.fields.get("error").is_some_and(|e| e.contains("mqtt")),
        "{:?}",
        s.fields
    );
    let m = service(h, midclose);
    assert_eq!(
        m.fields.get("login_prompt").map(String::as_str),
        Some("false")
    );
    let b = service(h, badtelnet);
    assert_eq!(
        b.fields.get("telnet_malformed").map(String::as_str),
        Some("1")
    );
    assert_eq!(
        b.fields.get("login_prompt").map(String::as_str),
        Some("true")
    );
    assert!(b.weak_credential.is_none());
    let q = service(h, bigmqtt);
    let err = q.fields.get("error").expect("oversized MQTT noted");
    assert!(err.contains("over the 256-byte limit"), "{err}");
    let sh = service(h, silent_http);
    assert!(sh.fields.contains_key("error"), "{:?}", sh.fields);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_ports_and_out_of_scope_addresses() {
    // A port nobody listens on yields no service; the guard refuses what the scope lacks.
    let cfg = config(LO, "1/telnet");
    let (result, stats) = yamori_survey::survey(cfg).await.expect("survey runs");
    assert!(result.hosts.is_empty());
    assert_eq!(stats.open, 0);

    use yamori_survey::net::{Guard, ProbeError};
    use yamori_survey::rate::RateLimiter;
    use yamori_survey::scope::Scope;
    let scope = Arc::new(Scope::parse("s", "127.0.0.1", None).expect("valid"));
    let guard = Guard::new(
        scope,
        Arc::new(RateLimiter::new(10)),
        std::time::Duration::from_millis(200),
    );
    let mut ev = Vec::new();
    let out = guard
        .connect("127.0.0.2:80".parse().expect("literal"), "connect", &mut ev)
        .await;
    assert!(matches!(out, Err(ProbeError::OutOfScope(_))));
    let out = guard
        .udp_exchange(
            "198.51.100.1:5683".parse().expect("literal"),
            b"x",
            "coap",
            &mut ev,
        )
        .await;
    assert!(matches!(out, Err(ProbeError::OutOfScope(_))));
    assert!(ev.is_empty(), "nothing recorded for refused sends");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_budget_stops_login_checks_with_a_note() {
    let log = Arc::new(LabLog::default());
    let http = start("http:0:Boa/0.94.14rc21:admin:S7r0ng-pass", &log).await;
    let mut cfg = config(LO, &format!("{http}/http"));
    cfg.host_budget = std::time::Duration::from_millis(1);
    let (result, _) = yamori_survey::survey(cfg).await.expect("survey runs");
    let s = service(&result.hosts, http);
    assert_eq!(s.fields.get("status").map(String::as_str), Some("401"));
    assert_eq!(
        s.fields.get("login_stopped").map(String::as_str),
        Some("per-host time budget exhausted")
    );
    // Loopback attempts take ~0.1-0.3 ms each, so a few may fit in the 1 ms budget; the
    // point is that the checks stopped long before the list ran out.
    let attempts: usize = s
        .fields
        .get("login_attempts")
        .and_then(|v| v.parse().ok())
        .expect("attempt count");
    let full = yamori_survey::creds::parse_builtin(yamori_survey::creds::BUILTIN)
        .expect("list")
        .len();
    assert!(
        attempts < full / 2,
        "{attempts} of {full} attempts despite a 1 ms budget"
    );
}
