//! Malware families a decoy session gives away, from what loaders reliably leave behind:
//!
//! * the **applet probe**: Mirai's loader and its descendants run `/bin/busybox <TOKEN>` to
//!   check for a real BusyBox (`<TOKEN>: applet not found`) and to find their output in the
//!   stream; the token is the family's own (Mirai's source uses `ECCHI`, variants their name);
//! * the **binary's name** in the download URL: the builds are named `<family>.<arch>`
//!   (`mirai.arm7`, `sora.mips`, `Mozi.m`).
//!
//! Only names in [`FAMILIES`] are recognised, each with its evidence: a token or a file name
//! nobody else uses. A session with none is no family, not a guess.

/// A malware family and what gives it away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Family {
    /// The name STIX objects carry (and the key of their ids, as the telescope's Mirai).
    pub name: &'static str,
    pub description: &'static str,
    /// `/bin/busybox <token>` probes of its loader (exact, case-sensitive).
    pub probes: &'static [&'static str],
    /// The file name of its builds before the first dot, compared without case.
    pub binary: &'static str,
}

/// The telescope's description of Mirai, so both sides' `malware` object is one object.
pub const MIRAI_DESCRIPTION: &str = "IoT botnet family that scans for Telnet (23/TCP, 2323/TCP) with the TCP sequence number set to the destination address and logs in with default credentials.";

pub const FAMILIES: &[Family] = &[
    Family {
        name: "Mirai",
        description: MIRAI_DESCRIPTION,
        probes: &["ECCHI", "MIRAI"],
        binary: "mirai",
    },
    Family {
        name: "Sora",
        description: "Mirai variant (2018 onwards) built from Mirai's published source; its loader probes with `/bin/busybox SORA` and names its builds sora.<arch>.",
        probes: &["SORA"],
        binary: "sora",
    },
    Family {
        name: "Owari",
        description: "Mirai variant built from Mirai's published source; its loader probes with `/bin/busybox OWARI` and names its builds owari.<arch>.",
        probes: &["OWARI"],
        binary: "owari",
    },
    Family {
        name: "Masuta",
        description: "Mirai variant built from Mirai's published source; its loader probes with `/bin/busybox MASUTA` and names its builds masuta.<arch>.",
        probes: &["MASUTA"],
        binary: "masuta",
    },
    Family {
        name: "Mozi",
        description: "Peer-to-peer IoT botnet (DHT-based) spreading through weak Telnet passwords and router exploits; its builds are named Mozi.m, Mozi.a.",
        probes: &[],
        binary: "mozi",
    },
];

/// The families a download URL and the command lines of the sessions that named it give
/// away, in [`FAMILIES`] order, each once.
pub fn recognise<'a>(url: &str, lines: impl IntoIterator<Item = &'a str>) -> Vec<&'static Family> {
    let mut found = [false; FAMILIES.len()];
    if let Some(name) = binary_name(url) {
        for (i, f) in FAMILIES.iter().enumerate() {
            found[i] |= name.eq_ignore_ascii_case(f.binary);
        }
    }
    for line in lines {
        for token in probes(line) {
            for (i, f) in FAMILIES.iter().enumerate() {
                found[i] |= f.probes.contains(&token);
            }
        }
    }
    FAMILIES
        .iter()
        .zip(found)
        .filter_map(|(f, hit)| hit.then_some(f))
        .collect()
}

/// The last path segment of a URL up to its first dot (`mirai` of `http://h/bins/mirai.arm7`).
fn binary_name(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.split(['?', '#']).next()?;
    let (_, file) = path.rsplit_once('/')?;
    let name = file.split('.').next()?;
    (!name.is_empty()).then_some(name)
}

/// The tokens after `busybox` in a command line: `/bin/busybox ECCHI; busybox SORA` gives
/// `ECCHI`, `SORA`. Only upper-case tokens count: applets are lower case, probes are not.
fn probes(line: &str) -> impl Iterator<Item = &str> {
    let words: Vec<&str> = line
        .split(|c: char| c.is_whitespace() || matches!(c, ';' | '&' | '|'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut out = Vec::new();
    for pair in words.windows(2) {
        let program = pair[0].rsplit('/').next().unwrap_or(pair[0]);
        if program == "busybox"
            && pair[1].len() >= 3
            && pair[1]
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            out.push(pair[1]);
        }
    }
    out.into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(url: &str, lines: &[&str]) -> Vec<&'static str> {
        recognise(url, lines.iter().copied())
            .into_iter()
            .map(|f| f.name)
            .collect()
    }

    #[test]
    fn probes_and_binary_names_give_the_family_away() {
        assert_eq!(names("http://198.51.100.7/bins/mirai.arm7", &[]), ["Mirai"]);
        assert_eq!(
            names("http://198.51.100.7/x.sh", &["/bin/busybox ECCHI"]),
            ["Mirai"]
        );
        assert_eq!(
            names(
                "tftp://198.51.100.23/sora.mips",
                &["cd /tmp; /bin/busybox SORA"]
            ),
            ["Sora"]
        );
        assert_eq!(names("http://203.0.113.5/Mozi.m", &[]), ["Mozi"]);
        assert_eq!(
            names("http://203.0.113.5/OWARI.x86", &["busybox ECCHI"]),
            ["Mirai", "Owari"],
            "each family once, in table order"
        );
    }

    #[test]
    fn nothing_known_is_no_family() {
        assert!(names(
            "http://198.51.100.7/x.sh",
            &["/bin/busybox wget http://h/x", "busybox echo SORA"]
        )
        .is_empty());
        // lower-case applets are not probes; a token must follow busybox itself
        assert!(names(
            "http://h/",
            &["/bin/busybox ecchi", "echo ECCHI", "busybox"]
        )
        .is_empty());
        assert!(names("nonsense", &[]).is_empty());
        assert!(
            names("http://h/.mirai", &[]).is_empty(),
            "a hidden file is not a build name"
        );
        assert!(names("http://h/miraix.arm", &[]).is_empty());
    }
}
