"""The main job: a demo district's month through the running stack, ending with the weekly
bulletin. Each service contributes one step (demo/meetings.py, issues.py, notify.py).

Invariants: every run plays a district no earlier run touched (demo/district.py), so it can
be run again and again against the same stack and its bulletin counts only this run; and a
step that fails ends the run with a `DemoFailed` (one line: which step, why), never with a
traceback, with the demo's SMTP server and webhook receiver stopped.
"""

from __future__ import annotations

from fourx_local.demo import issues, meetings, notify  # one step per service
from fourx_local.demo.context import DemoContext
from fourx_local.demo.district import DirectoryProbe, fresh_district, skipped_note
from fourx_local.demo.failure import DemoFailed, reason

PREPARE = "准备：选择演示区"
STEPS = (
    ("一、研究中心：组织架构、集中活动日与“X”活动", meetings.run),
    ("二、督办清单：问题、写实、预警与督办", issues.run),
    ("三、周工作记实通报与分发", notify.run),
)


async def choose_district(ctx: DemoContext) -> list[str]:
    """Replace the asked-for district (the base) by the first one not played yet; return
    the played ones passed over."""
    probe = DirectoryProbe(ctx.urls["meetings"])
    try:
        ctx.district, skipped = await fresh_district(ctx.district, probe)
    finally:
        await probe.aclose()
    return skipped


async def run_demo(ctx: DemoContext) -> None:
    try:
        skipped = await choose_district(ctx)
    except Exception as exc:
        raise DemoFailed(PREPARE, reason(exc)) from exc
    ctx.console.rule(f"[bold]fourx 演示：{ctx.district}")
    ctx.done(f"本次演示区 {ctx.district}：{skipped_note(skipped)}（每次运行演示一个新的区，通报只统计本次）")
    try:
        # The outside parties (SMTP server, webhook receiver) first, so that the directory's
        # webhook channels point at them and the notices of every step are delivered.
        notify.start_receivers(ctx)
        for title, step in STEPS:
            ctx.console.rule(title)
            try:
                await step(ctx)
            except Exception as exc:
                raise DemoFailed(title, reason(exc)) from exc
    finally:
        receivers = ctx.facts.pop("notify_receivers", None)
        if receivers is not None:  # notify.run stops them itself when it gets that far
            receivers.stop()
