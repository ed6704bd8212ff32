#!/usr/bin/python3
"""A WebSocket client for the HTTP server's tests, on python3-websockets (an
implementation independent of Beast). Prints one line per event: "open",
"text T" / "binary HEX" per message received, "status N" when the upgrade
is refused, "closed CODE" at the end. Every wait is bounded."""
import argparse
import asyncio

import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatusCode


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("--header", action="append", default=[], help="'Name: value'")
    p.add_argument("--origin")
    p.add_argument("--send", help="a text message to send once open")
    p.add_argument("--messages", type=int, default=0, help="messages to wait for")
    a = p.parse_args()
    headers = [tuple(h.split(": ", 1)) for h in a.header]
    try:
        async with websockets.connect(a.url, extra_headers=headers, origin=a.origin, open_timeout=20,
                                      close_timeout=5, ping_interval=None) as ws:
            print("open", flush=True)
            if a.send:
                await ws.send(a.send)
            try:
                for _ in range(a.messages):
                    m = await asyncio.wait_for(ws.recv(), 20)
                    print(f"text {m}" if isinstance(m, str) else f"binary {m.hex()}", flush=True)
            except ConnectionClosed:
                pass
        print(f"closed {ws.close_code}", flush=True)
    except InvalidStatusCode as e:
        print(f"status {e.status_code}", flush=True)


asyncio.run(main())
