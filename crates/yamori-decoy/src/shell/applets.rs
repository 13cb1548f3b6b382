//! The commands the shell knows, answering as BusyBox does on the profile's device (the
//! download tools are in `download.rs`).

use super::download::download;
use super::fs::{self, Fs};
use super::{Output, Run, Shell, ShellEvent};

impl Shell {
    /// Run applet `name`, or `None` when BusyBox has no such applet.
    pub(super) fn applet(
        &mut self,
        name: &str,
        args: &[String],
        stdin: Option<Vec<u8>>,
        out: &mut Output,
    ) -> Option<Run> {
        let p = self.profile;
        Some(match name {
            // What loaders type to leave a device's CLI for its shell (Mirai: enable, system,
            // shell, sh); on a device already in ash they start nothing visible.
            "enable" | "system" | "shell" | "sh" | "ash" | "linuxshell" | "true" | ":" => {
                Run::default()
            }
            "false" => Run::err(1, ""),
            "exit" | "logout" => {
                out.exit = true;
                Run::default()
            }
            "busybox" => {
                // `busybox busybox … X`: unwrapped in a loop, not by recursion, so a line of
                // thousands of `busybox` words cannot run the stack out.
                let mut args = args;
                loop {
                    match args.split_first() {
                        None => {
                            break Run::ok(format!(
                                "{}\n\nUsage: busybox [function [arguments]...]\n",
                                p.busybox
                            ))
                        }
                        Some((a, rest)) if a == "busybox" => args = rest,
                        Some((a, rest)) if fs::BIN.contains(&a.as_str()) => {
                            return self.applet(a, rest, stdin, out);
                        }
                        Some((a, _)) => break Run::err(127, format!("{a}: applet not found\n")),
                    }
                }
            }
            "cat" => self.cat(args, stdin),
            "echo" => Run::ok(echo(args)),
            "cd" => {
                let target = args.first().map_or("/", String::as_str);
                let path = fs::resolve(&self.cwd, target);
                if self.fs.is_dir(&path) {
                    self.cwd = path;
                    Run::default()
                } else {
                    Run::err(2, format!("sh: cd: can't cd to {target}\n"))
                }
            }
            "pwd" => Run::ok(format!("{}\n", self.cwd)),
            "ls" => self.ls(args),
            "ps" => Run::ok(p.ps),
            "uname" => Run::ok(uname(self, args)),
            "id" => Run::ok("uid=0(root) gid=0(root)\n"),
            "whoami" => Run::ok("root\n"),
            "chmod" => self.each_file(name, args.get(1..).unwrap_or_default(), |fs, path| {
                fs.set_exec(path)
            }),
            "rm" => self.each_file(name, args, |fs, path| fs.remove(path) || fs.is_dir(path)),
            "cp" => self.cp(args),
            "mkdir" | "touch" | "kill" | "killall" | "pkill" | "sleep" | "ulimit" | "export" => {
                Run::default()
            }
            "wget" | "curl" | "tftp" | "ftpget" => {
                let (run, url, dest) = download(name, args);
                if let Some(url) = url {
                    out.events.push(ShellEvent::Download {
                        url,
                        destfile: dest,
                    });
                }
                run
            }
            _ => return None,
        })
    }

    fn cat(&self, args: &[String], stdin: Option<Vec<u8>>) -> Run {
        let files: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
        if files.is_empty() {
            return Run::ok(stdin.unwrap_or_default());
        }
        let mut run = Run::default();
        for f in files {
            let path = fs::resolve(&self.cwd, f);
            match self.fs.read(&path) {
                Some(data) => run.stdout.extend(data),
                None if self.fs.is_dir(&path) => {
                    run.stderr.extend(b"cat: read error: Is a directory\n");
                    run.status = 1;
                }
                None => {
                    run.stderr.extend(
                        format!("cat: can't open '{f}': No such file or directory\n").bytes(),
                    );
                    run.status = 1;
                }
            }
        }
        run
    }

    fn ls(&self, args: &[String]) -> Run {
        let dirs: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
        let targets: Vec<String> = if dirs.is_empty() {
            vec![self.cwd.clone()]
        } else {
            dirs.iter().map(|d| fs::resolve(&self.cwd, d)).collect()
        };
        let mut run = Run::default();
        for (t, shown) in targets.iter().zip(
            dirs.iter()
                .map(|d| d.as_str())
                .chain(std::iter::repeat(".")),
        ) {
            if self.fs.is_dir(t) {
                let names = self.fs.list(t);
                if !names.is_empty() {
                    run.stdout.extend(format!("{}\n", names.join("  ")).bytes());
                }
            } else if self.fs.exists(t) {
                run.stdout.extend(format!("{shown}\n").bytes());
            } else {
                run.stderr
                    .extend(format!("ls: {shown}: No such file or directory\n").bytes());
                run.status = 1;
            }
        }
        run
    }

    fn cp(&mut self, args: &[String]) -> Run {
        let files: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
        let [from, to] = files[..] else {
            return Run::err(
                1,
                "BusyBox v1.0 multi-call binary.\n\nUsage: cp [OPTIONS] SOURCE DEST\n",
            );
        };
        let src = fs::resolve(&self.cwd, from);
        let Some(data) = self.fs.read(&src) else {
            return Run::err(
                1,
                format!("cp: can't stat '{from}': No such file or directory\n"),
            );
        };
        let mut dst = fs::resolve(&self.cwd, to);
        if self.fs.is_dir(&dst) {
            let base = src.rsplit('/').next().unwrap_or_default();
            dst = fs::resolve(&dst, base);
        }
        match self.fs.write(&dst, &data, false) {
            Ok(()) => Run::default(),
            Err(e) => Run::err(1, format!("cp: can't create '{to}': {}\n", e.text())),
        }
    }

    /// `chmod`/`rm` over files: an error line for each that is not there.
    fn each_file(
        &mut self,
        name: &str,
        files: &[String],
        mut f: impl FnMut(&mut Fs, &str) -> bool,
    ) -> Run {
        let mut run = Run::default();
        for file in files.iter().filter(|a| !a.starts_with('-')) {
            let path = fs::resolve(&self.cwd, file);
            if !f(&mut self.fs, &path) {
                let msg = match name {
                    "rm" => format!("rm: can't remove '{file}': No such file or directory\n"),
                    _ => format!("{name}: {file}: No such file or directory\n"),
                };
                run.stderr.extend(msg.bytes());
                run.status = 1;
            }
        }
        run
    }
}

fn uname(sh: &Shell, args: &[String]) -> String {
    let p = sh.profile;
    let all = args.iter().any(|a| a.starts_with('-') && a.contains('a'));
    let flag = |c: char| all || args.iter().any(|a| a.starts_with('-') && a.contains(c));
    let mut parts = Vec::new();
    if flag('s') || args.is_empty() {
        parts.push("Linux");
    }
    if flag('n') {
        parts.push(p.hostname);
    }
    if flag('r') {
        parts.push(p.kernel);
    }
    if flag('v') {
        parts.push(p.kernel_build);
    }
    if flag('m') {
        parts.push(p.machine);
    }
    if all {
        parts.push("GNU/Linux");
    }
    format!("{}\n", parts.join(" "))
}

/// BusyBox `echo`: `-n` (no newline), `-e` (escapes: `\xHH`, `\0NNN`, `\n`, `\c` …), `-E`.
pub(super) fn echo(args: &[String]) -> Vec<u8> {
    let (mut newline, mut escapes) = (true, false);
    let mut rest = args;
    while let Some((a, tail)) = rest.split_first() {
        let flags = a
            .strip_prefix('-')
            .filter(|f| !f.is_empty() && f.chars().all(|c| "neE".contains(c)));
        let Some(flags) = flags else { break };
        for c in flags.chars() {
            match c {
                'n' => newline = false,
                'e' => escapes = true,
                _ => escapes = false,
            }
        }
        rest = tail;
    }
    let mut out = Vec::new();
    for (i, a) in rest.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        if !escapes {
            out.extend(a.bytes());
            continue;
        }
        if unescape(a.as_bytes(), &mut out) {
            return out; // `\c`: stop, no newline
        }
    }
    if newline {
        out.push(b'\n');
    }
    out
}

/// Append `s` with echo's escapes decoded; true when `\c` stopped the output.
fn unescape(s: &[u8], out: &mut Vec<u8>) -> bool {
    let mut i = 0;
    while i < s.len() {
        if s[i] != b'\\' || i + 1 == s.len() {
            out.push(s[i]);
            i += 1;
            continue;
        }
        let c = s[i + 1];
        i += 2;
        let simple = match c {
            b'\\' => Some(b'\\'),
            b'a' => Some(7),
            b'b' => Some(8),
            b'e' => Some(27),
            b'f' => Some(12),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(11),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            continue;
        }
        match c {
            b'c' => return true,
            b'x' => {
                let digits = s[i..]
                    .iter()
                    .take(2)
                    .take_while(|d| d.is_ascii_hexdigit())
                    .count();
                if digits == 0 {
                    out.extend_from_slice(b"\\x");
                    continue;
                }
                let hex = std::str::from_utf8(&s[i..i + digits]).unwrap_or("0");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(0));
                i += digits;
            }
            b'0'..=b'7' => {
                // `\0NNN` (up to three digits after the 0) or `\NNN`.
                let start = if c == b'0' { i } else { i - 1 };
                let digits = s[start..]
                    .iter()
                    .take(3)
                    .take_while(|d| (b'0'..=b'7').contains(d))
                    .count();
                let oct = std::str::from_utf8(&s[start..start + digits]).unwrap_or("0");
                out.push(
                    (u16::from_str_radix(if oct.is_empty() { "0" } else { oct }, 8).unwrap_or(0)
                        & 0xff) as u8,
                );
                i = start + digits;
            }
            other => out.extend_from_slice(&[b'\\', other]),
        }
    }
    false
}
