//! The login-reply readers must never panic and must keep their promises on any bytes: the
//! telnet reply classifier (a reply that ends with a new login or password prompt is never a
//! success; a complete reply is never "unknown"), the FTP reply parser (a reply never claims
//! more bytes than it was given) and the SSH KEXINIT parser. The first byte picks the reader.
#![no_main]
use libfuzzer_sys::fuzz_target;
use yamori_survey::proto::{ftp, ssh, telnet};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    match which % 3 {
        0 => {
            // What a daemon sent after the password, through the telnet decoder first.
            let mut d = telnet::Decoder::default();
            let (mut text, mut refusals) = (Vec::new(), Vec::new());
            d.feed(rest, &mut text, &mut refusals);
            let verdict = telnet::classify_login(&text);
            if telnet::is_login_prompt(&text) || telnet::is_password_prompt(&text) {
                assert_eq!(verdict, telnet::LoginVerdict::Failure);
            }
            if telnet::reply_complete(&text) {
                assert_ne!(verdict, telnet::LoginVerdict::Unknown);
            }
        }
        1 => {
            if let Ok(Some(r)) = ftp::parse_reply(rest) {
                assert!(r.len <= rest.len() && (100..1000).contains(&r.code));
            }
        }
        _ => {
            if let Ok(ssh::Packet::KexInit(k)) = ssh::parse_kexinit(rest) {
                assert!(k.kex.len() <= rest.len());
            }
        }
    }
});
