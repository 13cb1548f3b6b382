//! The session's file system: the device's fixed files (from its profile) and what the
//! session writes, in memory, capped by [`MAX_FILE_BYTES`], [`MAX_FS_BYTES`] and
//! [`MAX_FILES`]. Which directories take writes follows the profile's `/proc/mounts`, so
//! what a loader reads there and what it can write agree.

use std::collections::BTreeMap;

use crate::limits::{MAX_FILES, MAX_FILE_BYTES, MAX_FS_BYTES};
use crate::profile::Profile;

/// Directories every profile has.
const DIRS: [&str; 19] = [
    "/",
    "/bin",
    "/dev",
    "/dev/pts",
    "/etc",
    "/home",
    "/lib",
    "/mnt",
    "/mnt/mtd",
    "/proc",
    "/root",
    "/sbin",
    "/sys",
    "/tmp",
    "/usr",
    "/usr/bin",
    "/usr/sbin",
    "/var",
    "/var/run",
];

/// Applets in `/bin` (and what `ls /bin` shows).
pub const BIN: [&str; 16] = [
    "busybox", "cat", "chmod", "cp", "echo", "ftpget", "kill", "ls", "mkdir", "ps", "rm", "sh",
    "tftp", "uname", "wget", "ash",
];

/// A file the session wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct File {
    pub data: Vec<u8>,
    pub exec: bool,
    /// Bytes dropped because a cap was reached.
    pub cut: bool,
}

/// Why a write failed, in BusyBox's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteError {
    ReadOnly,
    NoSpace,
    NoDir,
}

impl WriteError {
    pub fn text(self) -> &'static str {
        match self {
            WriteError::ReadOnly => "Read-only file system",
            WriteError::NoSpace => "No space left on device",
            WriteError::NoDir => "No such file or directory",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Fs {
    profile: &'static Profile,
    files: BTreeMap<String, File>,
    total: usize,
    /// Mount points that take writes (last entry per mount point in the profile's mounts).
    writable: Vec<String>,
    mounts: Vec<String>,
}

impl Fs {
    pub fn new(profile: &'static Profile) -> Self {
        let mut last: BTreeMap<&str, bool> = BTreeMap::new();
        for line in profile.mounts.lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            if let [_, point, fstype, opts, ..] = f[..] {
                let rw = opts.split(',').any(|o| o == "rw")
                    && !matches!(fstype, "proc" | "sysfs" | "devpts");
                last.insert(point, rw);
            }
        }
        Fs {
            profile,
            files: BTreeMap::new(),
            total: 0,
            writable: last
                .iter()
                .filter(|(_, rw)| **rw)
                .map(|(p, _)| p.to_string())
                .collect(),
            mounts: last.keys().map(|p| p.to_string()).collect(),
        }
    }

    /// The mount point holding `path`.
    fn mount_of<'a>(mounts: &'a [String], path: &str) -> Option<&'a String> {
        mounts
            .iter()
            .filter(|m| {
                m.as_str() == "/" || path == m.as_str() || path.starts_with(&format!("{m}/"))
            })
            .max_by_key(|m| m.len())
    }

    fn parent(path: &str) -> &str {
        match path.rfind('/') {
            Some(0) | None => "/",
            Some(i) => &path[..i],
        }
    }

    pub fn is_dir(&self, path: &str) -> bool {
        DIRS.contains(&path)
    }

    /// The bytes of a file: a fixed file of the device or one the session wrote.
    pub fn read(&self, path: &str) -> Option<Vec<u8>> {
        if let Some(f) = self.files.get(path) {
            return Some(f.data.clone());
        }
        let p = self.profile;
        match path {
            "/proc/mounts" => Some(p.mounts.as_bytes().to_vec()),
            "/proc/cpuinfo" => Some(p.cpuinfo.as_bytes().to_vec()),
            "/dev/null" => Some(Vec::new()),
            "/etc/hostname" => Some(format!("{}\n", p.hostname).into_bytes()),
            "/etc/passwd" => Some(b"root:x:0:0:root:/root:/bin/sh\n".to_vec()),
            _ => {
                let name = path.strip_prefix("/bin/")?;
                BIN.contains(&name).then(|| p.elf_header())
            }
        }
    }

    pub fn exists(&self, path: &str) -> bool {
        self.is_dir(path) || self.read(path).is_some()
    }

    /// A file the session wrote, if any.
    pub fn written(&self, path: &str) -> Option<&File> {
        self.files.get(path)
    }

    /// Every file the session wrote, by path.
    pub fn written_files(&self) -> impl Iterator<Item = (&String, &File)> {
        self.files.iter()
    }

    /// Write (or with `append`, add to) a file. Bytes past the caps are dropped and the
    /// write reports no space, as a full tmpfs would.
    pub fn write(&mut self, path: &str, bytes: &[u8], append: bool) -> Result<(), WriteError> {
        if path == "/dev/null" {
            return Ok(());
        }
        if !self.is_dir(Self::parent(path)) {
            return Err(WriteError::NoDir);
        }
        let writable =
            Self::mount_of(&self.mounts, path).is_some_and(|m| self.writable.contains(m));
        if !writable || self.is_dir(path) {
            return Err(WriteError::ReadOnly);
        }
        if !self.files.contains_key(path) && self.files.len() >= MAX_FILES {
            return Err(WriteError::NoSpace);
        }
        let f = self.files.entry(path.to_string()).or_default();
        if !append {
            self.total -= f.data.len();
            f.data.clear();
        }
        let room = (MAX_FILE_BYTES - f.data.len()).min(MAX_FS_BYTES - self.total);
        let take = bytes.len().min(room);
        f.data.extend_from_slice(&bytes[..take]);
        self.total += take;
        if take < bytes.len() {
            f.cut = true;
            return Err(WriteError::NoSpace);
        }
        Ok(())
    }

    pub fn remove(&mut self, path: &str) -> bool {
        match self.files.remove(path) {
            Some(f) => {
                self.total -= f.data.len();
                true
            }
            None => false,
        }
    }

    pub fn set_exec(&mut self, path: &str) -> bool {
        match self.files.get_mut(path) {
            Some(f) => {
                f.exec = true;
                true
            }
            None => self.exists(path),
        }
    }

    /// Names in a directory: fixed entries and the session's files.
    pub fn list(&self, dir: &str) -> Vec<String> {
        let prefix = if dir == "/" {
            "/".to_string()
        } else {
            format!("{dir}/")
        };
        let mut names: Vec<String> = DIRS
            .iter()
            .filter_map(|d| d.strip_prefix(&prefix))
            .filter(|rest| !rest.is_empty() && !rest.contains('/'))
            .map(str::to_string)
            .collect();
        match dir {
            "/bin" => names.extend(BIN.iter().map(|s| s.to_string())),
            "/proc" => names.extend(["cpuinfo", "mounts"].map(String::from)),
            "/etc" => names.extend(["hostname", "passwd"].map(String::from)),
            "/dev" => names.push("null".into()),
            _ => {}
        }
        names.extend(
            self.files
                .keys()
                .filter_map(|p| p.strip_prefix(&prefix))
                .filter(|rest| !rest.contains('/'))
                .map(str::to_string),
        );
        names.sort();
        names.dedup();
        names
    }
}

/// `path` made absolute against `cwd`, with `.` and `..` resolved.
pub fn resolve(cwd: &str, path: &str) -> String {
    let joined = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{cwd}/{path}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::DVR;

    #[test]
    fn writes_follow_the_mounts_and_the_caps() {
        let mut fs = Fs::new(&DVR);
        assert_eq!(fs.write("/x", b"a", false), Err(WriteError::ReadOnly));
        assert_eq!(fs.write("/nope/x", b"a", false), Err(WriteError::NoDir));
        assert_eq!(fs.write("/tmp/a", b"ab", false), Ok(()));
        assert_eq!(fs.write("/tmp/a", b"cd", true), Ok(()));
        assert_eq!(fs.read("/tmp/a").as_deref(), Some(&b"abcd"[..]));
        let big = vec![0u8; MAX_FILE_BYTES + 1];
        assert_eq!(fs.write("/var/b", &big, false), Err(WriteError::NoSpace));
        assert_eq!(
            fs.written("/var/b").map(|f| (f.data.len(), f.cut)),
            Some((MAX_FILE_BYTES, true))
        );
        for i in 0..MAX_FILES {
            let _ = fs.write(&format!("/tmp/f{i}"), b"", false);
        }
        assert_eq!(
            fs.write("/tmp/one-too-many", b"", false),
            Err(WriteError::NoSpace)
        );
        assert!(fs.total <= MAX_FS_BYTES);
    }

    #[test]
    fn paths_resolve_and_list() {
        assert_eq!(resolve("/tmp", "../var/./run/x"), "/var/run/x");
        assert_eq!(resolve("/", "../../.."), "/");
        let mut fs = Fs::new(&DVR);
        fs.write("/tmp/.t", b"", false).expect("tmp is writable");
        assert_eq!(fs.list("/tmp"), [".t"]);
        assert!(fs.list("/").contains(&"tmp".to_string()));
        assert!(fs.list("/var").contains(&"run".to_string()));
    }
}
