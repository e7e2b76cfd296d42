"""`make demo` twice against the same running stack: both succeed and end with a bulletin
that counts that run only; and a failing demo step is one line, not a traceback."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from fourx_local.process import free_port

RULE = "周工作记实通报（Markdown）"
STAT = re.compile(r"^\| .+ \| `(\w+)` \| (\d+) \|$", re.MULTILINE)


def bulletin_of(stdout: str) -> tuple[str, str, dict[str, int]]:
    """(district named in the rule, the Markdown after it, its statistics table); asserts the
    bulletin is the last thing printed."""
    rule_at = stdout.rindex(RULE)
    rule_line = stdout[rule_at:].splitlines()[0]
    district = rule_line.split("·")[1].strip()
    markdown = stdout[rule_at + len(rule_line):].strip()
    assert markdown.startswith("# ") and "周工作记实通报" in markdown.splitlines()[0], markdown[:500]
    assert not re.search(r"^\s*[▶✓]", markdown, re.MULTILINE), "demo output after the bulletin"
    return district, markdown, {name: int(n) for name, n in STAT.findall(markdown)}


def test_the_demo_runs_twice_against_the_same_stack(local_stack, district):
    first = local_stack.cli("demo", "--district", district, timeout=600)
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-4000:]
    second = local_stack.cli("demo", "--district", district, timeout=600)
    assert second.returncode == 0, second.stdout[-4000:] + second.stderr[-4000:]
    assert "Traceback" not in first.stderr + second.stderr

    played_first, _, stats_first = bulletin_of(first.stdout)
    played_second, markdown, stats_second = bulletin_of(second.stdout)
    # The second run left the first run's district alone and played a fresh one.
    assert (played_first, played_second) == (district, f"{district}-2")
    assert f"{district} 已演示过" in re.sub(r"\s+", " ", second.stdout)  # rich wraps long lines
    # Its bulletin counts its own month: the same story gives the same numbers, not the sum.
    assert stats_first["meetings_held"] == 1 and stats_first["tasks_assigned"] == 3
    assert stats_second == stats_first
    assert "第1期" in markdown


def test_a_failing_step_is_one_line_and_a_non_zero_exit(tmp_path):
    """A stack file whose services are gone (crashed, or stopped by hand): the demo says so."""
    gone = f"http://127.0.0.1:{free_port()}"
    (tmp_path / "stack.json").write_text(json.dumps({
        "kafka_bootstrap": f"127.0.0.1:{free_port()}", "mongo_uri": "mongodb://127.0.0.1:1",
        "components": [{"name": n, "pid": None, "address": gone, "log": ""} for n in ("meetings", "issues", "notify")],
    }))
    env = {**os.environ, "FOURX_STATE_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "fourx_local", "demo"], env=env, text=True,
                            capture_output=True, timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [f"演示失败【准备：选择演示区】：无法连接 {gone}（服务未运行？用 `make status` 查看，`make up` 启动）"]
