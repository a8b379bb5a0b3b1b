(component
  (core module $m (func (export "f") (param i32)))
  (core instance $i (instantiate $m))
  (func $f (param "x" u32) (canon lift (core func $i "f")))
  (instance $api (export "f" (func $f)))
  (export "acme:x/api" (instance $api)))
