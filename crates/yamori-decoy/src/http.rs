//! The HTTP side: one request per connection, read within limits, answered with the
//! profile's login page (Basic authentication, every attempt recorded) or a plain 200, and
//! the requests of known IoT exploits recognised. The command an exploit carries is
//! recorded and run through the emulated shell — never a real one — so the download URLs in
//! it are recorded exactly as from a telnet session.

use base64::Engine as _;

use crate::events::Detail;
use crate::profile::Profile;
use crate::session::{End, Step};
use crate::shell::{Shell, ShellEvent};

/// Longest request head (request line and headers). Exploit requests and browsers send a
/// few hundred bytes; 16 KiB is what common servers accept (nginx's large header buffers).
pub const MAX_HTTP_HEAD: usize = 16 * 1024;

/// Longest request body read. The exploit bodies (form posts, SOAP envelopes) are under a
/// kilobyte; a longer body is answered 413 and not read.
pub const MAX_HTTP_BODY: usize = 64 * 1024;

/// Commands taken from one request, so a body of thousands of `$(…)` is not thousands of
/// records.
const MAX_HTTP_COMMANDS: usize = 8;

/// Known exploit requests: a name, how to recognise the request (path contains), and where
/// its command is.
struct Exploit {
    name: &'static str,
    path: &'static str,
    carrier: Carrier,
    /// The carried value is the command itself (`cmd=…`), not a value with a command
    /// injected into it (`dest_host=1.1.1.1;…`).
    whole: bool,
}

enum Carrier {
    /// A query or form parameter.
    Param(&'static str),
    /// The text of an XML element in the body.
    Element(&'static str),
    /// A header's value, after the given prefix.
    Header(&'static str),
}

const EXPLOITS: [Exploit; 7] = [
    // CVE-2018-10561/10562: Dasan GPON routers' diagnostic ping.
    Exploit {
        name: "gpon-diag-form",
        path: "/GponForm/diag_Form",
        carrier: Carrier::Param("dest_host"),
        whole: false,
    },
    // Netgear DGN1000/DGN2200 `setup.cgi` syscmd.
    Exploit {
        name: "netgear-setup-cgi",
        path: "/setup.cgi",
        carrier: Carrier::Param("cmd"),
        whole: true,
    },
    // CVE-2014-8361: Realtek SDK miniigd UPnP SOAP.
    Exploit {
        name: "realtek-sdk-upnp",
        path: "/picsdesc.xml",
        carrier: Carrier::Element("NewInternalClient"),
        whole: false,
    },
    // CVE-2017-17215: Huawei HG532 UPnP DeviceUpgrade.
    Exploit {
        name: "huawei-hg532-upnp",
        path: "/ctrlt/DeviceUpgrade",
        carrier: Carrier::Element("NewStatusURL"),
        whole: false,
    },
    // CVE-2021-36260: Hikvision web language command injection.
    Exploit {
        name: "hikvision-weblanguage",
        path: "/SDK/webLanguage",
        carrier: Carrier::Element("language"),
        whole: false,
    },
    // ThinkPHP 5 invokefunction RCE.
    Exploit {
        name: "thinkphp-invokefunction",
        path: "invokefunction",
        carrier: Carrier::Param("vars[1][]"),
        whole: true,
    },
    // CVE-2015-2051: D-Link HNAP SOAPAction injection.
    Exploit {
        name: "dlink-hnap-soapaction",
        path: "/HNAP1",
        carrier: Carrier::Header("soapaction"),
        whole: false,
    },
];

/// A parsed request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub method: String,
    pub target: String,
    /// Header names lower-cased, values trimmed, in order.
    pub headers: Vec<(String, String)>,
}

impl Head {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Parse a request head (without the blank line). `None` when it is not HTTP/1.x.
pub fn parse_head(head: &[u8]) -> Option<Head> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n").flat_map(|l| l.split('\n'));
    let mut first = lines.next()?.split(' ').filter(|p| !p.is_empty());
    let (method, target, version) = (first.next()?, first.next()?, first.next()?);
    if !version.starts_with("HTTP/1.") || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Some(Head {
        method: method.into(),
        target: target.into(),
        headers,
    })
}

/// `%XX` and `+` decoded (form and query encoding); bad escapes kept as they are.
pub fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
                {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The value of parameter `name` in a query string or form body.
fn param(text: &str, name: &str) -> Option<String> {
    text.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (url_decode(k) == name).then(|| url_decode(v))
    })
}

fn element(body: &str, name: &str) -> Option<String> {
    let start = body.find(&format!("<{name}>"))? + name.len() + 2;
    let end = body[start..].find(&format!("</{name}>"))? + start;
    Some(body[start..end].to_string())
}

/// The shell commands in an injected value: what sits inside `` `…` `` and `$(…)`, or the
/// value after its first `;` when it has neither (`1.1.1.1;wget …`).
pub fn injected_commands(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = value;
    while out.len() < MAX_HTTP_COMMANDS {
        let tick = rest.find('`');
        let dollar = rest.find("$(");
        let (open, close, skip) = match (tick, dollar) {
            (Some(t), Some(d)) if d < t => (d, ')', 2),
            (Some(t), _) => (t, '`', 1),
            (None, Some(d)) => (d, ')', 2),
            (None, None) => break,
        };
        let inner = &rest[open + skip..];
        let end = if close == ')' {
            inner.rfind(')')
        } else {
            inner.find('`')
        };
        let Some(end) = end else { break };
        out.push(inner[..end].trim().to_string());
        rest = &inner[end + 1..];
    }
    if out.is_empty() {
        if let Some((_, cmd)) = value.split_once(';') {
            out.push(cmd.trim().to_string());
        }
    }
    out.retain(|c| !c.is_empty());
    out
}

/// One HTTP connection's state machine.
#[derive(Debug, Clone)]
pub struct HttpSession {
    profile: &'static Profile,
    buf: Vec<u8>,
    done: bool,
}

impl HttpSession {
    pub fn new(profile: &'static Profile) -> (Self, Vec<u8>) {
        (
            HttpSession {
                profile,
                buf: Vec::new(),
                done: false,
            },
            Vec::new(),
        )
    }

    pub fn feed(&mut self, input: &[u8]) -> Step {
        let mut step = Step::default();
        if self.done {
            return step;
        }
        self.buf.extend_from_slice(input);
        let Some(head_end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            if self.buf.len() > MAX_HTTP_HEAD {
                self.answer(&mut step, "431 Request Header Fields Too Large", "");
                step.end = Some(End::LineTooLong);
            }
            return step;
        };
        let Some(head) = parse_head(&self.buf[..head_end]) else {
            self.answer(&mut step, "400 Bad Request", "");
            step.end = Some(End::Exit);
            return step;
        };
        let length: usize = head
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if length > MAX_HTTP_BODY {
            self.answer(&mut step, "413 Payload Too Large", "");
            step.end = Some(End::LineTooLong);
            return step;
        }
        let body_start = head_end + 4;
        if self.buf.len() < body_start + length {
            return step; // wait for the rest of the body
        }
        let body = String::from_utf8_lossy(&self.buf[body_start..body_start + length]).into_owned();
        self.request(&head, &body, &mut step);
        step.end = Some(End::Exit);
        step
    }

    fn answer(&mut self, step: &mut Step, status: &str, body: &str) {
        self.done = true;
        let realm = if status.starts_with("401") {
            format!(
                "WWW-Authenticate: Basic realm=\"{}\"\r\n",
                self.profile.hostname
            )
        } else {
            String::new()
        };
        step.send.extend(
            format!(
                "HTTP/1.1 {status}\r\nServer: {}\r\n{realm}Content-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                self.profile.http_server,
                body.len()
            )
            .into_bytes(),
        );
    }

    fn request(&mut self, head: &Head, body: &str, step: &mut Step) {
        let query = head.target.split_once('?').map_or("", |(_, q)| q);
        let exploit = EXPLOITS.iter().find(|e| head.target.contains(e.path));
        step.details.push(Detail::HttpRequest {
            method: head.method.clone(),
            uri: head.target.clone(),
            user_agent: head.header("user-agent").map(str::to_string),
            exploit: exploit.map(|e| e.name),
        });
        if let Some(e) = exploit {
            let value = match e.carrier {
                Carrier::Param(name) => param(query, name).or_else(|| param(body, name)),
                Carrier::Element(name) => element(body, name),
                Carrier::Header(name) => head.header(name).map(str::to_string),
            };
            let commands = match value {
                Some(v) if e.whole => vec![v],
                Some(v) => injected_commands(&v),
                None => Vec::new(),
            };
            let mut shell = Shell::new(self.profile);
            for c in commands {
                step.details.push(Detail::CommandInput { input: c.clone() });
                for ev in shell.run_line(&c).events {
                    if let ShellEvent::Download { url, destfile } = ev {
                        step.details.push(Detail::FileDownload {
                            url: Some(url),
                            destfile,
                            shasum: None,
                            size: None,
                        });
                    }
                }
            }
            self.answer(step, "200 OK", "");
            return;
        }
        if let Some(auth) = head
            .header("authorization")
            .and_then(|a| a.strip_prefix("Basic "))
        {
            let pair = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .ok()
                .map(|b| String::from_utf8_lossy(&b).into_owned());
            if let Some((username, password)) = pair.as_deref().and_then(|p| p.split_once(':')) {
                let (username, password) = (username.to_string(), password.to_string());
                if self.profile.accept.allows(&username, &password) {
                    step.details
                        .push(Detail::LoginSuccess { username, password });
                    let page = format!(
                        "<html><head><title>{}</title></head><body></body></html>",
                        self.profile.web_title
                    );
                    self.answer(step, "200 OK", &page);
                    return;
                }
                step.details
                    .push(Detail::LoginFailed { username, password });
            }
        }
        self.answer(
            step,
            "401 Unauthorized",
            "<html><body><h1>401 Unauthorized</h1></body></html>",
        );
    }
}

#[cfg(test)]
mod tests;
