//! The decoy's shell line parser and shell on any line: no panic, no more commands than the
//! limit, and the session's in-memory files stay within their caps.
#![no_main]
use libfuzzer_sys::fuzz_target;
use yamori_decoy::limits::{MAX_COMMANDS_PER_LINE, MAX_FILES, MAX_FILE_BYTES, MAX_FS_BYTES};
use yamori_decoy::profile::ROUTER;
use yamori_decoy::shell::{parse, Shell};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(cmds) = parse::parse_line(&text) {
        assert!(cmds.len() <= MAX_COMMANDS_PER_LINE);
    }
    let mut sh = Shell::new(&ROUTER);
    // Each input line twice: state (cwd, files) from the first run meets the second.
    for line in text.lines().chain(text.lines()) {
        let _ = sh.run_line(line);
    }
    let files: Vec<_> = sh.fs().written_files().collect();
    assert!(files.len() <= MAX_FILES);
    assert!(files.iter().all(|(_, f)| f.data.len() <= MAX_FILE_BYTES));
    assert!(files.iter().map(|(_, f)| f.data.len()).sum::<usize>() <= MAX_FS_BYTES);
});
