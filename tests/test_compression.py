"""`/graphql` answers compressed with brotli or gzip, by Accept-Encoding, above a size.

Played over real HTTP against the gateway served by uvicorn; the compressed bytes are read
as they came over the wire and decompressed here.
"""

from __future__ import annotations

import asyncio
import gzip
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import brotli
import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from creditgraph.config import SCHEMA, Config
from creditgraph.middleware.compression import Compression, CompressionPolicy, chosen_encoding
from creditgraph.resources import operations_root
from creditgraph.seed.personas import PERSONA
from tests.http_app import bearer, in_process_gateway, listening, uvicorn_serving

REPORT = {"query": (operations_root() / "subject_self.graphql").read_text(encoding="utf-8")}
SMALL = {"query": "{ __typename }"}


@asynccontextmanager
async def _gateway(
    pool: asyncpg.Pool, home: Path, config: Config | None = None
) -> AsyncIterator[str]:
    gateway = in_process_gateway(pool)
    try:
        async with listening(gateway, pool, home, config) as url:
            yield url
    finally:
        await gateway.aclose()


async def _raw(url: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[Any, bytes]:
    """The answer's headers and its body exactly as it came over the wire."""
    async with (
        httpx.AsyncClient(timeout=60) as client,
        client.stream("POST", url, json=body, headers=headers) as response,
    ):
        return response.headers, b"".join([chunk async for chunk in response.aiter_raw()])


def _accounts(body: bytes) -> Any:
    return orjson.loads(body)["data"]["me"]["accounts"]


async def test_a_report_goes_out_compressed_in_the_encoding_the_client_prefers(
    writable_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    own = bearer(tmp_path, "SUBJECT", PERSONA["husband"].identifier)
    async with _gateway(writable_pool, tmp_path) as url:
        plain_headers, plain = await _raw(url, REPORT, {**own, "accept-encoding": "identity"})
        gz_headers, gz = await _raw(url, REPORT, {**own, "accept-encoding": "gzip"})
        br_headers, br = await _raw(url, REPORT, {**own, "accept-encoding": "gzip, br"})
        pick_headers, _ = await _raw(
            url, REPORT, {**own, "accept-encoding": "br;q=0.5, gzip;q=0.9"}
        )
    report = orjson.loads(plain)
    assert report["data"]["me"]["accounts"]["nodes"], "the husband's own report, accounts and all"
    assert "content-encoding" not in plain_headers
    assert len(plain) > 2 * 1024  # above the default threshold
    assert gz_headers["content-encoding"] == "gzip"
    # the same report (its inquiries aside: each look is one)
    assert _accounts(gzip.decompress(gz)) == _accounts(plain)
    assert int(gz_headers["content-length"]) == len(gz) < len(plain)
    assert br_headers["content-encoding"] == "br"
    assert _accounts(brotli.decompress(br)) == _accounts(plain)
    assert len(br) < len(plain)
    assert pick_headers["content-encoding"] == "gzip"
    for headers in (plain_headers, gz_headers, br_headers):
        assert "accept-encoding" in headers["vary"].lower()
        assert headers["cache-control"] == "no-store"


async def test_small_answers_and_other_paths_go_out_as_they_are(
    writable_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    async with _gateway(writable_pool, tmp_path) as url:
        small_headers, small = await _raw(url, SMALL, {"accept-encoding": "gzip, br"})
        async with httpx.AsyncClient(timeout=30) as client:
            metrics = await client.get(
                url.replace("/graphql", "/metrics"), headers={"accept-encoding": "gzip, br"}
            )
    assert "content-encoding" not in small_headers
    assert orjson.loads(small) == {"data": {"__typename": "Query"}}
    assert "accept-encoding" in small_headers["vary"].lower()
    assert "content-encoding" not in metrics.headers


async def test_the_threshold_and_the_switch_are_the_configurations(
    writable_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    always = SCHEMA.from_document({"compression": {"min_size": 0}})
    async with _gateway(writable_pool, tmp_path, always) as url:
        headers, body = await _raw(url, SMALL, {"accept-encoding": "gzip"})
    assert headers["content-encoding"] == "gzip"
    assert orjson.loads(gzip.decompress(body)) == {"data": {"__typename": "Query"}}
    own = bearer(tmp_path, "SUBJECT", PERSONA["husband"].identifier)
    never = SCHEMA.from_document({}, {"CREDITGRAPH_COMPRESSION": "off"})
    async with _gateway(writable_pool, tmp_path, never) as url:
        headers, body = await _raw(url, REPORT, {**own, "accept-encoding": "gzip, br"})
    assert "content-encoding" not in headers
    assert orjson.loads(body)["data"]["me"]["name"]


@pytest.mark.parametrize(
    ("header", "chosen"),
    [
        ("gzip, deflate, br, zstd", "br"),
        ("gzip", "gzip"),
        ("br;q=0.2, gzip", "gzip"),
        ("*", "br"),
        ("*, br;q=0", "gzip"),
        ("gzip;q=0, identity", None),
        ("deflate", None),
        ("", None),
    ],
)
def test_the_encoding_is_chosen_by_quality_brotli_on_a_tie(header: str, chosen: str | None) -> None:
    assert chosen_encoding(header) == chosen


@pytest.mark.parametrize("encoding", ["gzip", "br"])
async def test_an_answer_sent_in_parts_reaches_the_client_part_by_part(encoding: str) -> None:
    """A streamed answer (incremental delivery) is compressed with a flush after each part:
    the client decodes the first part while the server still holds the second back."""
    first_read = asyncio.Event()

    async def parts() -> AsyncIterator[bytes]:
        yield b'{"part": 1}' * 50
        await first_read.wait()
        yield b'{"part": 2}' * 50

    async def stream(request: Request) -> StreamingResponse:
        return StreamingResponse(parts(), media_type="multipart/mixed")

    policy = CompressionPolicy.from_config(SCHEMA.defaults())
    assert policy is not None
    app = Compression(Starlette(routes=[Route("/graphql", stream)]), policy)
    gunzip, unbrotli = zlib.decompressobj(31), brotli.Decompressor()
    seen = b""
    async with (
        uvicorn_serving(app) as url,
        httpx.AsyncClient(timeout=30) as client,
        client.stream("GET", f"{url}/graphql", headers={"accept-encoding": encoding}) as response,
    ):
        assert response.headers["content-encoding"] == encoding
        assert "content-length" not in response.headers
        async for chunk in response.aiter_raw():
            seen += gunzip.decompress(chunk) if encoding == "gzip" else unbrotli.process(chunk)
            if seen == b'{"part": 1}' * 50:
                first_read.set()
    assert seen == b'{"part": 1}' * 50 + b'{"part": 2}' * 50
