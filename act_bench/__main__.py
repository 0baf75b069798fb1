from act_bench.cli import main

main()
