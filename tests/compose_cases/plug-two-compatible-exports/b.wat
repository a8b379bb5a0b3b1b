(component
  (import "acme:x/api@0.2.0" (instance (export "f" (func)))))
