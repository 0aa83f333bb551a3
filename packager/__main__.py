from packager.command import main

main()
