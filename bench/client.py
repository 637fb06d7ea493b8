"""A lean HTTP/1.1 keep-alive client for JSON requests: the benchmark's own CPU per request stays far below httpx's, so
on a small machine it steals less from the services it measures, and it stamps a response when its bytes arrive."""
import asyncio
import json
import time
from urllib.parse import urlsplit

KEEPALIVE = 2.0  # drop idle connections well before uvicorn's 5 s keep-alive ends


class HttpError(Exception):
    pass


class Pool:
    """Up to `size` persistent connections to one server; a request waits for a free one when all are busy."""

    def __init__(self, base_url: str, headers: dict[str, str], size: int):
        url = urlsplit(base_url)
        self.host, self.port = url.hostname, url.port or 80
        self.head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": f"{self.host}:{self.port}",
                                                         "Content-Type": "application/json", **headers}.items())
        self.size = size
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
        self.open = 0
        self.freed = asyncio.Condition()

    async def _acquire(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        async with self.freed:
            while True:
                while self.idle:
                    reader, writer, used = self.idle.pop()
                    if time.monotonic() - used < KEEPALIVE:
                        return reader, writer
                    writer.close()
                    self.open -= 1
                if self.open < self.size:
                    self.open += 1
                    break
                await self.freed.wait()
        try:
            return await asyncio.open_connection(self.host, self.port)
        except OSError as exc:
            await self._release(None)
            raise HttpError(repr(exc)) from exc

    async def _release(self, conn) -> None:
        async with self.freed:
            if conn is None:
                self.open -= 1
            else:
                self.idle.append((*conn, time.monotonic()))
            self.freed.notify()

    async def send(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        """(status, body); HttpError when the connection fails (it is then dropped, never reused)."""
        request = f"{method} {path} HTTP/1.1\r\n{self.head}Content-Length: {len(body)}\r\n\r\n".encode() + body
        reader, writer = await self._acquire()
        status_line = b""
        try:
            writer.write(request)
            status_line = await reader.readline()
            length, close = 0, False
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "connection":
                    close = value.strip().lower() == "close"
            payload = await reader.readexactly(length)
            status = int(status_line.split()[1])
        except (OSError, asyncio.IncompleteReadError, IndexError, ValueError) as exc:
            writer.close()
            await self._release(None)
            raise HttpError(repr(exc) if status_line else "connection closed before an answer") from exc
        if close:
            writer.close()
            await self._release(None)
        else:
            await self._release((reader, writer))
        return status, payload

    async def close(self) -> None:
        async with self.freed:
            for _, writer, _ in self.idle:
                writer.close()
            self.idle.clear()


def dumps(document) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
