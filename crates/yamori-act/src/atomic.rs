//! Writing a file so that readers see the old file or the whole new one, never a part.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Writes `path` through a temporary file in the same directory, renamed over `path` only
/// after `fill` succeeded and the data reached the disk. On error the temporary file is
/// removed and `path` is untouched.
///
/// By hand rather than with `tempfile` (which the binary does not carry as a normal
/// dependency): one exclusive create, one fsync, one rename.
pub fn write_file<T>(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<T>,
) -> io::Result<T> {
    let tmp = temp_name(path);
    let file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
    let result = (|| {
        let mut w = BufWriter::with_capacity(1 << 20, file);
        let value = fill(&mut w)?;
        let file: File = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        Ok(value)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// `.<name>.tmp-<pid>` beside `path`: same file system (so the rename is atomic), hidden,
/// and unique per process.
fn temp_name(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".into());
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("list.txt");
        write_file(&path, |w| w.write_all(b"old\n")).expect("first");
        let err = write_file(&path, |w| {
            w.write_all(b"half")?;
            Err::<(), _>(io::Error::other("writer failed"))
        });
        assert!(err.is_err());
        assert_eq!(fs::read_to_string(&path).expect("read"), "old\n");
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("list.txt")]);
    }
}
