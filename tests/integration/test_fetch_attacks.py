"""Issue #18: hostile servers and names against ``metgrad fetch`` (loopback only)."""

from __future__ import annotations

import gzip
import io
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from astropy.io import fits

from metgrad.cli import main
from metgrad.io.sas import DownloadError, FetchItem, fetch, fetch_one


def _gzipped_fits() -> bytes:
    image = np.random.default_rng(6).integers(0, 2**31, size=5000, dtype=np.int32)
    buffer = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(image)]).writeto(buffer)
    return gzip.compress(buffer.getvalue(), mtime=0)


GOOD = _gzipped_fits()
HTML = b"<!DOCTYPE html><html><body>Service temporarily unavailable</body></html>\n"


class _Handler(BaseHTTPRequestHandler):
    """Paths say how to misbehave: html, nolength, drip, badlength; anything else is good."""

    def log_message(self, *args):
        pass

    def _reply(self, head: bool):
        body = HTML if "html" in self.path else GOOD
        self.send_response(200)
        if "badlength" in self.path:
            self.send_header("Content-Length", "12x4")
        elif "nolength" not in self.path and "drip" not in self.path:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if head:
            return
        if "drip" in self.path:  # one byte every 0.2 s: no single read ever times out
            for byte in body[:200]:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.2)
            return
        self.wfile.write(body)

    def do_GET(self):
        self._reply(False)

    def do_HEAD(self):
        self._reply(True)


@pytest.fixture()
def base():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_html_page_is_never_saved_as_fits(base, tmp_path):
    item = FetchItem("html/x.fits.gz", tmp_path / "x.fits.gz")
    for _ in range(2):  # and not "already present" the second time
        with pytest.raises(DownloadError, match=r"^x.fits.gz: downloaded, but not a gzip file"):
            fetch_one(item, base_url=base, backoff=0)
    assert list(tmp_path.iterdir()) == []


def test_html_saved_by_an_older_version_is_fetched_again(base, tmp_path):
    item = FetchItem("ok/x.fits.gz", tmp_path / "x.fits.gz")
    item.local.write_bytes(HTML + b" " * (len(GOOD) - len(HTML)))  # even of the right size
    assert fetch_one(item, base_url=base, backoff=0) == "downloaded"
    assert item.local.read_bytes() == GOOD


def test_server_without_content_length(base, tmp_path):
    item = FetchItem("nolength/x.fits.gz", tmp_path / "x.fits.gz")
    assert fetch_one(item, base_url=base, backoff=0) == "downloaded"
    assert item.local.read_bytes() == GOOD


def test_dripping_server_stops_at_the_deadline(base, tmp_path):
    item = FetchItem("drip/x.fits.gz", tmp_path / "x.fits.gz")
    start = time.monotonic()
    with pytest.raises(DownloadError, match=r"not complete after the deadline of 1 s"):
        fetch_one(item, base_url=base, timeout=5, backoff=0, deadline=1.0)
    assert time.monotonic() - start < 5
    assert not item.local.exists()


def test_malformed_length_and_bad_names_do_not_stop_the_others(base, tmp_path, capsys):
    items = [FetchItem("badlength/a.fits.gz", tmp_path / "a.fits.gz"),
             FetchItem("ok/b.fits.gz", tmp_path / "b.fits.gz")]  # fmt: skip
    result = fetch(items, base_url=base, backoff=0)
    assert result["downloaded"] == [tmp_path / "b.fits.gz"]
    assert result["failed"] == [
        (tmp_path / "a.fits.gz", "a.fits.gz: malformed Content-Length '12x4' from the server")
    ]
    status = main(["fetch", "--plateifu", "1" * 300, "../8485-1901", "8485-1901", "--no-pipe3d",
                   "--dest", str(tmp_path / "dest"), "--base-url", base])  # fmt: skip
    out, err = capsys.readouterr()
    assert status == 1 and err == ""
    assert out.startswith("fetch: 1 downloaded, 0 already present, 2 failed")
    assert "is not a plate-ifu like 8485-1901" in out
    got = list((tmp_path / "dest").rglob("*.fits.gz"))
    assert [p.name for p in got] == ["manga-8485-1901-MAPS-HYB10-MILESHC-MASTARSSP.fits.gz"]
