from pixivcrawl.cli import main

main()
