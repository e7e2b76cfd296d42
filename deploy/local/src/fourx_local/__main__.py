from fourx_local.cli import main

main()
