//! House rules over the project's own text, checked on every test run.
//!
//! Docs and comments say what the code does and why, not who measured what in which numbered
//! work period (the word "session", "stop-" or "work period" followed by a number), and they
//! name no absolute path of one machine (under `/work`, `/root` or `/home/<user>`): a newcomer's
//! clone has neither the history nor the paths. Lock files are exempt from the path rule.
//!
//! Also here: architecture invariants of ARCHITECTURE.md that the source text can show.
use std::path::{Path, PathBuf};
use std::process::Command;

/// What the rules read: the docs, every crate, and the two top-level documents.
const SCOPE: [&str; 4] = ["docs", "crates", "README.md", "ARCHITECTURE.md"];
/// Directories never walked when git is not there to say what is tracked.
const SKIP_DIRS: [&str; 5] = ["target", "node_modules", ".venv", ".git", "yamori-data"];

fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.join("../..");
    root.canonicalize().unwrap_or(root)
}

/// The files under `scope`, relative to `root`: what git tracks, or, without git, every file
/// of the tree outside build output and installed dependencies.
fn files_in_scope(root: &Path, scope: &[&str]) -> Vec<PathBuf> {
    let listed = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["ls-files", "-z", "--"])
        .args(scope)
        .output();
    match listed {
        Ok(out) if out.status.success() && !out.stdout.is_empty() => out
            .stdout
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| PathBuf::from(String::from_utf8_lossy(p).into_owned()))
            // Tracked but deleted in the work tree: nothing to read.
            .filter(|p| root.join(p).is_file())
            .collect(),
        _ => {
            let mut files = Vec::new();
            for s in scope {
                walk(root, Path::new(s), &mut files);
            }
            files
        }
    }
}

fn walk(root: &Path, rel: &Path, out: &mut Vec<PathBuf>) {
    let full = root.join(rel);
    if full.is_file() {
        out.push(rel.to_path_buf());
        return;
    }
    let Ok(entries) = std::fs::read_dir(&full) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        if SKIP_DIRS.iter().any(|d| name == *d) {
            continue;
        }
        walk(root, &rel.join(name), out);
    }
}

/// The file as text, or `None` for binary files (images, fixtures that are not UTF-8).
fn read_text(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    if bytes.contains(&0) {
        return None;
    }
    String::from_utf8(bytes).ok()
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Spaces that may sit between a word and its number (incl. no-break spaces).
fn is_gap(c: char) -> bool {
    matches!(c, ' ' | '\t' | '#' | '\u{a0}' | '\u{202f}')
}

/// A numbered work period in `line`, if any: "session" or "work period" (optionally plural)
/// followed by a number, or "stop-" followed by a number. Case-insensitive.
fn work_period(line: &str) -> Option<String> {
    let lower = line.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    // (word, whether a hyphen joins it to its number rather than a space)
    for (word, hyphen) in [("session", false), ("work period", false), ("stop", true)] {
        let mut from = 0;
        while let Some(at) = lower[from..].find(word).map(|i| i + from) {
            from = at + word.len();
            if at > 0 && is_word_byte(bytes[at - 1]) {
                continue;
            }
            let mut rest = &lower[at + word.len()..];
            if !hyphen {
                rest = rest.strip_prefix('s').unwrap_or(rest);
                let after = rest.trim_start_matches(is_gap);
                if after.len() == rest.len() {
                    continue;
                }
                rest = after;
            } else {
                let Some(after) = rest.strip_prefix('-') else {
                    continue;
                };
                rest = after;
            }
            if rest.starts_with(|c: char| c.is_ascii_digit()) {
                let end = line.len() - rest.len()
                    + rest
                        .find(|c: char| !c.is_ascii_digit())
                        .unwrap_or(rest.len());
                return Some(line[at..end].to_string());
            }
        }
    }
    None
}

/// An absolute path of one machine in `line`, if any: under `/work`, `/root` or
/// `/home/<user>`, not as the tail of a URL or of a relative path.
fn machine_path(line: &str) -> Option<String> {
    let bytes = line.as_bytes();
    // Spelled in pieces so that this file does not match its own rule.
    for prefix in [
        concat!("/wo", "rk/"),
        concat!("/ro", "ot/"),
        concat!("/ho", "me/"),
    ] {
        let mut from = 0;
        while let Some(at) = line[from..].find(prefix).map(|i| i + from) {
            from = at + prefix.len();
            if at > 0 {
                let b = bytes[at - 1];
                if is_word_byte(b) || matches!(b, b'.' | b'-' | b'/' | b'~') {
                    continue;
                }
            }
            let rest = &line[at + prefix.len()..];
            if prefix.starts_with("/ho") {
                let name_len = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
                    .unwrap_or(rest.len());
                if name_len == 0 || !rest[name_len..].starts_with('/') {
                    continue;
                }
            }
            let end = rest
                .find(|c: char| c.is_whitespace() || matches!(c, '`' | '"' | '\'' | ')' | ','))
                .map_or(line.len(), |i| at + prefix.len() + i);
            return Some(line[at..end].trim_end_matches(['.', ';', ':']).to_string());
        }
    }
    None
}

/// Every breach of the rules in one file, as `path:line: what: text`.
fn breaches(root: &Path, rel: &Path) -> Vec<String> {
    let Some(text) = read_text(&root.join(rel)) else {
        return Vec::new();
    };
    let lock = rel.extension().is_some_and(|e| e == "lock");
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if let Some(hit) = work_period(line) {
            out.push(format!(
                "{}:{}: numbered work period {hit:?}: say why, not when or by whom",
                rel.display(),
                n + 1
            ));
        }
        if !lock {
            if let Some(hit) = machine_path(line) {
                out.push(format!(
                    "{}:{}: absolute path of one machine {hit:?}: use a path relative to the workspace",
                    rel.display(),
                    n + 1
                ));
            }
        }
    }
    out
}

#[test]
fn docs_and_comments_name_no_work_periods_or_machine_paths() {
    let root = workspace_root();
    let files = files_in_scope(&root, &SCOPE);
    assert!(
        files.iter().any(|f| f.ends_with("ARCHITECTURE.md")),
        "found no files to check under {} ({} files)",
        root.display(),
        files.len()
    );
    let found: Vec<String> = files.iter().flat_map(|f| breaches(&root, f)).collect();
    assert!(
        found.is_empty(),
        "{} breach(es) of the house rules:\n{}",
        found.len(),
        found.join("\n")
    );
}

/// The rules catch what they are for, and leave ordinary words alone.
#[test]
fn rules_catch_work_periods_and_machine_paths() {
    let dir = tempfile::tempdir().expect("tempdir");
    let session = "Session";
    let bad = [
        format!("// measured in {session} 12 on the AMD host"),
        format!("see {} 6–12", "sessions"),
        format!("the {}-3 figure", "stop"),
        format!("done in {} 4", "work period"),
        format!(
            "interpreter at {}",
            concat!("/wo", "rk/main/.venv/bin/python")
        ),
        format!("cache in {}", concat!("/ro", "ot/.cargo/registry")),
        format!("notes: {}", concat!("/ho", "me/alice/notes.md")),
    ];
    let good = [
        "a login writes a session; sessions 'expire' after the TTL",
        "the session cookie, session.<hash>, session_ttl = 12 h",
        "a stop-gap; stop 3 threads",
        // Spelled in pieces, like the rules themselves, so the tree's own grep for machine
        // paths does not stop at this line.
        concat!(
            "https://example.org/",
            "work/x and crates/a/",
            "work/b and ~/",
            "work/c"
        ),
        "the /home directory and /home/ alone",
    ];
    let file = dir.path().join("sample.md");
    let text = bad
        .iter()
        .map(String::as_str)
        .chain(good)
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&file, text).expect("write sample");
    let found = breaches(dir.path(), Path::new("sample.md"));
    let lines: Vec<String> = found
        .iter()
        .map(|f| f.split(':').nth(1).unwrap_or("").to_string())
        .collect();
    let expected: Vec<String> = (1..=bad.len()).map(|n| n.to_string()).collect();
    assert_eq!(lines, expected, "findings: {found:#?}");
    assert!(
        found[0].starts_with("sample.md:1: numbered work period"),
        "{found:#?}"
    );

    // A lock file may hold absolute paths, not work periods.
    let lock = dir.path().join("x.lock");
    std::fs::write(&lock, format!("{}\n{session} 3\n", concat!("/ro", "ot/x")))
        .expect("write lock");
    let found = breaches(dir.path(), Path::new("x.lock"));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].starts_with("x.lock:2:"), "{found:#?}");
}

/// Lines of the Rust files under `src` (relative to the workspace root), outside the folders
/// in `allowed`, whose code (comments left out) calls one of `calls`.
fn calls_outside(src: &str, allowed: &[&str], calls: &[&str]) -> Vec<String> {
    let root = workspace_root();
    let mut found = Vec::new();
    for rel in files_in_scope(&root, &[src]) {
        let shown = rel.to_string_lossy().replace('\\', "/");
        if !shown.ends_with(".rs") || allowed.iter().any(|a| shown.starts_with(a)) {
            continue;
        }
        let Some(text) = read_text(&root.join(&rel)) else {
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if let Some(call) = calls.iter().find(|o| code.contains(*o)) {
                found.push(format!("{shown}:{}: {call}", n + 1));
            }
        }
    }
    found
}

/// ARCHITECTURE.md: in `yamori-survey` every socket is opened by the guarded scanner (`net/`:
/// `net::Guard` and the SYN sweep); the lab's emulators are a crate of their own.
#[test]
fn survey_sockets_only_in_net_guard() {
    let found = calls_outside(
        "crates/yamori-survey/src",
        &["crates/yamori-survey/src/net/"],
        &[
            "TcpStream::connect",
            "TcpListener::bind",
            "UdpSocket::bind",
            "TcpSocket::new",
            "Socket::new",
        ],
    );
    assert!(
        found.is_empty(),
        "sockets opened outside net::Guard:\n{}",
        found.join("\n")
    );
}

/// ARCHITECTURE.md: the lab's emulators (`yamori-lab`) listen on the addresses they are given
/// and only answer; they never open a connection or a socket of another kind.
#[test]
fn lab_emulators_only_listen() {
    let found = calls_outside(
        "crates/yamori-lab/src",
        &[],
        &[
            "TcpStream::connect",
            "TcpSocket::new",
            "Socket::new",
            ".connect(",
        ],
    );
    assert!(
        found.is_empty(),
        "the lab opens more than listeners:\n{}",
        found.join("\n")
    );
}

/// ARCHITECTURE.md: the workspace forbids `unsafe`, but for the one module that talks to the
/// kernel for the live sensor (`yamori-sensor/src/sys.rs`: the packet socket, its mapped ring,
/// capset); packet sockets are opened there and in the scanner's guarded `net/` only.
#[test]
fn unsafe_and_packet_sockets_only_in_the_sensors_sys_module() {
    // Spelled in pieces so that this file does not match its own rule.
    let found = calls_outside(
        "crates",
        &["crates/yamori-sensor/src/sys.rs"],
        &[
            concat!("unsafe", " {"),
            concat!("unsafe", " fn"),
            concat!("unsafe", " impl"),
            concat!("allow(unsafe", "_code)"),
        ],
    );
    assert!(
        found.is_empty(),
        "`unsafe` outside yamori-sensor's sys.rs:\n{}",
        found.join("\n")
    );
    let found = calls_outside(
        "crates",
        &[
            "crates/yamori-sensor/src/sys.rs",
            "crates/yamori-survey/src/net/",
        ],
        &[
            concat!("libc::AF_", "PACKET"),
            concat!("Domain::", "PACKET"),
        ],
    );
    assert!(
        found.is_empty(),
        "packet sockets outside the sensor's sys.rs and the scanner's net/:\n{}",
        found.join("\n")
    );
}

/// ARCHITECTURE.md: the hub depends on `yamori-intel`, never the other way round.
#[test]
fn intel_does_not_depend_on_hub() {
    let manifest = workspace_root().join("crates/yamori-intel/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).expect("read yamori-intel's Cargo.toml");
    let deps: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter(|l| l.contains("yamori-hub"))
        .collect();
    assert!(
        deps.is_empty(),
        "yamori-intel depends on yamori-hub: {deps:?}"
    );
}

/// ARCHITECTURE.md: the decoy (`yamori-decoy`) opens only the listening sockets it is given;
/// it never connects anywhere nor opens a socket of another kind (a download command is
/// recorded, never fetched), and runs no program.
#[test]
fn decoy_only_listens_and_runs_nothing() {
    let found = calls_outside(
        "crates/yamori-decoy/src",
        // Compiled for the unit tests only: it connects to a listener it opened itself on
        // loopback, to measure a session's task.
        &["crates/yamori-decoy/src/server/tests.rs"],
        &[
            "TcpStream::connect",
            "TcpSocket::new",
            "Socket::new",
            "UdpSocket",
            ".connect(",
            "process::Command",
            "Command::new",
        ],
    );
    assert!(
        found.is_empty(),
        "the decoy opens more than listeners or runs a program:\n{}",
        found.join("\n")
    );
}
