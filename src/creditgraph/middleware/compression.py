"""Compression of `/graphql` answers: brotli or gzip, by the client's `Accept-Encoding`.

A report runs to tens or hundreds of kilobytes of JSON that compresses about tenfold, so
a client on a slow link waits for a tenth of the bytes. An answer is compressed when the
client accepts `br` or `gzip` (by quality; brotli wins a tie, being smaller at the same
speed), it is at least `[compression] min_size` bytes, and nothing encoded it already.
Every `/graphql` answer says `Vary: Accept-Encoding`, compressed or not. An answer sent
in parts (a stream) is compressed part by part, each flushed, so a part reaches the
client as soon as it is sent. Other paths are left alone: GraphiQL's files carry
encodings of their own.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Protocol, cast

import brotli
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from creditgraph.config import Config
from creditgraph.config import options as o
from creditgraph.negotiation import weighted

PATHS = frozenset({"/graphql"})
_PREFERENCE = ("br", "gzip")


class _Encoder(Protocol):
    def part(self, data: bytes) -> bytes: ...
    def end(self, data: bytes) -> bytes: ...


class _Gzip:
    def __init__(self, level: int) -> None:
        # wbits 31: the gzip container (header and CRC), not raw zlib
        self._compressor = zlib.compressobj(level, zlib.DEFLATED, 31)

    def part(self, data: bytes) -> bytes:
        return self._compressor.compress(data) + self._compressor.flush(zlib.Z_SYNC_FLUSH)

    def end(self, data: bytes) -> bytes:
        return self._compressor.compress(data) + self._compressor.flush()


class _BrotliCompressor(Protocol):
    """brotli's compressor as it is: its published stubs leave out `flush`."""

    def process(self, data: bytes) -> bytes: ...
    def flush(self) -> bytes: ...
    def finish(self) -> bytes: ...


class _Brotli:
    def __init__(self, quality: int) -> None:
        self._compressor = cast(_BrotliCompressor, brotli.Compressor(quality=quality))

    def part(self, data: bytes) -> bytes:
        return self._compressor.process(data) + self._compressor.flush()

    def end(self, data: bytes) -> bytes:
        return self._compressor.process(data) + self._compressor.finish()


@dataclass(frozen=True, slots=True)
class CompressionPolicy:
    """When to compress and how hard."""

    min_size: int
    gzip_level: int
    brotli_quality: int

    @classmethod
    def from_config(cls, config: Config) -> CompressionPolicy | None:
        """The policy of the `[compression]` section; None when it is switched off."""
        if not config[o.COMPRESSION_ENABLED]:
            return None
        return cls(
            min_size=config[o.COMPRESSION_MIN_SIZE],
            gzip_level=config[o.COMPRESSION_GZIP_LEVEL],
            brotli_quality=config[o.COMPRESSION_BROTLI_QUALITY],
        )

    def encoder(self, encoding: str) -> _Encoder:
        return _Brotli(self.brotli_quality) if encoding == "br" else _Gzip(self.gzip_level)


def chosen_encoding(accept_encoding: str) -> str | None:
    """`br` or `gzip`, whichever the header welcomes most (`*` welcomes both); None: neither."""
    qualities: dict[str, float] = {}
    wildcard = 0.0
    for value, quality in weighted(accept_encoding):
        if value == "*":
            wildcard = quality
        elif value in _PREFERENCE:
            qualities[value] = quality
    best, best_quality = None, 0.0
    for encoding in _PREFERENCE:
        quality = qualities.get(encoding, wildcard)
        if quality > best_quality:
            best, best_quality = encoding, quality
    return best


class Compression:
    """The ASGI middleware compressing `/graphql` answers under a `CompressionPolicy`."""

    def __init__(self, app: ASGIApp, policy: CompressionPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in PATHS:
            await self.app(scope, receive, send)
            return
        encoding = chosen_encoding(Headers(scope=scope).get("accept-encoding", ""))
        await self.app(scope, receive, _Compressing(send, self.policy, encoding).send)


class _Compressing:
    """One answer on its way out: held at its start until its first part says how big it is."""

    def __init__(self, send: Send, policy: CompressionPolicy, encoding: str | None) -> None:
        self._send = send
        self._policy = policy
        self._encoding = encoding
        self._start: Message | None = None
        self._encoder: _Encoder | None = None

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._start = message
            return
        if message["type"] != "http.response.body":
            await self._send(message)
            return
        if self._start is not None:
            start, self._start = self._start, None
            await self._begin(start, message)
            return
        await self._body(message)

    async def _begin(self, start: Message, first: Message) -> None:
        headers = MutableHeaders(scope=start)
        headers.add_vary_header("Accept-Encoding")
        body: bytes = first.get("body", b"")
        streaming = bool(first.get("more_body", False))
        if (
            self._encoding is None
            or "content-encoding" in headers
            or (not streaming and len(body) < self._policy.min_size)
        ):
            await self._send(start)
            await self._send(first)
            return
        self._encoder = self._policy.encoder(self._encoding)
        headers["content-encoding"] = self._encoding
        if streaming:
            # the length is known only at the end: the server sends the parts chunked
            del headers["content-length"]
            await self._send(start)
            await self._body(first)
            return
        compressed = self._encoder.end(body)
        headers["content-length"] = str(len(compressed))
        await self._send(start)
        await self._send({"type": "http.response.body", "body": compressed})

    async def _body(self, message: Message) -> None:
        if self._encoder is None:
            await self._send(message)
            return
        body: bytes = message.get("body", b"")
        more = bool(message.get("more_body", False))
        data = self._encoder.part(body) if more else self._encoder.end(body)
        await self._send({"type": "http.response.body", "body": data, "more_body": more})
