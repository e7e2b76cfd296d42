from fourx_meetings.entrypoints.cli import main

main()
