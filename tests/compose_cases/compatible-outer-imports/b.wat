(component
  (import "acme:x/api@0.2.1" (instance (export "f" (func)))))
