from judgeforge.cli.main import run

run()
