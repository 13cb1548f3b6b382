//! The synchronous parts on arbitrary input (seeded random loops, beside the fuzz targets in
//! `fuzz/`): no panic, and their promises hold — the shell's files stay within the caps, a
//! session never sends after it ended, and telnet replies are whole three-byte commands.

use yamori_decoy::limits::{MAX_FILES, MAX_FILE_BYTES, MAX_FS_BYTES};
use yamori_decoy::profile::{self, PROFILES};
use yamori_decoy::session::TelnetSession;
use yamori_decoy::shell::Shell;
use yamori_decoy::telnet::{Negotiator, IAC};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Up to `max` bytes from `alphabet`.
    fn bytes(&mut self, max: u64, alphabet: &[u8]) -> Vec<u8> {
        let n = self.next() % max;
        (0..n)
            .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize])
            .collect()
    }
}

#[test]
fn negotiator_replies_are_whole_commands() {
    let mut rng = Rng(7);
    let all: Vec<u8> = (0..=255).collect();
    let skewed = [
        IAC, IAC, 251, 252, 253, 254, 250, 240, 1, 3, 24, 31, b'a', b'\n',
    ];
    for round in 0..2000 {
        let mut n = Negotiator::new();
        let alphabet = if round % 2 == 0 {
            &all[..]
        } else {
            &skewed[..]
        };
        let input = rng.bytes(600, alphabet);
        let (mut data, mut reply) = (Vec::new(), Vec::new());
        n.feed(&input, &mut data, &mut reply);
        assert!(data.len() <= input.len());
        assert_eq!(reply.len() % 3, 0, "{input:?}");
        for cmd in reply.chunks(3) {
            assert_eq!(cmd[0], IAC);
            assert!((251..=254).contains(&cmd[1]), "{cmd:?}");
        }
        // Never more than one answer per request received.
        assert!(reply.len() <= input.len());
    }
}

#[test]
fn shell_lines_of_any_shape_keep_the_caps() {
    let mut rng = Rng(11);
    let alphabet =
        b"echo -ne '\\x41\\0101' >> /tmp/a ; && || | > < 2>&1 \" cat wget http://x/ cd .. ./a $(`";
    for p in PROFILES {
        let mut sh = Shell::new(p);
        for _ in 0..3000 {
            let line = rng.bytes(200, alphabet);
            let _ = sh.run_line(&String::from_utf8_lossy(&line));
        }
        // A loader filling the disk: writes stop at the caps.
        let big = "\\x41".repeat(4000);
        for i in 0..(2 * MAX_FILES) {
            let _ = sh.run_line(&format!(
                "echo -ne '{big}' >> /tmp/f{}",
                i % (MAX_FILES + 3)
            ));
        }
        let files: Vec<_> = sh.fs().written_files().collect();
        assert!(files.len() <= MAX_FILES);
        assert!(files.iter().all(|(_, f)| f.data.len() <= MAX_FILE_BYTES));
        assert!(files.iter().map(|(_, f)| f.data.len()).sum::<usize>() <= MAX_FS_BYTES);
    }
}

#[test]
fn sessions_never_speak_after_they_end() {
    let mut rng = Rng(13);
    let all: Vec<u8> = (0..=255).collect();
    for _ in 0..500 {
        let (mut s, _) = TelnetSession::new(&profile::CAMERA, 256);
        let mut ended = false;
        for _ in 0..8 {
            let input = rng.bytes(400, &all);
            let step = s.feed(&input);
            if ended {
                assert!(step.send.is_empty() && step.details.is_empty());
            }
            ended |= step.end.is_some();
        }
        let _ = s.finish();
    }
}
