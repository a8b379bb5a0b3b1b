(component
  (core module $m (func (export "f")))
  (core instance $i (instantiate $m))
  (func $f (canon lift (core func $i "f")))
  (instance $api (export "f" (func $f)))
  (export "acme:x/api" (instance $api)))
