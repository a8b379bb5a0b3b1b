(component
  (core module $m (func (export "f")))
  (core instance $i (instantiate $m))
  (func $f (canon lift (core func $i "f")))
  (instance $out (export "get-stdout" (func $f)))
  (export "wasi:cli/stdout@0.2.12" (instance $out)))
