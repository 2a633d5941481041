from pixivcrawl.replica.cli import main

main()
