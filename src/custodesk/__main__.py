from custodesk.cli import main

main()
