//! Every size and duration an attacker controls, each with the reason for its value. The
//! defaults are the constants; [`Limits`] lets the binary and the tests choose others.

use std::time::Duration;

/// Sessions held at once. Each idle session costs a task, a socket and a few kilobytes of
/// buffers; 4096 stays well under the usual 1024-per-process descriptor limit raised by
/// service managers (65536) while holding every bot of a scanning wave at once.
pub const MAX_SESSIONS: usize = 4096;

/// Sessions at once from one source address. A Mirai-style bot opens one connection per
/// target; a handful more are loaders and retries. More than this from one address is a
/// flood meant to exhaust the decoy, and is refused so the other sources keep their slots.
pub const MAX_SESSIONS_PER_SOURCE: usize = 16;

/// Bytes one session may send. A loader's `echo -ne` dropper of a 60 KB bot is about four
/// times that on the wire (`\xHH` per byte); 1 MiB holds that with room, and caps what one
/// session can make the decoy read.
pub const MAX_SESSION_BYTES: u64 = 1024 * 1024;

/// Longest input line. A loader's `echo -ne` line carries a few hundred escaped bytes; a
/// line longer than this is no command a device would take, so the session is closed
/// (the bytes read so far are dropped, the events so far kept).
pub const MAX_LINE_LEN: usize = 16 * 1024;

/// How long one session may last, whatever it does: a bot's whole infection run takes
/// seconds to a minute; longer is a slow drip holding a slot.
pub const MAX_SESSION_DURATION: Duration = Duration::from_secs(600);

/// How long a session may stay silent. Cowrie's telnet idle timeout is 180 s; a slowloris
/// connection that sends nothing is closed at this mark.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(180);

/// Login attempts per session before the decoy hangs up, as BusyBox `login` does after
/// three failures.
pub const MAX_LOGIN_ATTEMPTS: usize = 3;

/// Longest telnet subnegotiation (`IAC SB … IAC SE`). The options a client may send (NAWS:
/// 4 bytes, TTYPE: a terminal name, NEW-ENVIRON: a few variables) fit; past this the rest is
/// dropped up to its `IAC SE` and the option recorded as cut.
pub const MAX_SUBNEGOTIATION: usize = 256;

/// Bytes of one file the shell keeps (what `echo -ne … > f` wrote, the stored payload). A
/// Mirai-family bot for one architecture is 30–120 KB; 256 KiB keeps any of them whole and
/// hashed, and caps the memory one session holds per file.
pub const MAX_FILE_BYTES: usize = 256 * 1024;

/// Bytes of all files one session's in-memory file system keeps together (see
/// [`MAX_FILE_BYTES`]); writes past it fail with "No space left on device", as a full
/// tmpfs on a device would answer.
pub const MAX_FS_BYTES: usize = 1024 * 1024;

/// Files one session may create: a loader writes a handful (its dropper, a test file per
/// writable directory); more is a flood of the map.
pub const MAX_FILES: usize = 64;

/// Commands run from one line (`a; b; c …`). A loader's longest line chains about ten; the
/// line length alone would allow thousands of empty ones, each an event.
pub const MAX_COMMANDS_PER_LINE: usize = 64;

/// The limits one decoy runs with; `Default` is the constants above.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub max_sessions: usize,
    pub max_sessions_per_source: usize,
    pub max_session_bytes: u64,
    pub max_line_len: usize,
    pub max_session_duration: Duration,
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_sessions: MAX_SESSIONS,
            max_sessions_per_source: MAX_SESSIONS_PER_SOURCE,
            max_session_bytes: MAX_SESSION_BYTES,
            max_line_len: MAX_LINE_LEN,
            max_session_duration: MAX_SESSION_DURATION,
            idle_timeout: IDLE_TIMEOUT,
        }
    }
}
