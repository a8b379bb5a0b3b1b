(component
  (import "acme:x/api" (instance $in (export "f" (func))))
  (alias export $in "f" (func $f))
  (instance $out (export "f" (func $f)))
  (export "acme:x/api" (instance $out)))
