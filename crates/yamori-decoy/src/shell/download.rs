//! The download tools (`wget`, `curl`, `tftp`, `ftpget`): their arguments parsed as
//! BusyBox's and curl's are, the URL they name and the file they would write. They never open
//! a connection; the answer is what an unreachable host gives.

use super::Run;

/// Host and port of a URL (default port by scheme).
pub fn host_port(url: &str) -> Option<(String, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let hostport = authority.rsplit('@').next()?;
    let default = match scheme.to_ascii_lowercase().as_str() {
        "https" => 443,
        "ftp" => 21,
        "tftp" => 69,
        _ => 80,
    };
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (h, tail) = v6.split_once(']')?;
        (
            h.to_string(),
            tail.strip_prefix(':').and_then(|p| p.parse().ok()),
        )
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p.parse().ok()),
            None => (hostport.to_string(), None),
        }
    };
    (!host.is_empty()).then(|| (host, port.unwrap_or(default)))
}

/// A download command's answer, the URL it names and the file it would write.
pub(super) fn download(tool: &str, args: &[String]) -> (Run, Option<String>, Option<String>) {
    // An option's value: the next word, or glued to a short option (`-O-`, `-ofile`).
    let opt = |names: &[&str]| -> Option<String> {
        args.iter().enumerate().find_map(|(i, a)| {
            names.iter().find_map(|n| {
                if a == n {
                    args.get(i + 1).cloned()
                } else if n.len() == 2 && a.len() > 2 && a.starts_with(n) {
                    Some(a[2..].to_string())
                } else {
                    None
                }
            })
        })
    };
    // Options taking a value, per tool, so their values are not read as the URL or host.
    let valued: &[&str] = match tool {
        "wget" => &["-O", "-P", "-T", "-U", "-Y", "--header", "-o"],
        "curl" => &["-o", "-u", "-A", "-H", "-d", "-X", "-e", "-m", "--output"],
        "tftp" => &["-l", "-r", "-b"],
        _ => &["-u", "-p", "-P"],
    };
    let mut plain = Vec::new();
    let mut skip = false;
    for a in args {
        if skip {
            skip = false;
        } else if valued.contains(&a.as_str()) {
            skip = true;
        } else if !a.starts_with('-') || a == "-" {
            plain.push(a.as_str());
        }
    }
    let unreachable = |host: &str, port: u16| match tool {
        "curl" => Run::err(
            7,
            format!("curl: (7) Failed to connect to {host} port {port}: Connection refused\n"),
        ),
        "tftp" => Run::err(1, "tftp: timeout\n"),
        _ => Run::err(
            1,
            format!("{tool}: can't connect to remote host ({host}): Connection refused\n"),
        ),
    };
    let with_scheme = |u: &str| {
        if u.contains("://") {
            u.to_string()
        } else {
            format!("http://{u}")
        }
    };
    let (url, dest) = match tool {
        "wget" | "curl" => {
            let Some(u) = plain.first() else {
                return (
                    Run::err(1, format!("{tool}: no URL specified\n")),
                    None,
                    None,
                );
            };
            let url = with_scheme(u);
            let base = url
                .rsplit('/')
                .next()
                .filter(|b| !b.is_empty() && !url.ends_with("//"))
                .map(str::to_string);
            let dest = opt(&["-O", "-o", "--output"]).or(if tool == "wget" { base } else { None });
            (url, dest)
        }
        "tftp" => {
            let Some(host) = plain.first() else {
                return (
                    Run::err(
                        1,
                        "BusyBox v1.0 multi-call binary.\n\nUsage: tftp [OPTIONS] HOST [PORT]\n",
                    ),
                    None,
                    None,
                );
            };
            let remote = opt(&["-r"]).unwrap_or_default();
            let port = plain.get(1).map(|p| format!(":{p}")).unwrap_or_default();
            (
                format!("tftp://{host}{port}/{remote}"),
                opt(&["-l"]).or(Some(remote)),
            )
        }
        _ => {
            // ftpget [-u USER] [-p PASS] [-P PORT] HOST LOCAL_FILE REMOTE_FILE
            let [host, local, remote, ..] = plain[..] else {
                return (Run::err(1, "BusyBox v1.0 multi-call binary.\n\nUsage: ftpget [OPTIONS] HOST [LOCAL_FILE] REMOTE_FILE\n"), None, None);
            };
            let user = match (opt(&["-u"]), opt(&["-p"])) {
                (Some(u), Some(p)) => format!("{u}:{p}@"),
                (Some(u), None) => format!("{u}@"),
                _ => String::new(),
            };
            let port = opt(&["-P"]).map(|p| format!(":{p}")).unwrap_or_default();
            let remote = remote.trim_start_matches('/');
            (
                format!("ftp://{user}{host}{port}/{remote}"),
                Some(local.to_string()),
            )
        }
    };
    let (host, port) = host_port(&url).unwrap_or_else(|| (url.clone(), 80));
    let mut run = unreachable(&host, port);
    if tool == "wget" {
        run.stderr.splice(
            0..0,
            format!("Connecting to {host} ({host}:{port})\n").into_bytes(),
        );
    }
    (run, Some(url), dest)
}
