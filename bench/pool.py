"""The main-process side of the load client: a pool of ``bench.loadworker`` processes
driven over pipes; sockets of a group are spread over the workers by blocks."""

from __future__ import annotations

import asyncio
import collections
import multiprocessing as mp

from bench.loadworker import OPEN_CONCURRENCY, worker_main


# --------------------------------------------------------------------------------------------
# Main-process side.
# --------------------------------------------------------------------------------------------
class WorkerHandle:
    def __init__(self, ctx, index):
        self.index = index
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=worker_main, args=(child,), daemon=True, name=f"bench-client-{index}")
        self.proc.start()
        child.close()
        self.pending: dict[int, asyncio.Future] = {}
        self.next_rid = 0
        self.cpu = 0.0

    def attach(self, loop):
        loop.add_reader(self.conn.fileno(), self._on_readable)

    def _on_readable(self):
        try:
            msg = self.conn.recv()
        except (EOFError, OSError):
            for f in self.pending.values():
                if not f.done():
                    f.set_exception(RuntimeError(f"client worker {self.index} died"))
            asyncio.get_running_loop().remove_reader(self.conn.fileno())
            return
        self.cpu = msg.get("cpu", self.cpu)
        f = self.pending.pop(msg["rid"], None)
        if f is not None and not f.done():
            f.set_result(msg)

    def request(self, cmd, **kw) -> asyncio.Future:
        rid = self.next_rid
        self.next_rid += 1
        fut = asyncio.get_running_loop().create_future()
        self.pending[rid] = fut
        self.conn.send(dict(kw, rid=rid, cmd=cmd))
        return fut

    def armed_request(self, cmd, **kw):
        """An arm command: returns (armed future, result future)."""
        ready = self.next_rid
        self.next_rid += 1
        ready_fut = asyncio.get_running_loop().create_future()
        self.pending[ready] = ready_fut
        res = self.request(cmd, ready_rid=ready, **kw)
        return ready_fut, res


class Pool:
    """N worker processes; sockets of a group are spread round-robin-by-blocks over them."""

    def __init__(self, n_workers: int, open_concurrency: int = OPEN_CONCURRENCY):
        self.open_concurrency = open_concurrency
        ctx = mp.get_context("spawn")
        self.workers = [WorkerHandle(ctx, i) for i in range(n_workers)]

    async def start(self):
        loop = asyncio.get_running_loop()
        for w in self.workers:
            w.attach(loop)
        await asyncio.gather(*(w.request("ping") for w in self.workers))

    def split(self, n):
        k = len(self.workers)
        return [n // k + (1 if i < n % k else 0) for i in range(k)]

    def cpu(self) -> float:
        return sum(w.cpu for w in self.workers)

    async def cpu_now(self) -> float:
        await asyncio.gather(*(w.request("ping") for w in self.workers))
        return self.cpu()

    @staticmethod
    def _check(replies):
        for r in replies:
            if not r.get("ok"):
                raise RuntimeError(f"client worker failed: {r.get('error')}\n{r.get('tb', '')}")
        return replies

    async def open(self, group, host, port, path, n, headers=None, subscribe=None, origin=None, workers=None):
        """``headers``: dict for all sockets, or a list of n dicts. ``workers``: restrict to these."""
        ws = [self.workers[i] for i in (workers if workers is not None else range(len(self.workers)))]
        k = len(ws)
        counts = [n // k + (1 if i < n % k else 0) for i in range(k)]
        futs, start = [], 0
        for w, c in zip(ws, counts, strict=False):
            h = headers[start : start + c] if isinstance(headers, list) else headers
            futs.append(
                w.request(
                    "open",
                    group=group,
                    host=host,
                    port=port,
                    path=path,
                    n=c,
                    headers=h,
                    subscribe=subscribe,
                    origin=origin,
                    concurrency=self.open_concurrency,
                )
            )
            start += c
        replies = self._check(await asyncio.gather(*futs))
        errors = collections.Counter()
        for r in replies:
            errors.update(r["errors"])
        return {
            "opened": sum(r["opened"] for r in replies),
            "failed": sum(r["failed"] for r in replies),
            "errors": dict(errors),
            "seconds": max(r["seconds"] for r in replies),
        }

    async def arm(self, cmd, group, **kw):
        """Arm every worker; returns once all are recording, with the result futures."""
        pairs = [w.armed_request(cmd, group=group, **kw) for w in self.workers]
        self._check(await asyncio.gather(*(p[0] for p in pairs)))
        return [p[1] for p in pairs]

    async def finish(self, group, drain, results, stall=3.0):
        await asyncio.gather(*(w.request("finish", group=group, drain=drain, stall=stall) for w in self.workers))
        return self._check(await asyncio.gather(*results))

    async def send(self, group, frames, spread, timeout, start_at=None):
        """Frames are split like the group's sockets were (same order)."""
        counts = self.split(len(frames))
        futs, start = [], 0
        for w, c in zip(self.workers, counts, strict=False):
            futs.append(
                w.request(
                    "send",
                    group=group,
                    frames=frames[start : start + c],
                    spread=spread,
                    timeout=timeout,
                    start_at=start_at,
                )
            )
            start += c
        return self._check(await asyncio.gather(*futs))

    async def post_burst(self, group, n_sockets, *, tag, topic, per_socket, mode, timeout):
        """Every socket of the group sends ``per_socket`` posts at once; indices are unique across workers."""
        counts, futs, base = self.split(n_sockets), [], 0
        for w, c in zip(self.workers, counts, strict=False):
            futs.append(
                w.request(
                    "post_burst",
                    group=group,
                    tag=tag,
                    topic=topic,
                    per_socket=per_socket,
                    mode=mode,
                    index_base=base,
                    timeout=timeout,
                )
            )
            base += c
        return self._check(await asyncio.gather(*futs))

    async def pause_reading(self, group, paused=True, receive_buffer=None):
        rs = self._check(
            await asyncio.gather(
                *(
                    w.request("pause_reading", group=group, paused=paused, receive_buffer=receive_buffer)
                    for w in self.workers
                )
            )
        )
        return sum(r["sockets"] for r in rs)

    async def close_codes(self, group, wait):
        """How the group's sockets were closed, once reading again: {code: count} (cmd_close_codes)."""
        rs = self._check(
            await asyncio.gather(*(w.request("close_codes", group=group, wait=wait) for w in self.workers))
        )
        codes = collections.Counter()
        for r in rs:
            codes.update(r["codes"])
        return dict(codes)

    async def count_open(self, group):
        rs = self._check(await asyncio.gather(*(w.request("count_open", group=group) for w in self.workers)))
        return sum(r["open"] for r in rs)

    async def close(self, group):
        await asyncio.gather(*(w.request("close", group=group) for w in self.workers))

    async def stop(self):
        try:
            await asyncio.wait_for(asyncio.gather(*(w.request("stop") for w in self.workers)), 10)
        except Exception:
            pass
        for w in self.workers:
            w.proc.join(timeout=5)
            if w.proc.is_alive():
                w.proc.terminate()
