"""The downloader against a local HTTP server on loopback (never the internet)."""

from __future__ import annotations

import gzip
import io
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import numpy as np
import pytest
from astropy.io import fits

from metgrad.io.sas import DownloadError, FetchItem, dr17_items, fetch, fetch_one


def _gzipped_fits() -> bytes:
    """A small gzipped FITS file (~100 kB: its image is incompressible noise)."""
    noise = np.random.default_rng(5).integers(0, 2**31, size=25_000, dtype=np.int32)
    buffer = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(noise)]).writeto(buffer)
    return gzip.compress(buffer.getvalue(), mtime=0)


PAYLOAD = _gzipped_fits()


class _Handler(BaseHTTPRequestHandler):
    log: ClassVar[list] = []  # (method, path, range header)
    drops: ClassVar[dict] = {}  # path -> remaining number of dropped transfers

    def log_message(self, *args):  # keep test output quiet
        pass

    def _send_payload(self, head: bool):
        start = 0
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes="):
            start = int(rng[6:].split("-")[0])
            if start >= len(PAYLOAD):
                self.send_response(416)
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(PAYLOAD) - 1}/{len(PAYLOAD)}")
        else:
            self.send_response(200)
        body = PAYLOAD[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if head:
            return
        if self.drops.get(self.path, 0) > 0:
            self.drops[self.path] -= 1
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(2)  # drop the connection mid-file
            return
        if self.path.endswith("short"):
            self.wfile.write(body[:-1000])  # always fewer bytes than announced
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        self.wfile.write(body)

    def _route(self, head: bool):
        self.log.append((self.command, self.path, self.headers.get("Range")))
        if "missing" in self.path:
            self.send_error(404, "Not Found")
            return
        if "slow" in self.path:
            time.sleep(1.5)
        self._send_payload(head)

    def do_GET(self):
        self._route(False)

    def do_HEAD(self):
        self._route(True)


@pytest.fixture()
def server():
    _Handler.log = []
    _Handler.drops = {}
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", _Handler
    httpd.shutdown()
    httpd.server_close()


def _get(handler):
    return [entry for entry in handler.log if entry[0] == "GET"]


def test_download_then_present(server, tmp_path):
    base, handler = server
    item = FetchItem("a/ok.fits.gz", tmp_path / "x" / "ok.fits.gz")
    assert fetch_one(item, base_url=base, backoff=0) == "downloaded"
    assert item.local.read_bytes() == PAYLOAD
    assert not item.local.with_name("ok.fits.gz.part").exists()
    n_get = len(_get(handler))
    assert fetch_one(item, base_url=base, backoff=0) == "present"
    assert len(_get(handler)) == n_get  # a good file is not downloaded again


def test_404_leaves_nothing(server, tmp_path):
    base, _ = server
    item = FetchItem("missing.fits.gz", tmp_path / "missing.fits.gz")
    with pytest.raises(DownloadError, match=r"^missing.fits.gz: HTTP 404"):
        fetch_one(item, base_url=base, backoff=0)
    assert list(tmp_path.iterdir()) == []


def test_dropped_connection_is_resumed_with_a_range(server, tmp_path):
    base, handler = server
    handler.drops["/drop.fits.gz"] = 1
    item = FetchItem("drop.fits.gz", tmp_path / "drop.fits.gz")
    assert fetch_one(item, base_url=base, backoff=0) == "downloaded"
    assert item.local.read_bytes() == PAYLOAD
    ranges = [r for _, path, r in _get(handler) if path == "/drop.fits.gz"]
    assert ranges[0] is None and ranges[1] == f"bytes={len(PAYLOAD) // 2}-"


def test_resume_from_a_part_file_left_by_an_earlier_run(server, tmp_path):
    base, handler = server
    item = FetchItem("ok.fits.gz", tmp_path / "ok.fits.gz")
    item.local.with_name("ok.fits.gz.part").write_bytes(PAYLOAD[:30000])
    assert fetch_one(item, base_url=base, backoff=0) == "downloaded"
    assert item.local.read_bytes() == PAYLOAD
    assert _get(handler)[0][2] == "bytes=30000-"


def test_wrong_size_never_becomes_the_file(server, tmp_path):
    base, _ = server
    item = FetchItem("short", tmp_path / "short")
    with pytest.raises(DownloadError, match=r"^short: .*partial data kept in short.part"):
        fetch_one(item, base_url=base, retries=2, backoff=0)
    assert not item.local.exists()


def test_slow_server_times_out(server, tmp_path):
    base, _ = server
    item = FetchItem("slow.fits.gz", tmp_path / "slow.fits.gz")
    with pytest.raises(DownloadError, match="connection failed"):
        fetch_one(item, base_url=base, timeout=0.3, retries=1, backoff=0)
    assert not item.local.exists()


def test_bad_existing_file_is_replaced_only_when_complete(server, tmp_path):
    base, _ = server
    item = FetchItem("ok.fits.gz", tmp_path / "ok.fits.gz")
    item.local.write_bytes(b"truncated")
    assert fetch_one(item, base_url=base, backoff=0) == "downloaded"
    assert item.local.read_bytes() == PAYLOAD


def test_fetch_goes_on_past_failures_and_layout(server, tmp_path):
    base, _ = server
    items = dr17_items(["8485-1901"], tmp_path, drpall=True)
    assert [i.local.relative_to(tmp_path).as_posix() for i in items] == [
        "drpall-v3_1_1.fits",
        "maps/HYB10-MILESHC-MASTARSSP/8485/1901/manga-8485-1901-MAPS-HYB10-MILESHC-MASTARSSP.fits.gz",
        "pipe3d/8485/manga-8485-1901.Pipe3D.cube.fits.gz",
    ]
    assert items[1].remote == (
        "dr17/manga/spectro/analysis/v3_1_1/3.1.0/HYB10-MILESHC-MASTARSSP/8485/1901/"
        "manga-8485-1901-MAPS-HYB10-MILESHC-MASTARSSP.fits.gz"
    )
    mixed = [FetchItem("missing", tmp_path / "m"), FetchItem("ok", tmp_path / "ok")]
    result = fetch(mixed, base_url=base, backoff=0)
    assert result["downloaded"] == [tmp_path / "ok"]
    assert [p for p, _ in result["failed"]] == [tmp_path / "m"]
    with pytest.raises(ValueError, match="not a plate-ifu"):
        dr17_items(["8485_1901"], tmp_path)
