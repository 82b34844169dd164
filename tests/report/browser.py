"""Open a page in headless Chromium and record what it did: console errors, network requests.

Talks the DevTools protocol over `--remote-debugging-pipe` (JSON messages separated by NUL on
file descriptors 3 and 4), so no websocket client is needed.  `open_page` loads a file, waits
for the load event, and returns a `Page` to evaluate script in, take screenshots of, and load
further files into (`goto`).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-default-apps", "--disable-extensions", "--mute-audio",
         "--remote-debugging-pipe")


class BrowserError(RuntimeError):
    pass


@dataclass
class Page:
    process: subprocess.Popen
    to_browser: int
    from_browser: int
    session: str = ""
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    _buffer: bytes = b""
    _next_id: int = 0

    def _events(self, message: dict) -> None:
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.console_errors.append(" ".join(
                str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            self.console_errors.append(details.get("exception", {}).get("description")
                                       or details.get("text", "exception"))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            self.console_errors.append(f"{entry.get('text')} {entry.get('url', '')}".strip())
        elif method == "Network.requestWillBeSent":
            self.requests.append(params.get("request", {}).get("url", ""))

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BrowserError("timed out waiting for Chromium")
            ready, _, _ = select.select([self.from_browser], [], [], remaining)
            if ready:
                chunk = os.read(self.from_browser, 1 << 20)
                if not chunk:
                    raise BrowserError("Chromium closed the DevTools pipe")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message = json.loads(raw)
        self._events(message)
        return message

    def send(self, method: str, params: dict | None = None, session: bool = True,
             timeout: float = 30) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def wait_for(self, event: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            message = self._read(deadline)
            if message.get("method") == event:
                return message.get("params", {})

    def settle(self, seconds: float = 0.5) -> None:
        """Read events for a moment (late console messages, requests)."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                self._read(deadline)
        except BrowserError:
            pass

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def goto(self, path: Path) -> None:
        """Load a local file and wait for its load event (resets recorded errors, requests)."""
        self.console_errors, self.requests = [], []
        self.send("Page.navigate", {"url": path.resolve().as_uri()})
        self.wait_for("Page.loadEventFired")
        self.settle()

    def screenshot(self, path: Path, selector: str | None = None) -> tuple[int, int]:
        """A PNG of the whole page, or of the first element matching `selector`; its size."""
        box = self.evaluate(
            "(() => { const r = " + (f"document.querySelector({json.dumps(selector)})"
                                     if selector else "document.documentElement")
            + ".getBoundingClientRect(); return [r.left + scrollX, r.top + scrollY, "
              "r.width, r.height]; })()")
        x, y, width, height = (max(int(v), 1) if i > 1 else int(v) for i, v in enumerate(box))
        data = self.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": x, "y": y, "width": width, "height": height, "scale": 1}}, timeout=60)
        path.write_bytes(base64.b64decode(data["data"]))
        return width, height

    def close(self) -> None:
        try:
            self.send("Browser.close", session=False, timeout=5)
        except (BrowserError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self.to_browser)
        os.close(self.from_browser)


def _above(fd: int, lowest: int) -> int:
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, lowest)
    os.close(fd)
    return moved


def open_page(path: Path, profile_dir: Path, width: int = 1280, height: int = 900) -> Page:
    """Start Chromium, open `path` (a local file) and wait until it has loaded."""
    commands_r, commands_w = os.pipe()
    replies_r, replies_w = os.pipe()
    # the child's ends move above fd 9, so wiring them to 3 and 4 cannot clobber either
    commands_r, replies_w = (_above(fd, 10) for fd in (commands_r, replies_w))

    # the browser reads commands on fd 3 and writes replies on fd 4: let bash wire them
    script = f'exec "$0" "$@" 3<&{commands_r} 4>&{replies_w} {commands_r}<&- {replies_w}>&-'
    process = subprocess.Popen(
        ["/bin/bash", "-c", script, str(CHROMIUM), *FLAGS, f"--user-data-dir={profile_dir}",
         f"--window-size={width},{height}"],
        pass_fds=(commands_r, replies_w),
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(commands_r)
    os.close(replies_w)
    page = Page(process, commands_w, replies_r)
    try:
        target = page.send("Target.createTarget", {"url": "about:blank"}, session=False)
        page.session = page.send("Target.attachToTarget", {
            "targetId": target["targetId"], "flatten": True}, session=False)["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            page.send(f"{domain}.enable")
        page.send("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        page.goto(path)
    except Exception:
        page.close()
        raise
    return page
