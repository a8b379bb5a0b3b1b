"""WAT the tests of several commands share (adapt, run, inspect and the CLI)."""

# A wasip1-threads module: imports wasi/thread-spawn and a shared memory.
THREADS_WAT = """(module
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "env" "memory" (memory 1 1 shared))
  (func (export "_start") (drop (call $spawn (i32.const 0))))
  (func (export "wasi_thread_start") (param i32 i32)))
"""
# Imports from a module no WASI adapter provides.
FOREIGN_IMPORT_WAT = """(module
  (import "host" "call" (func))
  (memory (export "memory") 1)
  (func (export "_start")))
"""
# A component whose `run` calls wasi:cli/exit.exit-with-code(42): the one way a WASI 0.2
# guest reports a specific non-zero code (the preview1 adapter cannot).
EXIT_42_WAT = """(component
  (import "wasi:cli/exit@0.2.12" (instance $exit
    (export "exit-with-code" (func (param "status-code" u8)))))
  (core func $ewc (canon lower (func $exit "exit-with-code")))
  (core module $m
    (import "host" "exit" (func $e (param i32)))
    (func (export "run") (result i32) (call $e (i32.const 42)) (i32.const 0)))
  (core instance $hi (export "exit" (func $ewc)))
  (core instance $i (instantiate $m (with "host" (instance $hi))))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $inst (export "run" (func $run)))
  (export "wasi:cli/run@0.2.12" (instance $inst)))
"""
