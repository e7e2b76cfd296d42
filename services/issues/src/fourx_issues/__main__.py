from fourx_issues.entrypoints.cli import main

main()
