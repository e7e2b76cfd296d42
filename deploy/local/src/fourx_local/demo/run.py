"""The main job: a demo district's month through the running stack, ending with the weekly
bulletin. Each service contributes one step (demo/meetings.py, issues.py, notify.py)."""

from __future__ import annotations

from fourx_local.demo import issues, meetings, notify  # one step per service
from fourx_local.demo.context import DemoContext

STEPS = (
    ("一、研究中心：组织架构、集中活动日与“X”活动", meetings.run),
    ("二、督办清单：问题、写实、预警与督办", issues.run),
    ("三、周工作记实通报与分发", notify.run),
)


async def run_demo(ctx: DemoContext) -> None:
    ctx.console.rule(f"[bold]fourx 演示：{ctx.district}")
    # The outside parties (SMTP server, webhook receiver) first, so that the directory's
    # webhook channels point at them and the notices of every step are delivered.
    notify.start_receivers(ctx)
    for title, step in STEPS:
        ctx.console.rule(title)
        await step(ctx)
