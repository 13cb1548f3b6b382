//! Telnet option negotiation (RFC 854/855, loop avoidance after RFC 1143) as IoT bots expect
//! it, and the decoder that separates a client's data from its commands.
//!
//! Mirai's scanner (`consume_iacs` in its `scanner.c`) waits until the first byte the server
//! sends is `IAC`, and reads only three-byte commands: a device that starts with a banner or
//! with a subnegotiation is never logged into (cowrie#320). The decoy therefore opens with
//! three-byte offers only — `WILL ECHO`, `WILL SGA`, `DO NAWS`, what BusyBox `telnetd` sends —
//! and Mirai answers them as it does on a real device (`DO ECHO`, `DO SGA`, `WILL NAWS` and
//! its 80×24 window). Requests the decoy did not make are answered once: `ECHO` and `SGA`
//! accepted, `NAWS` accepted from the client, everything else refused. Answers to its own
//! offers are never answered again, so no negotiation loops.

use crate::limits::MAX_SUBNEGOTIATION;

pub const IAC: u8 = 255;
pub const DONT: u8 = 254;
pub const DO: u8 = 253;
pub const WONT: u8 = 252;
pub const WILL: u8 = 251;
pub const SB: u8 = 250;
pub const SE: u8 = 240;

pub const OPT_ECHO: u8 = 1;
pub const OPT_SGA: u8 = 3;
pub const OPT_NAWS: u8 = 31;

/// What the decoy sends first: `IAC WILL ECHO`, `IAC WILL SGA`, `IAC DO NAWS` (see the
/// module's doc for why these and in this shape).
pub const GREETING: [u8; 9] = [IAC, WILL, OPT_ECHO, IAC, WILL, OPT_SGA, IAC, DO, OPT_NAWS];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Data,
    Iac,
    /// After `IAC <verb>`: waiting for the option byte.
    Verb(u8),
    /// Inside `IAC SB`: collecting.
    Sub,
    /// Inside a subnegotiation, after an `IAC`.
    SubIac,
}

/// One bit per option, for each side's state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct OptionSet([u64; 4]);

impl OptionSet {
    fn has(&self, o: u8) -> bool {
        self.0[usize::from(o / 64)] & (1 << (o % 64)) != 0
    }
    fn set(&mut self, o: u8, on: bool) {
        let (w, b) = (usize::from(o / 64), 1u64 << (o % 64));
        if on {
            self.0[w] |= b;
        } else {
            self.0[w] &= !b;
        }
    }
}

/// The server side of one telnet connection's negotiation: feed it what the client sent,
/// get the data bytes and the replies to send back.
#[derive(Debug, Clone)]
pub struct Negotiator {
    state: State,
    /// Options enabled on our side, and those we offered and await an answer for.
    ours: OptionSet,
    ours_pending: OptionSet,
    /// Options enabled on the client's side, and those we asked for.
    theirs: OptionSet,
    theirs_pending: OptionSet,
    sub: Vec<u8>,
    sub_cut: bool,
    window: Option<(u16, u16)>,
    /// Subnegotiations longer than [`MAX_SUBNEGOTIATION`] (their excess dropped).
    pub cut_subnegotiations: u32,
}

impl Default for Negotiator {
    fn default() -> Self {
        Self::new()
    }
}

impl Negotiator {
    /// A negotiator that has sent [`GREETING`].
    pub fn new() -> Self {
        let mut n = Negotiator {
            state: State::Data,
            ours: OptionSet::default(),
            ours_pending: OptionSet::default(),
            theirs: OptionSet::default(),
            theirs_pending: OptionSet::default(),
            sub: Vec::new(),
            sub_cut: false,
            window: None,
            cut_subnegotiations: 0,
        };
        n.ours_pending.set(OPT_ECHO, true);
        n.ours_pending.set(OPT_SGA, true);
        n.theirs_pending.set(OPT_NAWS, true);
        n
    }

    /// The client's window (columns, rows), once it has sent NAWS.
    pub fn window(&self) -> Option<(u16, u16)> {
        self.window
    }

    /// Whether the decoy echoes what the client types (the client accepted `WILL ECHO`).
    pub fn echoing(&self) -> bool {
        self.ours.has(OPT_ECHO)
    }

    /// Read `input`: data bytes go to `data` (`IAC IAC` as one 255), answers to `reply`.
    pub fn feed(&mut self, input: &[u8], data: &mut Vec<u8>, reply: &mut Vec<u8>) {
        for &b in input {
            self.state = match self.state {
                State::Data if b == IAC => State::Iac,
                State::Data => {
                    data.push(b);
                    State::Data
                }
                State::Iac => match b {
                    IAC => {
                        data.push(IAC);
                        State::Data
                    }
                    DO | DONT | WILL | WONT => State::Verb(b),
                    SB => {
                        self.sub.clear();
                        self.sub_cut = false;
                        State::Sub
                    }
                    // NOP, GA, AYT, BRK, IP, … carry nothing the decoy needs.
                    _ => State::Data,
                },
                State::Verb(v) => {
                    self.answer(v, b, reply);
                    State::Data
                }
                State::Sub if b == IAC => State::SubIac,
                State::Sub => {
                    self.sub_push(b);
                    State::Sub
                }
                State::SubIac => match b {
                    SE => {
                        self.sub_done();
                        State::Data
                    }
                    IAC => {
                        self.sub_push(IAC);
                        State::Sub
                    }
                    // `IAC x` inside a subnegotiation other than SE/IAC is malformed; like
                    // lenient servers, keep collecting until `IAC SE`.
                    _ => State::Sub,
                },
            };
        }
    }

    fn sub_push(&mut self, b: u8) {
        if self.sub.len() < MAX_SUBNEGOTIATION {
            self.sub.push(b);
        } else if !self.sub_cut {
            self.sub_cut = true;
            self.cut_subnegotiations += 1;
        }
    }

    fn sub_done(&mut self) {
        if !self.sub_cut {
            if let [OPT_NAWS, w0, w1, h0, h1] = self.sub[..] {
                self.window = Some((u16::from_be_bytes([w0, w1]), u16::from_be_bytes([h0, h1])));
            }
        }
        self.sub.clear();
    }

    fn answer(&mut self, verb: u8, opt: u8, reply: &mut Vec<u8>) {
        match verb {
            DO => {
                if self.ours_pending.has(opt) {
                    self.ours_pending.set(opt, false);
                    self.ours.set(opt, true);
                } else if self.ours.has(opt) {
                    // Already on: answering again is what makes negotiations loop.
                } else if matches!(opt, OPT_ECHO | OPT_SGA) {
                    self.ours.set(opt, true);
                    reply.extend_from_slice(&[IAC, WILL, opt]);
                } else {
                    reply.extend_from_slice(&[IAC, WONT, opt]);
                }
            }
            DONT => {
                let was_on = self.ours.has(opt);
                self.ours.set(opt, false);
                self.ours_pending.set(opt, false);
                if was_on {
                    reply.extend_from_slice(&[IAC, WONT, opt]);
                }
            }
            WILL => {
                if self.theirs_pending.has(opt) {
                    self.theirs_pending.set(opt, false);
                    self.theirs.set(opt, true);
                } else if self.theirs.has(opt) {
                } else if opt == OPT_NAWS {
                    self.theirs.set(opt, true);
                    reply.extend_from_slice(&[IAC, DO, opt]);
                } else {
                    reply.extend_from_slice(&[IAC, DONT, opt]);
                }
            }
            _ => {
                // WONT
                let was_on = self.theirs.has(opt);
                self.theirs.set(opt, false);
                self.theirs_pending.set(opt, false);
                if was_on {
                    reply.extend_from_slice(&[IAC, DONT, opt]);
                }
            }
        }
    }
}

/// Text for the wire: newlines as CR LF and 255 doubled (`IAC IAC`), so nothing the shell
/// prints (a `cat` of written bytes) is read as a telnet command.
pub fn encode_text(text: &[u8], out: &mut Vec<u8>) {
    for &b in text {
        match b {
            b'\n' => out.extend_from_slice(b"\r\n"),
            IAC => out.extend_from_slice(&[IAC, IAC]),
            _ => out.push(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(n: &mut Negotiator, input: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let (mut d, mut r) = (Vec::new(), Vec::new());
        n.feed(input, &mut d, &mut r);
        (d, r)
    }

    /// What Mirai's `consume_iacs` answers to the greeting: DO for each WILL, and for DO NAWS
    /// its WILL NAWS with an 80×24 window. The decoy accepts silently and reads the window.
    #[test]
    fn mirai_answers_are_accepted_without_reply() {
        let mut n = Negotiator::new();
        let mirai = [
            IAC, DO, OPT_ECHO, IAC, DO, OPT_SGA, IAC, WILL, OPT_NAWS, IAC, SB, OPT_NAWS, 0, 80, 0,
            24, IAC, SE,
        ];
        let (data, reply) = feed(&mut n, &mirai);
        assert!(data.is_empty());
        assert!(reply.is_empty(), "{reply:?}");
        assert_eq!(n.window(), Some((80, 24)));
        assert!(n.echoing());
    }

    #[test]
    fn unrequested_options_are_answered_once() {
        let mut n = Negotiator::new();
        let (_, r) = feed(&mut n, &[IAC, DO, 24, IAC, WILL, 24, IAC, DO, OPT_ECHO]);
        assert_eq!(r, [IAC, WONT, 24, IAC, DONT, 24]);
        let (_, r) = feed(&mut n, &[IAC, DO, OPT_ECHO, IAC, DONT, OPT_ECHO]);
        assert_eq!(r, [IAC, WONT, OPT_ECHO]);
        assert!(!n.echoing());
    }

    #[test]
    fn data_split_anywhere_keeps_escaped_255_and_drops_commands() {
        let input = [
            b'a', IAC, IAC, b'b', IAC, 241, b'c', IAC, SB, 24, 0, IAC, SE, b'd',
        ];
        for cut in 0..input.len() {
            let mut n = Negotiator::new();
            let (mut d1, _) = feed(&mut n, &input[..cut]);
            let (d2, _) = feed(&mut n, &input[cut..]);
            d1.extend(d2);
            assert_eq!(d1, [b'a', IAC, b'b', b'c', b'd'], "cut at {cut}");
        }
    }

    #[test]
    fn long_subnegotiations_are_cut_and_counted() {
        let mut n = Negotiator::new();
        let mut input = vec![IAC, SB, OPT_NAWS];
        input.extend(std::iter::repeat_n(7u8, 10 * MAX_SUBNEGOTIATION));
        input.extend([IAC, SE, b'x']);
        let (d, _) = feed(&mut n, &input);
        assert_eq!(d, b"x");
        assert_eq!(n.cut_subnegotiations, 1);
        assert_eq!(n.window(), None);
    }

    #[test]
    fn text_is_encoded_for_the_wire() {
        let mut out = Vec::new();
        encode_text(b"a\nb\xff", &mut out);
        assert_eq!(out, b"a\r\nb\xff\xff");
    }
}
