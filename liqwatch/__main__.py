from liqwatch.cli import main

main()
