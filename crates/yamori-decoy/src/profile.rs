//! Device profiles: what one kind of device says — its prompts, banner, hostname, the text of
//! `/proc/cpuinfo` and `/proc/mounts`, its processes — and which passwords it takes. The
//! shell answers from the profile only, so the same question always gets the same answer.

/// The credentials Mirai's scanner tries (the table in its `scanner.c`, published with its
/// source in 2016); its descendants keep most of them. `""` is an empty password.
pub const MIRAI_CREDENTIALS: [(&str, &str); 62] = [
    ("root", "xc3511"),
    ("root", "vizxv"),
    ("root", "admin"),
    ("admin", "admin"),
    ("root", "888888"),
    ("root", "xmhdipc"),
    ("root", "default"),
    ("root", "juantech"),
    ("root", "123456"),
    ("root", "54321"),
    ("support", "support"),
    ("root", ""),
    ("admin", "password"),
    ("root", "root"),
    ("root", "12345"),
    ("user", "user"),
    ("admin", ""),
    ("root", "pass"),
    ("admin", "admin1234"),
    ("root", "1111"),
    ("admin", "smcadmin"),
    ("admin", "1111"),
    ("root", "666666"),
    ("root", "password"),
    ("root", "1234"),
    ("root", "klv123"),
    ("Administrator", "admin"),
    ("service", "service"),
    ("supervisor", "supervisor"),
    ("guest", "guest"),
    ("guest", "12345"),
    ("guest", "12345"),
    ("admin1", "password"),
    ("administrator", "1234"),
    ("666666", "666666"),
    ("888888", "888888"),
    ("ubnt", "ubnt"),
    ("root", "klv1234"),
    ("root", "Zte521"),
    ("root", "hi3518"),
    ("root", "jvbzd"),
    ("root", "anko"),
    ("root", "zlxx."),
    ("root", "7ujMko0vizxv"),
    ("root", "7ujMko0admin"),
    ("root", "system"),
    ("root", "ikwb"),
    ("root", "dreambox"),
    ("root", "user"),
    ("root", "realtek"),
    ("root", "00000000"),
    ("admin", "1111111"),
    ("admin", "1234"),
    ("admin", "12345"),
    ("admin", "54321"),
    ("admin", "123456"),
    ("admin", "7ujMko0admin"),
    ("admin", "1234"),
    ("admin", "pass"),
    ("admin", "meinsm"),
    ("tech", "tech"),
    ("mother", "fucker"),
];

/// Which logins a profile lets in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accept {
    /// Any pair of [`MIRAI_CREDENTIALS`]: the default devices botnets are built from.
    MiraiList,
    /// Exactly these pairs.
    Only(&'static [(&'static str, &'static str)]),
}

impl Accept {
    pub fn allows(&self, user: &str, pass: &str) -> bool {
        let list: &[(&str, &str)] = match self {
            Accept::MiraiList => &MIRAI_CREDENTIALS,
            Accept::Only(pairs) => pairs,
        };
        list.iter().any(|(u, p)| *u == user && *p == pass)
    }
}

/// One kind of device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: &'static str,
    pub hostname: &'static str,
    /// Printed after the negotiation, before the first login prompt.
    pub banner: &'static str,
    pub login_prompt: &'static str,
    pub password_prompt: &'static str,
    /// After a refused login (Mirai looks for "ncorrect" in it).
    pub login_failed: &'static str,
    /// After a successful login, before the first shell prompt.
    pub motd: &'static str,
    pub prompt: &'static str,
    pub accept: Accept,
    /// `uname -m`.
    pub machine: &'static str,
    /// `uname -r`.
    pub kernel: &'static str,
    /// `uname -v`.
    pub kernel_build: &'static str,
    /// ELF `e_machine` of the device's binaries (what a loader reads with `cat /bin/echo`).
    pub elf_machine: u16,
    pub busybox: &'static str,
    pub cpuinfo: &'static str,
    pub mounts: &'static str,
    pub ps: &'static str,
    /// The HTTP `Server` header of the device's web interface.
    pub http_server: &'static str,
    /// The title of its web login page.
    pub web_title: &'static str,
}

const HI3520_CPUINFO: &str = "Processor\t: ARMv7 Processor rev 1 (v7l)\nBogoMIPS\t: 1325.46\nFeatures\t: swp half thumb fastmult vfp edsp neon vfpv3 tls vfpv4 idiva idivt \nCPU implementer\t: 0x41\nCPU architecture: 7\nCPU variant\t: 0x0\nCPU part\t: 0xc07\nCPU revision\t: 1\n\nHardware\t: hi3520d\nRevision\t: 0000\nSerial\t\t: 0000000000000000\n";

const HI3520_MOUNTS: &str = "rootfs / rootfs rw 0 0\n/dev/root / squashfs ro,relatime 0 0\nproc /proc proc rw,relatime 0 0\nsysfs /sys sysfs rw,relatime 0 0\ntmpfs /dev tmpfs rw,relatime 0 0\ndevpts /dev/pts devpts rw,relatime,mode=600 0 0\ntmpfs /tmp tmpfs rw,relatime 0 0\ntmpfs /var tmpfs rw,relatime 0 0\n/dev/mtdblock3 /mnt/mtd jffs2 rw,relatime 0 0\n";

const DVR_PS: &str = "  PID USER       VSZ STAT COMMAND\n    1 root      1592 S    init\n    2 root         0 SW   [kthreadd]\n    3 root         0 SW   [ksoftirqd/0]\n  411 root      1592 S    telnetd\n  428 root     62108 S    ./Sofia\n  436 root      1596 S    /bin/sh\n";

const CAMERA_PS: &str = "  PID USER       VSZ STAT COMMAND\n    1 root      1460 S    init\n    2 root         0 SW   [kthreadd]\n  298 root      1460 S    telnetd\n  312 root     31540 S    /usr/sbin/ipc_server\n  330 root      1464 S    -sh\n";

const ROUTER_CPUINFO: &str = "system type\t\t: RTL8196E\nprocessor\t\t: 0\ncpu model\t\t: 52481\nBogoMIPS\t\t: 398.13\ntlb_entries\t\t: 32\nmips16 implemented\t: yes\n";

const ROUTER_MOUNTS: &str = "rootfs / rootfs rw 0 0\n/dev/mtdblock1 / squashfs ro 0 0\n/proc /proc proc rw 0 0\nramfs /var ramfs rw 0 0\n/sys /sys sysfs rw 0 0\n";

const ROUTER_PS: &str = "  PID USER       VSZ STAT COMMAND\n    1 root      1036 S    init\n   77 root       936 S    boa\n   81 root       968 S    udhcpd /var/udhcpd.conf\n   96 root      1040 S    telnetd\n  102 root      1044 S    -sh\n";

/// A HiSilicon DVR (XiongMai-style firmware): the `root`/`xc3511` family Mirai was built on.
pub const DVR: Profile = Profile {
    name: "dvr",
    hostname: "LocalHost",
    banner: "\n",
    login_prompt: "LocalHost login: ",
    password_prompt: "Password: ",
    login_failed: "Login incorrect\n",
    motd: "\n\nBusyBox v1.16.1 (2013-07-17 14:58:10 CST) built-in shell (ash)\nEnter 'help' for a list of built-in commands.\n\n",
    prompt: "# ",
    accept: Accept::MiraiList,
    machine: "armv7l",
    kernel: "3.0.8",
    kernel_build: "#1 Fri Jul 18 11:07:28 CST 2014",
    elf_machine: 40,
    busybox: "BusyBox v1.16.1 (2013-07-17 14:58:10 CST) multi-call binary.",
    cpuinfo: HI3520_CPUINFO,
    mounts: HI3520_MOUNTS,
    ps: DVR_PS,
    http_server: "uc-httpd 1.0.0",
    web_title: "NETSURVEILLANCE WEB",
};

/// A HiSilicon IP camera (`hi3518` firmware family).
pub const CAMERA: Profile = Profile {
    name: "camera",
    hostname: "(none)",
    banner: "\n",
    login_prompt: "(none) login: ",
    password_prompt: "Password: ",
    login_failed: "Login incorrect\n",
    motd: "\n\nBusyBox v1.20.2 (2015-03-26 16:12:04 CST) built-in shell (ash)\nEnter 'help' for a list of built-in commands.\n\n",
    prompt: "~ # ",
    accept: Accept::MiraiList,
    machine: "armv6l",
    kernel: "3.4.35",
    kernel_build: "#1 Thu Mar 26 16:30:10 CST 2015",
    elf_machine: 40,
    busybox: "BusyBox v1.20.2 (2015-03-26 16:12:04 CST) multi-call binary.",
    cpuinfo: "Processor\t: ARM926EJ-S rev 5 (v5l)\nBogoMIPS\t: 218.72\nFeatures\t: swp half thumb fastmult edsp java \nCPU implementer\t: 0x41\nCPU architecture: 5TEJ\nHardware\t: hi3518\n",
    mounts: HI3520_MOUNTS,
    ps: CAMERA_PS,
    http_server: "GoAhead-Webs",
    web_title: "IPCAM",
};

/// A Realtek-SDK home router (MIPS, `boa` web server).
pub const ROUTER: Profile = Profile {
    name: "router",
    hostname: "RTL8196E",
    banner: "\n",
    login_prompt: "RTL8196E login: ",
    password_prompt: "Password: ",
    login_failed: "Login incorrect\n",
    motd: "\n\nBusyBox v1.13.4 (2016-05-11 10:22:31 CST) built-in shell (ash)\nEnter 'help' for a list of built-in commands.\n\n",
    prompt: "# ",
    accept: Accept::MiraiList,
    machine: "mips",
    kernel: "2.6.30.9",
    kernel_build: "#1 Wed May 11 10:30:02 CST 2016",
    elf_machine: 8,
    busybox: "BusyBox v1.13.4 (2016-05-11 10:22:31 CST) multi-call binary.",
    cpuinfo: ROUTER_CPUINFO,
    mounts: ROUTER_MOUNTS,
    ps: ROUTER_PS,
    http_server: "Boa/0.94.14rc21",
    web_title: "Realtek Router",
};

/// Every profile, by name.
pub const PROFILES: [&Profile; 3] = [&DVR, &CAMERA, &ROUTER];

/// The profile called `name`.
pub fn by_name(name: &str) -> Option<&'static Profile> {
    PROFILES.into_iter().find(|p| p.name == name)
}

impl Profile {
    /// The first bytes of the device's binaries (`cat /bin/echo`): an ELF32 little-endian
    /// (big-endian for MIPS) header for the profile's machine, enough for a loader to read
    /// the architecture from, as Mirai's loader does.
    pub fn elf_header(&self) -> Vec<u8> {
        let big = self.elf_machine == 8;
        let mut h = vec![0x7f, b'E', b'L', b'F', 1, if big { 2 } else { 1 }, 1, 0];
        h.extend([0u8; 8]);
        let put16 = |h: &mut Vec<u8>, v: u16| {
            h.extend(if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            })
        };
        put16(&mut h, 2); // e_type: executable
        put16(&mut h, self.elf_machine);
        h.extend(if big { [0, 0, 0, 1] } else { [1, 0, 0, 0] }); // e_version
        h.extend([0u8; 28]); // entry, offsets, flags, sizes: not read by loaders
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_take_mirai_defaults_and_refuse_others() {
        for p in PROFILES {
            assert!(p.accept.allows("root", "xc3511"), "{}", p.name);
            assert!(p.accept.allows("admin", ""), "{}", p.name);
            assert!(!p.accept.allows("root", "correct horse"), "{}", p.name);
            // Mirai's scanner reads a prompt as ending in one of these.
            for prompt in [p.login_prompt, p.password_prompt, p.prompt] {
                let last = prompt.trim_end().chars().last();
                assert!(
                    matches!(last, Some(':' | '>' | '$' | '#' | '%')),
                    "{prompt:?}"
                );
            }
            assert!(p.login_failed.contains("ncorrect"));
        }
        assert_eq!(by_name("router").map(|p| p.machine), Some("mips"));
        assert!(by_name("toaster").is_none());
    }

    #[test]
    fn elf_header_names_the_machine() {
        let h = DVR.elf_header();
        assert_eq!(&h[..4], b"\x7fELF");
        assert_eq!(u16::from_le_bytes([h[18], h[19]]), 40);
        let h = ROUTER.elf_header();
        assert_eq!(u16::from_be_bytes([h[18], h[19]]), 8);
        assert_eq!(h.len(), 52);
    }
}
