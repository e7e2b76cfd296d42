"""One module per fault case. Each exposes `CASE: str` (its name in the table) and
`async def run(workdir: pathlib.Path) -> faults.result.CaseResult`; it starts what it needs
under `workdir` and stops it again, whatever happens."""
