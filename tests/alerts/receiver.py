"""A tiny HTTP receiver on loopback for webhook tests: records each POST, answers with a chosen status."""
import asyncio


class Receiver:
    def __init__(self, status: int = 200):
        self.status = status
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.port: int | None = None
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/keyproject"

    async def start(self) -> "Receiver":
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port or 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Stop listening and end the kept-alive connections, as a receiver going down does."""
        if self._server is not None:
            self._server.close()
            for connection in list(self._connections):
                connection.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections.add(asyncio.current_task())
        try:
            while True:
                request_line = await reader.readline()
                if not request_line:
                    return
                headers = {}
                while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", 0)))
                self.received.append((headers, body))
                writer.write(f"HTTP/1.1 {self.status} X\r\ncontent-length: 0\r\n\r\n".encode())
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # the client went away, or the receiver is going down
        finally:
            self._connections.discard(asyncio.current_task())
            writer.close()
