"""Open the built HTML book in headless Chromium and check that every page rendered offline.

Chromium and ChromeDriver are Debian's (`/usr/bin/chromium`, `/usr/bin/chromedriver`;
`make browser` installs them with apt-get). ChromeDriver is driven through its W3C WebDriver
HTTP interface with the standard library, so nothing is downloaded at test time (no
selenium-manager, no driver fetch). Every remote host name resolves to nothing inside the
browser (`--host-resolver-rules`), so a page that needed the network fails here even on a
machine that has one.

A page fails, with the page and the element named, on:
- an ``<img>`` that did not load (not complete, or naturalWidth 0);
- a browser console message of level SEVERE (console.error, an uncaught exception, a failed load);
- a resource loaded from anywhere but the served book (performance resource entries), or a
  script, stylesheet, image or frame whose address is remote;
- unrendered math: a Sphinx ``span.math`` / ``div.math`` without an ``mjx-container`` inside,
  any ``mjx-merror``, or TeX delimiters / commands left in the visible text outside code;
- fewer images or tables than the source notebook has image / HTML-table outputs, or an
  empty page body;
- a code cell's source shown without a click (plumbing: ``book/_ext/reading.py`` folds every one), or a
  table wider than the text column.
"""
from __future__ import annotations

import base64
import contextlib
import functools
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = os.environ.get("VAELAB_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("VAELAB_CHROMEDRIVER", "/usr/bin/chromedriver")
WIDTH = 1280
VIEW_HEIGHT = 1000
MAX_SHOT_HEIGHT = 16000  # Chromium's largest capture; taller pages are scaled down to fit

# Without these Chromium opens connections at start (updates, sync, field trials) that are
# refused offline and show up as noise.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--no-default-browser-check",
    "--hide-scrollbars", "--mute-audio", f"--window-size={WIDTH},{VIEW_HEIGHT}",
    # any host but the local server resolves to nothing: a remote resource fails loudly
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]


# ---------------------------------------------------------------- the pages of the book

def toc_pages(toc_file: Path) -> list[str]:
    """Docnames in reading order from a jupyter-book 1.x `_toc.yml` (root, chapters, parts, sections)."""
    import yaml

    toc = yaml.safe_load(Path(toc_file).read_text())
    pages = [toc["root"]]

    def walk(entries):
        for e in entries or []:
            if "file" in e:
                pages.append(e["file"])
            walk(e.get("sections"))
            walk(e.get("chapters"))

    walk(toc.get("chapters"))
    for part in toc.get("parts") or []:
        walk(part.get("chapters"))
    return [str(Path(p).with_suffix("")) for p in pages]


def source_file(root: Path, docname: str) -> Path | None:
    for ext in (".ipynb", ".md", ".rst"):
        p = root / (docname + ext)
        if p.is_file():
            return p
    return None


_REMOVED = {"remove-output", "remove-cell", "remove_output", "remove_cell"}


def expected_outputs(source: Path | None) -> dict:
    """Image and HTML-table outputs of a notebook's code cells that the page must show; for a Markdown
    page, one table per ```{glue}``` directive (the results page pastes a glued table from each chapter)."""
    counts = {"images": 0, "tables": 0, "outputs": 0}
    if source is not None and source.suffix == ".md":
        counts["tables"] = sum(line.strip().startswith("```{glue}") for line in source.read_text().splitlines())
        return counts
    if source is None or source.suffix != ".ipynb":
        return counts
    nb = json.loads(source.read_text())
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        if _REMOVED & set(cell.get("metadata", {}).get("tags", [])):
            continue
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if out.get("output_type") == "stream":
                continue  # stderr is removed from the pages (nb_output_stderr)
            counts["outputs"] += 1
            if any(k.startswith("image/") for k in data):
                counts["images"] += 1
            elif "<table" in "".join(data.get("text/html", [])):
                counts["tables"] += 1
    return counts


# ---------------------------------------------------------------- a local web server

class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(root: Path):
    """Serve `root` on 127.0.0.1 at a free port; yields the base URL (ending in '/')."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------- a minimal WebDriver client

class BrowserError(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """One headless Chromium, driven through ChromeDriver's W3C WebDriver endpoints."""

    def __init__(self, chromium: str = CHROMIUM, chromedriver: str = CHROMEDRIVER):
        for exe in (chromium, chromedriver):
            if not (Path(exe).is_file() and os.access(exe, os.X_OK)):
                raise BrowserError(f"{exe} is missing: install Debian's chromium and chromium-driver "
                                   "(make browser does: apt-get install chromium chromium-driver)")
        self.profile = tempfile.mkdtemp(prefix="vaelab-chromium-")
        self.port = _free_port()
        self.driver = subprocess.Popen(
            [chromedriver, f"--port={self.port}", "--allowed-ips=127.0.0.1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"
        self.session = None
        try:
            self._wait_ready()
            caps = {"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "pageLoadStrategy": "normal",
                "goog:loggingPrefs": {"browser": "ALL"},
                "goog:chromeOptions": {"binary": chromium,
                                       "args": CHROMIUM_ARGS + [f"--user-data-dir={self.profile}"]},
            }}}
            self.session = self._call("POST", "/session", caps)["sessionId"]
            self.cmd("POST", "/timeouts", {"pageLoad": 120_000, "script": 120_000})
        except BaseException:
            self.close()
            raise

    def _wait_ready(self, timeout: float = 30.0) -> None:
        t0 = time.time()
        while time.time() - t0 < timeout:
            if self.driver.poll() is not None:
                raise BrowserError(f"chromedriver exited with code {self.driver.returncode}")
            try:
                if self._call("GET", "/status").get("ready"):
                    return
            except (OSError, BrowserError):
                pass
            time.sleep(0.1)
        raise BrowserError("chromedriver did not become ready in 30 s")

    def _call(self, method: str, path: str, payload=None):
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=300) as r:
                body = json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            body = json.loads(e.read() or b"{}")
            v = body.get("value", {})
            raise BrowserError(f"{method} {path}: {v.get('error')}: {v.get('message', '')[:2000]}") from None
        return body.get("value")

    def cmd(self, method: str, path: str, payload=None):
        return self._call(method, f"/session/{self.session}{path}", payload)

    def get(self, url: str) -> None:
        self.cmd("POST", "/url", {"url": url})

    def js(self, script: str, *args):
        return self.cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def js_async(self, script: str, *args):
        """`script` ends by calling arguments[arguments.length - 1](result)."""
        return self.cmd("POST", "/execute/async", {"script": script, "args": list(args)})

    def logs(self) -> list[dict]:
        """Browser console entries since the last call (level, message, source)."""
        return self.cmd("POST", "/se/log", {"type": "browser"})

    def cdp(self, command: str, params: dict | None = None):
        return self.cmd("POST", "/goog/cdp/execute", {"cmd": command, "params": params or {}})

    def screenshot(self, path: Path) -> int:
        """Full-page PNG at WIDTH px (scaled down past MAX_SHOT_HEIGHT); returns the page height."""
        metrics = self.cdp("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        height = int(max(size["height"], VIEW_HEIGHT))
        scale = min(1.0, MAX_SHOT_HEIGHT / height)
        shot = self.cdp("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": WIDTH, "height": height, "scale": scale}})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return height

    def close(self) -> None:
        if self.session is not None:
            with contextlib.suppress(Exception):
                self._call("DELETE", f"/session/{self.session}")
            self.session = None
        if self.driver.poll() is None:
            self.driver.terminate()
            try:
                self.driver.wait(10)
            except subprocess.TimeoutExpired:
                self.driver.kill()
                self.driver.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---------------------------------------------------------------- checking one page

# Runs in the page: waits for the load, MathJax and every image, then reports what it found.
_INSPECT = (Path(__file__).parent / "inspect_page.js").read_text()


@dataclass
class PageReport:
    page: str
    url: str
    expected: dict = field(default_factory=dict)
    seconds: float = 0.0
    info: dict = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    screenshot: Path | None = None
    height: int = 0


def _browser_favicon(entry: dict) -> bool:
    """Chromium asks every new origin for /favicon.ico by itself; a page that names no icon
    did not ask for it."""
    msg = entry.get("message", "")
    return entry.get("source") == "network" and re.search(r"/favicon\.ico\b", msg) is not None


def check_page(browser: Browser, url: str, page: str, expected: dict | None = None,
               screenshot: Path | None = None) -> PageReport:
    """Load `url` and return what failed on it (empty `failures` means the page is fine)."""
    t0 = time.time()
    rep = PageReport(page=page, url=url, expected=dict(expected or {}))
    browser.logs()  # drop whatever the previous page left
    browser.get(url)
    info = browser.js_async(_INSPECT)
    rep.info = info
    fail = rep.failures.append
    if "error" in info:
        fail(f"{page}: the in-page inspection raised {info['error']}")
        return rep
    for entry in browser.logs():
        if entry.get("level") == "SEVERE" and not (_browser_favicon(entry) and not info["icon"]):
            fail(f"{page}: console {entry.get('source', '')} SEVERE: {entry.get('message', '')[:300]}")
    for el in info["badImages"]:
        fail(f"{page}: image did not load: {el}")
    for f in info["badFonts"]:
        fail(f"{page}: font did not load: {f}")
    for u in info["remoteLoads"]:
        fail(f"{page}: loaded a resource from outside the book: {u}")
    for el in info["remoteRefs"]:
        fail(f"{page}: refers to a remote resource: {el}")
    if info["math"] and info["mathjax"] != "done":
        fail(f"{page}: {info['math']} math elements but MathJax is {info['mathjax']}")
    for el in info["unrendered"]:
        fail(f"{page}: math not rendered by MathJax: {el}")
    for el in info["merrors"]:
        fail(f"{page}: MathJax error: {el}")
    for s in info["leftovers"]:
        fail(f"{page}: TeX left in the visible text: {s}")
    for el in info["visibleCode"]:
        fail(f"{page}: a code cell's source is shown without a click: {el}")
    for el in info["wideTables"]:
        fail(f"{page}: a table is wider than the {info['columnWidth']} px text column: {el}")
    if info["h1"] == 0 or info["textLength"] < 200:
        fail(f"{page}: page body is (nearly) empty: {info['h1']} <h1>, {info['textLength']} characters")
    expected = expected or {}
    if info["mainImages"] < expected.get("images", 0):
        fail(f"{page}: the notebook has {expected['images']} image outputs, the page shows {info['mainImages']} <img>")
    if info["tables"] < expected.get("tables", 0):
        fail(f"{page}: the notebook has {expected['tables']} HTML-table outputs, "
             f"the page shows {info['tables']} <table>")
    if screenshot is not None:
        rep.height = browser.screenshot(screenshot)
        rep.screenshot = screenshot
    rep.seconds = time.time() - t0
    return rep


def summary_table(reports: list[PageReport]) -> str:
    rows = [("page", "via", "images (nb)", "math / rendered", "tables (nb)", "resources", "height px", "s",
             "result")]
    for r in reports:
        i = r.info if "error" not in r.info else {}
        e = r.expected
        rows.append((r.page, r.url.split(":", 1)[0], f"{i.get('images', '?')} ({e.get('images', 0)})",
                     f"{i.get('math', '?')} / {i.get('mjx', '?')}", f"{i.get('tables', '?')} ({e.get('tables', 0)})",
                     str(i.get("resources", "?")), str(r.height or "-"), f"{r.seconds:.1f}",
                     "ok" if not r.failures else f"{len(r.failures)} failures"))
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if k == 0 else c.rjust(w) for k, (c, w) in enumerate(zip(row, widths)))
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
