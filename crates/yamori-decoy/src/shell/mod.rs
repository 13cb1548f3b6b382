//! A BusyBox-like shell that answers what IoT loaders run, as a pure function of its state
//! and one input line: [`Shell::run_line`] returns the text to print and what to record.
//! Nothing is executed, fetched or evaluated: download commands are recorded and fail as
//! an unreachable host would; programs the session wrote fail as a binary for another
//! machine would; unknown commands get ash's `sh: X: not found`.

mod applets;
mod download;
pub mod fs;
pub mod parse;

pub use download::host_port;

use crate::profile::Profile;
use fs::Fs;
use parse::{Command, Connector, Redirect};

/// Something the session records from a line besides the line itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShellEvent {
    /// A download command: the URL it names (never fetched) and the file it would write.
    Download {
        url: String,
        destfile: Option<String>,
    },
    /// A command the shell does not know.
    NotFound { input: String },
}

/// What one line produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// Text for the terminal (`\n` line ends; the session encodes it for the wire).
    pub text: Vec<u8>,
    pub events: Vec<ShellEvent>,
    /// The line ended the session (`exit`, `logout`).
    pub exit: bool,
}

/// One command's result before redirections are applied.
#[derive(Debug, Default)]
struct Run {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    status: i32,
}

impl Run {
    fn ok(stdout: impl Into<Vec<u8>>) -> Self {
        Run {
            stdout: stdout.into(),
            ..Run::default()
        }
    }
    fn err(status: i32, stderr: impl Into<Vec<u8>>) -> Self {
        Run {
            stderr: stderr.into(),
            status,
            ..Run::default()
        }
    }
}

/// One logged-in session's shell.
#[derive(Debug, Clone)]
pub struct Shell {
    profile: &'static Profile,
    fs: Fs,
    cwd: String,
    status: i32,
}

impl Shell {
    pub fn new(profile: &'static Profile) -> Self {
        Shell {
            profile,
            fs: Fs::new(profile),
            cwd: "/".into(),
            status: 0,
        }
    }

    pub fn profile(&self) -> &'static Profile {
        self.profile
    }

    pub fn fs(&self) -> &Fs {
        &self.fs
    }

    pub fn cwd(&self) -> &str {
        &self.cwd
    }

    /// Run one input line.
    pub fn run_line(&mut self, line: &str) -> Output {
        let mut out = Output::default();
        let commands = match parse::parse_line(line) {
            Ok(c) => c,
            Err(e) => {
                out.text = format!("sh: {e}\n").into_bytes();
                self.status = 2;
                return out;
            }
        };
        let mut piped: Option<Vec<u8>> = None;
        for (i, (conn, cmd)) in commands.iter().enumerate() {
            let skip = match conn {
                Connector::And => self.status != 0,
                Connector::Or => self.status == 0,
                Connector::Seq | Connector::Pipe => false,
            };
            let stdin = if *conn == Connector::Pipe {
                piped.take()
            } else {
                None
            };
            if skip {
                continue;
            }
            let run = self.run_command(cmd, stdin, &mut out);
            let pipes_on = commands
                .get(i + 1)
                .is_some_and(|(c, _)| *c == Connector::Pipe);
            self.status = run.status;
            let stdout = self.redirect(cmd, run, &mut out.text);
            if pipes_on {
                piped = Some(stdout);
            } else {
                out.text.extend(stdout);
            }
            if out.exit {
                break;
            }
        }
        out
    }

    /// Apply `cmd`'s redirections: stderr goes to the terminal (`text`) or a file, stdout is
    /// returned unless it went to a file.
    fn redirect(&mut self, cmd: &Command, run: Run, text: &mut Vec<u8>) -> Vec<u8> {
        let Run {
            mut stdout,
            mut stderr,
            ..
        } = run;
        for Redirect { fd, append, target } in &cmd.redirects {
            let data = match (fd, target.as_str()) {
                (0, _) => continue,
                (2, "&1") => {
                    stdout.append(&mut stderr);
                    continue;
                }
                (1, "&2") => {
                    stderr.append(&mut stdout);
                    continue;
                }
                (2, _) => std::mem::take(&mut stderr),
                _ => std::mem::take(&mut stdout),
            };
            let path = fs::resolve(&self.cwd, target);
            if let Err(e) = self.fs.write(&path, &data, *append) {
                let msg = match e {
                    fs::WriteError::NoSpace => format!("sh: write error: {}\n", e.text()),
                    _ => format!("sh: can't create {target}: {}\n", e.text()),
                };
                text.extend_from_slice(msg.as_bytes());
                self.status = 1;
            }
        }
        text.extend(stderr);
        stdout
    }

    fn run_command(&mut self, cmd: &Command, stdin: Option<Vec<u8>>, out: &mut Output) -> Run {
        let Some(name) = cmd.words.first() else {
            // `> f` alone: the redirection creates or truncates the file.
            return Run::default();
        };
        let args = &cmd.words[1..];
        if name.contains('/') {
            return self.run_path(name, args, stdin, out);
        }
        self.applet(name, args, stdin, out)
            .unwrap_or_else(|| not_found(name, &cmd.words, out))
    }

    /// `./x`, `/bin/busybox`, `/tmp/dvrHelper`: fixed applets by their path; files the
    /// session wrote fail as a binary for another machine does; the rest are not there.
    fn run_path(
        &mut self,
        name: &str,
        args: &[String],
        stdin: Option<Vec<u8>>,
        out: &mut Output,
    ) -> Run {
        let path = fs::resolve(&self.cwd, name);
        if let Some(applet) = path.strip_prefix("/bin/").filter(|a| fs::BIN.contains(a)) {
            if let Some(run) = self.applet(applet, args, stdin, out) {
                return run;
            }
        }
        match self.fs.written(&path) {
            Some(f) if f.exec => Run::err(132, "Illegal instruction\n"),
            Some(_) => Run::err(126, format!("sh: {name}: Permission denied\n")),
            None if self.fs.is_dir(&path) => {
                Run::err(126, format!("sh: {name}: Permission denied\n"))
            }
            None => Run::err(127, format!("sh: {name}: not found\n")),
        }
    }
}

fn not_found(name: &str, words: &[String], out: &mut Output) -> Run {
    out.events.push(ShellEvent::NotFound {
        input: words.join(" "),
    });
    Run::err(127, format!("sh: {name}: not found\n"))
}

#[cfg(test)]
mod tests;
