# SPDX-License-Identifier: ISC
# mcptest: what the Python script tests (tests/*.py) share.  Standard
# library only; nothing is installed: a script finds the package next to it,
#   sys.dont_write_bytecode = True      (no __pycache__ in the source tree)
#   sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
#   from mcptest.run import check, main
#
#   run.py     Failure and check(); the runners: one test against a fresh
#              bridge (exit 0 pass, 1 fail, 77 skip), each test of a script
#              in its own process, and "ok - NAME" scenarios.
#   bridge.py  mcpbridge as a process: `serve` on a free port (its URL, its
#              log, its child, readiness within a deadline) and `client`
#              driven over its stdin and stdout.
#   wire.py    raw HTTP/1.1 to a bridge, one exchange per connection or
#              several on a keep-alive one; the one Response type, with
#              event streams parsed as they come; the JSON-RPC messages.
#   mock.py    MCP servers written here for client mode to talk to: a 2025
#              one that misbehaves on cue, a scripted 2026-07-28 one, and
#              an OAuth authorization server with its MCP endpoint.
